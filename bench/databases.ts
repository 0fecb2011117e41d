/** Scratch databases for the rounds: a temp SQLite file, or a new PostgreSQL database on the suite's server. */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
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
