/**
 * Scratch databases for the rounds (a temp SQLite file, or a new PostgreSQL database on the
 * suite's server), and the settling a loaded database gets before it is measured.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';

export type Engine = 'sqlite' | 'postgres';

export interface Scratch {
  /** A SQLite file path (the file does not exist yet) or a PostgreSQL URL (an empty database). */
  db: string;
  drop(): Promise<void>;
}

async function onAdmin<T>(adminUrl: string, work: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: adminUrl });
  await c.connect();
  try {
    return await work(c);
  } finally {
    await c.end();
  }
}

/** An empty database: a file name in a new directory under `tmp`, or a new PostgreSQL database. */
export async function scratchDatabase(engine: Engine, tmp: string, adminUrl?: string): Promise<Scratch> {
  if (engine === 'sqlite') {
    const dir = mkdtempSync(join(tmp, 'db-'));
    return { db: join(dir, 'trailkeep.db'), drop: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  if (!adminUrl) throw new Error('PostgreSQL needs a server URL');
  const name = `tk_bench_${randomBytes(6).toString('hex')}`;
  await onAdmin(adminUrl, (c) => c.query(`CREATE DATABASE ${name}`));
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    db: url.toString(),
    drop: () =>
      onAdmin(adminUrl, (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => {}),
  };
}

/** Scratch databases for each piece of work, dropped when it ends however it ends. */
export async function withScratch<T>(
  engine: Engine,
  tmp: string,
  adminUrl: string | undefined,
  work: (db: string) => Promise<T>,
): Promise<T> {
  const scratch = await scratchDatabase(engine, tmp, adminUrl);
  try {
    return await work(scratch.db);
  } finally {
    await scratch.drop();
  }
}

export async function pgVersion(adminUrl: string): Promise<string> {
  return onAdmin(adminUrl, async (c) => {
    const r = await c.query<{ v: string; f: string }>(
      "SELECT current_setting('server_version') AS v, current_setting('fsync') AS f",
    );
    return `${r.rows[0]?.v} (fsync=${r.rows[0]?.f})`;
  });
}

/**
 * Brings a freshly loaded database to the state a running one is in before it is measured, so
 * that maintenance does not land inside a measurement: on PostgreSQL what autovacuum does after
 * a large insert (VACUUM, which sets the visibility map index-only scans rely on, and ANALYZE),
 * then a CHECKPOINT; on SQLite a WAL checkpoint, as the writer's auto-checkpoint would. SQLite
 * gets no ANALYZE: the product never runs one, so its planner works without statistics.
 */
export async function settle(engine: Engine, db: string): Promise<void> {
  if (engine === 'sqlite') {
    const c = new Database(db);
    try {
      c.pragma('wal_checkpoint(TRUNCATE)');
    } finally {
      c.close();
    }
    return;
  }
  await onAdmin(db, async (c) => {
    await c.query('VACUUM (ANALYZE)');
    await c.query('CHECKPOINT');
  });
}
