import { join } from 'node:path';
import Database from 'better-sqlite3';
import type pg from 'pg';
import pgModule from 'pg';
import { openPostgresStore } from '../../src/store/postgres/index.js';
import { PG_MIGRATIONS } from '../../src/store/postgres/migrations.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import { SQLITE_MIGRATIONS } from '../../src/store/sqlite/migrations.js';
import type { Store } from '../../src/store/types.js';
import { tempDir } from './app.js';
import { createTestDatabase } from './pg.js';

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

/**
 * A store opened (and so migrated) over a database that was at schema `version` when `fill`
 * wrote its old rows: a SQLite file in a temp directory, or a fresh PostgreSQL database.
 * `cleanup` closes the store and removes the database.
 */
export async function migratedFrom(
  engine: 'sqlite' | 'postgres',
  version: number,
  fill: { sqlite?: (db: Database.Database) => void; postgres?: (c: pg.Client) => Promise<void> },
): Promise<{ store: Store; cleanup: () => Promise<void> }> {
  if (engine === 'sqlite') {
    const tmp = tempDir();
    const path = join(tmp.dir, 'old.db');
    const db = sqliteAt(path, version);
    fill.sqlite?.(db);
    db.close();
    const store = await openSqliteStore(path);
    const cleanup = async () => {
      await store.close();
      tmp.remove();
    };
    return { store, cleanup };
  }
  const database = await createTestDatabase();
  const client = new pgModule.Client({ connectionString: database.url });
  await client.connect();
  try {
    await postgresAt(client, version);
    await fill.postgres?.(client);
  } finally {
    await client.end();
  }
  const store = await openPostgresStore(database.url, { poolSize: 2 });
  const cleanup = async () => {
    await store.close();
    await database.drop();
  };
  return { store, cleanup };
}
