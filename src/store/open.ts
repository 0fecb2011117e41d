import { TrailkeepError } from '../core/errors.js';
import { openPostgresStore } from './postgres/index.js';
import { openSqliteStore } from './sqlite/index.js';
import type { Store } from './types.js';

/** Where a SQLite database lives, from `TRAILKEEP_DB` (a path or a `sqlite:` URL); null for other engines. */
export function sqlitePath(url: string): string | null {
  if (url.startsWith('sqlite://')) return url.slice('sqlite://'.length);
  if (url.startsWith('sqlite:')) return url.slice('sqlite:'.length);
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(url) ? null : url;
}

export interface OpenOptions {
  /**
   * SQLite: where export files go (TRAILKEEP_EXPORT_DIR); when absent, `exports` beside the
   * database, decided by the engine (sqlite/exports.ts). PostgreSQL keeps exports in the database.
   */
  exportDir?: string | undefined;
  /** PostgreSQL: connections this process may open (TRAILKEEP_DB_POOL). */
  poolSize?: number;
  /** PostgreSQL: errors of idle connections, which are not fatal (the pool reconnects). */
  onPoolError?: (err: Error) => void;
}

/** Opens (and migrates) the store that `TRAILKEEP_DB` names: the only place an engine is chosen. */
export async function openStore(url: string, options: OpenOptions = {}): Promise<Store> {
  const path = sqlitePath(url);
  if (path !== null) return openSqliteStore(path, options.exportDir);
  if (/^postgres(ql)?:\/\//i.test(url)) {
    return openPostgresStore(url, {
      poolSize: options.poolSize ?? 10,
      ...(options.onPoolError ? { onPoolError: options.onPoolError } : {}),
    });
  }
  throw new TrailkeepError('invalid_request', `Unsupported database URL scheme ${url.split(':')[0]}:`);
}
