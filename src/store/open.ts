import { TrailkeepError } from '../core/errors.js';
import { openSqliteStore } from './sqlite/index.js';
import type { Store } from './types.js';

/** Where a SQLite database lives, from `TRAILKEEP_DB` (a path or a `sqlite:` URL); null for other engines. */
export function sqlitePath(url: string): string | null {
  if (url.startsWith('sqlite://')) return url.slice('sqlite://'.length);
  if (url.startsWith('sqlite:')) return url.slice('sqlite:'.length);
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(url) ? null : url;
}

/** Opens (and migrates) the store that `TRAILKEEP_DB` names. */
export async function openStore(url: string): Promise<Store> {
  const path = sqlitePath(url);
  if (path !== null) return openSqliteStore(path);
  throw new TrailkeepError('invalid_request', `Unsupported database URL scheme in ${url.split(':')[0]}:…`);
}
