/**
 * The ceiling's side of the query benchmark: a bare driver on the product's own database
 * (better-sqlite3 on its file, one pg client on its database), running one statement per
 * request. Statements are prepared once per shape and reused, as the store does (a statement
 * cache on SQLite, named statements on PostgreSQL), and the connection gets the store's
 * settings that bear on reads (SQLite page cache and temp store).
 */
import Database from 'better-sqlite3';
import pg from 'pg';
import type { Engine } from './databases.js';
import type { Statement } from './query-sql.js';

export interface Row {
  at: number;
  seq: number;
  body?: string;
  n?: number;
  total?: number;
}

export interface Bare {
  rows(statement: Statement): Promise<Row[]>;
  close(): Promise<void>;
}

function bareSqlite(file: string): Bare {
  const db = new Database(file);
  db.pragma('cache_size = -65536');
  db.pragma('temp_store = MEMORY');
  const prepared = new Map<string, Database.Statement>();
  return {
    async rows({ sql, params }) {
      let stmt = prepared.get(sql);
      if (!stmt) {
        stmt = db.prepare(sql);
        prepared.set(sql, stmt);
      }
      return stmt.all(...params) as Row[];
    },
    async close() {
      db.close();
    },
  };
}

/** bigint and numeric as numbers, as the store reads them: seqs, counts and ms stay below 2^53. */
const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === pg.types.builtins.INT8 || oid === pg.types.builtins.NUMERIC) return (v: string) => Number(v);
    return pg.types.getTypeParser(oid, format);
  },
};

async function barePostgres(url: string): Promise<Bare> {
  const client = new pg.Client({ connectionString: url, types });
  await client.connect();
  const names = new Map<string, string>();
  return {
    async rows({ sql, params }) {
      let name = names.get(sql);
      if (!name) {
        name = `ceiling_${names.size}`;
        names.set(sql, name);
      }
      return (await client.query<Row>({ name, text: sql, values: params })).rows;
    },
    close: () => client.end(),
  };
}

export const openBare = (engine: Engine, db: string): Promise<Bare> =>
  engine === 'sqlite' ? Promise.resolve(bareSqlite(db)) : barePostgres(db);
