import type { Store } from '../types.js';
import { sqliteCredentials, sqliteSettings, sqliteTenants } from './admin.js';
import { appender } from './append.js';
import { type Db, migrate, openDb, openScanDb } from './db.js';
import { sqliteEvents } from './events.js';
import { defaultExportDir, localExportFiles } from './exports.js';
import { sqliteJobs } from './jobs.js';
import { extender, sqliteLog } from './log.js';
import { streamWrites } from './stream-writes.js';
import { sqliteStreams } from './streams.js';
import { StoreWriter } from './writer.js';

/**
 * The embedded engine: one SQLite file, opened and migrated, and export files in a local
 * directory (`exportDir`, by default `exports` beside the database).
 */
export async function openSqliteStore(path: string, exportDir = defaultExportDir(path)): Promise<Store> {
  const db = openDb(path);
  migrate(db);
  const ping = db.prepare('SELECT 1');
  const writer = path === ':memory:' ? inThread(db) : new StoreWriter(path);
  // Scans read on their own connection, opened when the first one starts (db.ts openScanDb).
  let scanDb: Db | undefined;
  const scans = () => (scanDb ??= path === ':memory:' ? db : openScanDb(path));
  return {
    engine: 'sqlite',
    async migrate() {
      migrate(db);
    },
    async schemaVersion() {
      return (
        (db.prepare('SELECT max(version) AS v FROM schema_migrations').get() as { v: number | null }).v ?? 0
      );
    },
    async ping() {
      ping.get();
    },
    async close() {
      await writer.close();
      if (scanDb !== db && scanDb?.open) scanDb.close();
      if (db.open) {
        db.pragma('optimize');
        db.close();
      }
    },
    settings: sqliteSettings(db),
    tenants: sqliteTenants(db),
    credentials: sqliteCredentials(db),
    events: sqliteEvents(db, scans, (groups, receivedAt, options) =>
      writer.append(groups, receivedAt, options?.createTenants ?? false),
    ),
    jobs: sqliteJobs(db),
    exports: localExportFiles(exportDir),
    log: sqliteLog(db, writer.extend),
    streams: sqliteStreams(db, writer.streams),
  };
}

/** An in-memory database has no second connection to give a writer thread: write in place. */
function inThread(db: Db): Pick<StoreWriter, 'append' | 'extend' | 'streams' | 'close'> {
  const append = db.transaction(appender(db));
  const extend = db.transaction(extender(db));
  const streams = streamWrites(db);
  return {
    append: async (groups, receivedAt, createTenants) => append.immediate(groups, receivedAt, createTenants),
    extend: async (extensions) => extend.immediate(extensions),
    streams: async (op, ...args) => (streams[op] as (...a: unknown[]) => never)(...args),
    close: async () => {},
  };
}
