import type { Store } from '../types.js';
import { pgCredentials, pgSettings, pgTenants } from './admin.js';
import { STAGE_TABLE } from './copy.js';
import { Db } from './db.js';
import { pgEvents } from './events.js';
import { pgExportFiles } from './exports.js';
import { pgJobs } from './jobs.js';
import { pgLog } from './log.js';
import { migrate } from './migrations.js';
import { Partitions } from './partitions.js';
import { pgStreams } from './streams.js';

export interface PostgresOptions {
  /** Connections this node may open. */
  poolSize: number;
  /** Called with errors of idle connections (the database went away); they are not fatal. */
  onPoolError?: (err: Error) => void;
}

/** The production engine: PostgreSQL through a `pg` pool, migrated on open; export files live in the database. */
export async function openPostgresStore(url: string, options: PostgresOptions): Promise<Store> {
  const db = new Db(url, options.poolSize, options.onPoolError ?? (() => {}), [STAGE_TABLE]);
  const partitions = new Partitions(db);
  const ready = async () => {
    await migrate(db);
    await partitions.init();
  };
  try {
    await ready();
  } catch (err) {
    await db.close();
    throw err;
  }
  return {
    engine: 'postgres',
    migrate: ready,
    async schemaVersion() {
      const rows = await db.query<{ v: number | null }>('SELECT max(version) AS v FROM schema_migrations');
      return rows[0]?.v ?? 0;
    },
    async ping() {
      await db.query('SELECT 1');
    },
    close: () => db.close(),
    settings: pgSettings(db),
    tenants: pgTenants(db),
    credentials: pgCredentials(db),
    events: pgEvents(db, partitions),
    jobs: pgJobs(db),
    exports: pgExportFiles(db),
    log: pgLog(db),
    streams: pgStreams(db),
  };
}
