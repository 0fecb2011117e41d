import type { Store } from '../types.js';
import { sqliteCredentials, sqliteSettings, sqliteTenants } from './admin.js';
import { migrate, openDb } from './db.js';
import { sqliteEvents } from './events.js';
import { defaultExportDir, localExportFiles } from './exports.js';
import { sqliteJobs } from './jobs.js';

/**
 * The embedded engine: one SQLite file, opened and migrated, and export files in a local
 * directory (`exportDir`, by default `exports` beside the database).
 */
export async function openSqliteStore(path: string, exportDir = defaultExportDir(path)): Promise<Store> {
  const db = openDb(path);
  migrate(db);
  const ping = db.prepare('SELECT 1');
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
      if (db.open) {
        db.pragma('optimize');
        db.close();
      }
    },
    settings: sqliteSettings(db),
    tenants: sqliteTenants(db),
    credentials: sqliteCredentials(db),
    events: sqliteEvents(db),
    jobs: sqliteJobs(db),
    exports: localExportFiles(exportDir),
  };
}
