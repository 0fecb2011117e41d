import Database from 'better-sqlite3';
import pg from 'pg';
import { sqlitePath } from '../../src/store/open.js';

/**
 * The database behind a test app, reached around Trailkeep as an attacker with database access
 * (or a careless administrator) would: plain SQL on its own connection. For tampering tests only.
 */
export interface RawDb {
  /** Runs statements; values are written into the SQL by the test itself. */
  exec(sql: string): Promise<void>;
  /** The rows of a query. */
  all<R>(sql: string): Promise<R[]>;
  close(): Promise<void>;
}

export async function rawDb(url: string): Promise<RawDb> {
  const file = sqlitePath(url);
  if (file) {
    const db = new Database(file);
    db.pragma('busy_timeout = 5000');
    return {
      exec: async (sql) => void db.exec(sql),
      all: async <R>(sql: string) => db.prepare(sql).all() as R[],
      close: async () => void db.close(),
    };
  }
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  return {
    exec: async (sql) => void (await client.query(sql)),
    all: async <R>(sql: string) => (await client.query(sql)).rows as R[],
    close: () => client.end(),
  };
}

/** `text` as an SQL string literal. */
export const literal = (text: string): string => `'${text.replaceAll("'", "''")}'`;
