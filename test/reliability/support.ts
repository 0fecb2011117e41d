import { createHash, randomInt } from 'node:crypto';
import { after, before } from 'node:test';
import Database from 'better-sqlite3';
import canonicalize from 'canonicalize';
import pg from 'pg';
import { mulberry32 } from '../../bench/generate.js';
import { type TestData, testData } from '../helpers/app.js';
import { ENGINE_NAMES, engineNamed, type TestEngine, TITLE } from '../helpers/engines.js';
import { Servers } from '../helpers/serve.js';
import { api } from './client.js';
// Imported here, at the top of every reliability file: a file run on its own (without the
// runner's TRAILKEEP_TEST_PG_URL) then keeps its own PostgreSQL until all of its suites end.
import '../helpers/pg.js';

export * from './client.js';

/**
 * What the reliability tests share: both engines, seeded randomness, a plain HTTP client that
 * tells connection failures from answers, and a look at the stored log with the bare driver.
 */

/**
 * Both engines, or those TRAILKEEP_TEST_ENGINES names (comma-separated), or the one
 * TRAILKEEP_TEST_ENGINE names; one suite each per file. These files pick their engines
 * themselves (they have no `// @engines` line), so test/run.ts runs each once.
 */
export const ENGINES: TestEngine[] = (
  process.env.TRAILKEEP_TEST_ENGINES ||
  process.env.TRAILKEEP_TEST_ENGINE ||
  ENGINE_NAMES.join(',')
)
  .split(',')
  .map((e) => engineNamed(e, 'TRAILKEEP_TEST_ENGINES'));
export { TITLE };

/**
 * For the suite it is called in: fresh data of `engine` (created before its tests, removed
 * after them) and the servers its tests start, each with the shared credentials and `env`;
 * every one still running is killed after the suite, whatever happened.
 */
export function engineSuite(engine: TestEngine, env: Record<string, string> = {}) {
  let data: TestData | undefined;
  const servers = new Servers(env);
  before(async () => {
    data = await testData(engine);
  });
  after(async () => {
    servers.killAll();
    await data?.remove();
  });
  return {
    servers,
    get data(): TestData {
      if (!data) throw new Error('the suite data is made in its before hook');
      return data;
    },
  };
}

/** A number setting of a test from the environment, else its default. */
export function setting(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name} must be a non-negative number, not ${raw}`);
  return n;
}

/**
 * A seeded PRNG: TRAILKEEP_TEST_SEED when set, else a fresh seed. The seed is part of what the
 * test reports, so a failing run can be repeated with the same random choices.
 */
export function seeded(): { seed: number; random: () => number } {
  const seed = setting('TRAILKEEP_TEST_SEED', randomInt(1, 2 ** 31));
  return { seed, random: mulberry32(seed) };
}

/** Every event of the key's tenant through `GET /v1/events` and its cursors, in seq order. */
export async function listAll(base: string, token: string): Promise<Record<string, unknown>[]> {
  const events: Record<string, unknown>[] = [];
  let cursor: string | null = null;
  do {
    const page: { data: Record<string, unknown>[]; next_cursor: string | null } = await api(
      base,
      token,
      'GET',
      `/v1/events?order=asc&limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
    );
    events.push(...page.data);
    cursor = page.next_cursor;
  } while (cursor);
  // Listed by (occurred_at, seq).
  return events.sort((a, b) => (a.seq as number) - (b.seq as number));
}

/** One stored event as the database holds it. */
export interface StoredRow {
  tenant: string;
  seq: number;
  id: string;
  hash: string;
  body: string;
}

export interface StoredLog {
  events: StoredRow[];
  /** tenants.last_seq, the counter seqs are taken from. */
  lastSeq: Map<string, number>;
  /** PostgreSQL only: event_ids, where id uniqueness and idempotency live. */
  ids?: { tenant: string; id: string; seq: number; hash: string }[];
}

/** Reads the stored log with the bare driver, not through Trailkeep; the server must be stopped (SQLite). */
export async function readStoredLog(data: TestData): Promise<StoredLog> {
  const url = data.env.TRAILKEEP_DB as string;
  if (data.engine === 'sqlite') {
    const db = new Database(url, { fileMustExist: true });
    try {
      const events = db
        .prepare('SELECT tenant, seq, id, hash, body FROM events ORDER BY tenant, seq')
        .all() as StoredRow[];
      const tenants = db.prepare('SELECT id, last_seq FROM tenants').all() as {
        id: string;
        last_seq: number;
      }[];
      return { events, lastSeq: new Map(tenants.map((t) => [t.id, t.last_seq])) };
    } finally {
      db.close();
    }
  }
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    // bigint arrives as a string: converted, and checked to be exact.
    const events = (
      await client.query<StoredRow & { seq: string }>(
        'SELECT tenant, seq, id, hash, body FROM events ORDER BY tenant, seq',
      )
    ).rows.map((r) => ({ ...r, seq: Number(r.seq) }));
    const tenants = (await client.query<{ id: string; last_seq: string }>('SELECT id, last_seq FROM tenants'))
      .rows;
    const ids = (
      await client.query<{ tenant: string; id: string; seq: string; hash: string }>(
        'SELECT tenant, id, seq, hash FROM event_ids ORDER BY tenant, seq',
      )
    ).rows.map((r) => ({ ...r, seq: Number(r.seq) }));
    return { events, lastSeq: new Map(tenants.map((t) => [t.id, Number(t.last_seq)])), ids };
  } finally {
    await client.end();
  }
}

/**
 * An event's hash recomputed without Trailkeep's code: SHA-256 of the RFC 8785 canonical JSON
 * (the reference `canonicalize` package) of the event without its `hash` member.
 */
export function recomputeHash(event: Record<string, unknown>): string {
  const { hash: _, ...rest } = event;
  return createHash('sha256')
    .update(canonicalize(rest) as string)
    .digest('hex');
}

/**
 * Problems with a stored log, checked independently of Trailkeep's code: per tenant, seqs 1..n
 * without gap or repeat and equal to the tenant's counter, every id once, every stored hash
 * recomputed from the stored body, the body naming the row's own tenant, seq, id and hash; on
 * PostgreSQL `event_ids` mirrors `events` row for row. Empty when all is well.
 */
export function logProblems(log: StoredLog): string[] {
  const problems: string[] = [];
  const byTenant = new Map<string, StoredRow[]>();
  for (const row of log.events) {
    const list = byTenant.get(row.tenant) ?? [];
    list.push(row);
    byTenant.set(row.tenant, list);
  }
  for (const [tenant, rows] of byTenant) {
    rows.forEach((row, i) => {
      if (row.seq !== i + 1) problems.push(`${tenant}: row ${i + 1} has seq ${row.seq}`);
    });
    if (log.lastSeq.get(tenant) !== rows.length) {
      problems.push(`${tenant}: last_seq ${log.lastSeq.get(tenant)} but ${rows.length} events`);
    }
    const ids = new Set(rows.map((r) => r.id));
    if (ids.size !== rows.length) problems.push(`${tenant}: ${rows.length - ids.size} repeated ids`);
  }
  for (const row of log.events) {
    const body = JSON.parse(row.body) as Record<string, unknown>;
    if (recomputeHash(body) !== row.hash) problems.push(`${row.tenant}/${row.seq}: hash does not recompute`);
    if (body.tenant !== row.tenant || body.seq !== row.seq || body.id !== row.id || body.hash !== row.hash) {
      problems.push(`${row.tenant}/${row.seq}: body does not match its row`);
    }
  }
  if (log.ids) {
    const key = (r: { tenant: string; id: string; seq: number; hash: string }) =>
      `${r.tenant}\t${r.id}\t${r.seq}\t${r.hash}`;
    const fromIds = log.ids.map(key).sort();
    const fromEvents = log.events.map(key).sort();
    if (fromIds.join('\n') !== fromEvents.join('\n')) {
      problems.push(`event_ids (${fromIds.length} rows) does not mirror events (${fromEvents.length} rows)`);
    }
  }
  return problems.slice(0, 20);
}

/** The first differences between two lists, as short lines (empty when equal): readable failures of large comparisons. */
export function mismatches(actual: string[], expected: string[], most = 10): string[] {
  const out: string[] = [];
  if (actual.length !== expected.length) out.push(`${actual.length} items, expected ${expected.length}`);
  for (let i = 0; i < Math.max(actual.length, expected.length) && out.length < most; i++) {
    if (actual[i] !== expected[i]) out.push(`#${i}: ${actual[i]} (expected ${expected[i]})`);
  }
  return out;
}
