import Database from 'better-sqlite3';
import type pg from 'pg';
import { PG_MIGRATIONS } from '../../src/store/postgres/migrations.js';
import { SQLITE_MIGRATIONS } from '../../src/store/sqlite/migrations.js';

/**
 * Databases as a release before a migration left them: the first `version` migrations applied
 * and recorded, for tests that fill them with old rows and then open a store, which migrates
 * the rest.
 */

/** A SQLite file at `path` at schema `version`, open for the caller to fill and close. */
export function sqliteAt(path: string, version: number): Database.Database {
  const db = new Database(path);
  db.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)');
  SQLITE_MIGRATIONS.slice(0, version).forEach((sql, i) => {
    db.exec(sql);
    db.prepare('INSERT INTO schema_migrations VALUES (?, ?)').run(i + 1, 'then');
  });
  return db;
}

/** Brings the (empty) PostgreSQL database `client` is connected to to schema `version`. */
export async function postgresAt(client: pg.Client, version: number): Promise<void> {
  await client.query(
    'CREATE TABLE schema_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL)',
  );
  for (const [i, sql] of PG_MIGRATIONS.slice(0, version).entries()) {
    await client.query(sql);
    await client.query('INSERT INTO schema_migrations VALUES ($1, now())', [i + 1]);
  }
}
