/**
 * Ingest: the product's figure (a real `trailkeep serve` process fed over HTTP by a separate
 * driver process) and the engine's ceiling (the same events by a bare driver loop into a
 * minimal table), one round each. bench/suite.ts runs the rounds and the report.
 */
import Database from 'better-sqlite3';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { within } from '../test/helpers/wait.js';
import { runScript } from './children.js';
import type { DriverResult, DriverSpec } from './driver.js';
import { batchCount, batchSize, makeBatch, TENANTS } from './generate.js';
import {
  api,
  createTenant,
  type Deployment,
  newDeployment,
  peakRss,
  type Server,
  withServer,
} from './server.js';

export interface IngestSettings {
  seed: number;
  events: number;
  /** Events per request (product) — the ceiling uses larger transactions, see CEILING_TX. */
  batch: number;
  concurrency: number;
}

export interface ProductRound {
  eventsPerSec: number;
  seconds: number;
  /** The server process's peak resident set (VmHWM), bytes; null where /proc is missing. */
  peakRssBytes: number | null;
  /** Events the server reports stored (sum of GET /v1/events/count over the tenants). */
  stored: number;
}

export interface CeilingRound {
  eventsPerSec: number;
  seconds: number;
}

/** Events per transaction (SQLite) or per COPY (PostgreSQL) in the ceiling loop. */
export const CEILING_TX = 50_000;

/** Runs the load driver (bench/driver.ts) to completion. */
export const drive = (spec: DriverSpec, timeoutMs: number): Promise<DriverResult> =>
  runScript<DriverResult>('driver.ts', spec, timeoutMs);

/**
 * One product round: a fresh server on `db` (an empty SQLite path or PostgreSQL database),
 * ten tenants and their keys over HTTP, then the driver's load; events/s over the load's
 * wall time. Checks every event was accepted once and is counted by the server.
 */
export async function productRound(
  db: string,
  settings: IngestSettings,
  /**
   * Runs once the tenants exist, before the load (the stream part opens live tails here); what
   * it returns runs after the load, before the server stops.
   */
  beside?: (
    server: Server,
    keys: Record<string, string>,
    deployment: Deployment,
  ) => Promise<() => Promise<void>>,
): Promise<ProductRound> {
  const deployment = newDeployment(db);
  return withServer(deployment, async (server) => {
    const keys: Record<string, string> = {};
    for (const tenant of TENANTS) keys[tenant] = await createTenant(server, deployment.adminToken, tenant);
    const after = await beside?.(server, keys, deployment);
    // Generous: a floor of 100 events/s, plus start-up.
    const timeoutMs = 120_000 + settings.events * 10;
    const load = await drive({ url: server.url, keys, ...settings, requestTimeoutMs: 300_000 }, timeoutMs);
    const peakRssBytes = peakRss(server.pid);
    await after?.();
    if (load.sent !== settings.events || load.accepted !== settings.events || load.duplicates !== 0) {
      throw new Error(
        `driver sent ${load.sent}, server accepted ${load.accepted} (${load.duplicates} duplicates)`,
      );
    }
    let stored = 0;
    for (const tenant of TENANTS) {
      stored += (
        (await api(server.url, keys[tenant] as string, 'GET', '/v1/events/count')) as { count: number }
      ).count;
    }
    if (stored !== settings.events)
      throw new Error(`server counts ${stored} events, ${settings.events} sent`);
    return { eventsPerSec: settings.events / load.seconds, seconds: load.seconds, peakRssBytes, stored };
  });
}

/**
 * The ceiling's input, cut into transactions: per event its tenant, per-tenant seq,
 * occurred_at and the JSON the client sent. Generation is not timed.
 */
function* ceilingChunks(settings: IngestSettings): Generator<[string, number, string, string][]> {
  const seqs = new Map<string, number>();
  let rows: [string, number, string, string][] = [];
  const batches = batchCount(settings.events, settings.batch);
  for (let b = 0; b < batches; b++) {
    const { tenant, events } = makeBatch(settings.seed, b, batchSize(settings.events, settings.batch, b));
    let seq = seqs.get(tenant) ?? 0;
    for (const e of events) rows.push([tenant, ++seq, e.occurred_at, JSON.stringify(e)]);
    seqs.set(tenant, seq);
    if (rows.length >= CEILING_TX || b === batches - 1) {
      yield rows;
      rows = [];
    }
  }
}

/**
 * SQLite ceiling: a bare better-sqlite3 loop, one prepared INSERT, CEILING_TX events per
 * transaction, into `(tenant, seq, occurred_at, body)` with only its primary key; same
 * journal (WAL) and durability (synchronous=FULL) as the product's engine.
 */
export function sqliteCeiling(file: string, settings: IngestSettings): CeilingRound {
  const db = new Database(file);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.exec(
      'CREATE TABLE events (tenant TEXT NOT NULL, seq INTEGER NOT NULL, occurred_at TEXT NOT NULL, body TEXT NOT NULL, PRIMARY KEY (tenant, seq))',
    );
    const insert = db.prepare('INSERT INTO events (tenant, seq, occurred_at, body) VALUES (?, ?, ?, ?)');
    const tx = db.transaction((rows: [string, number, string, string][]) => {
      for (const r of rows) insert.run(r);
    });
    let ms = 0;
    for (const rows of ceilingChunks(settings)) {
      const t = performance.now();
      tx(rows);
      ms += performance.now() - t;
    }
    const n = (db.prepare('SELECT count(*) AS n FROM events').get() as { n: number }).n;
    if (n !== settings.events) throw new Error(`SQLite ceiling stored ${n} of ${settings.events}`);
    return { eventsPerSec: settings.events / (ms / 1000), seconds: ms / 1000 };
  } finally {
    db.close();
  }
}

/** COPY text format: backslash, tab, newline and carriage return escaped. */
const field = (v: string | number): string =>
  String(v).replace(
    /[\\\t\n\r]/g,
    (c) => ({ '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' })[c] as string,
  );

/**
 * PostgreSQL ceiling: one connection, one COPY (its own transaction) per CEILING_TX events
 * into `(tenant, seq, occurred_at, body)` with only its primary key, in an empty database.
 */
export async function postgresCeiling(url: string, settings: IngestSettings): Promise<CeilingRound> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(
      'CREATE TABLE events (tenant text NOT NULL, seq bigint NOT NULL, occurred_at timestamptz NOT NULL, body text NOT NULL, PRIMARY KEY (tenant, seq))',
    );
    let ms = 0;
    for (const rows of ceilingChunks(settings)) {
      let text = '';
      for (const r of rows) text += `${r.map(field).join('\t')}\n`;
      const t = performance.now();
      const stream = client.query(copyFrom('COPY events (tenant, seq, occurred_at, body) FROM STDIN'));
      await within(
        new Promise<void>((resolve, reject) => {
          stream.on('error', reject);
          stream.on('finish', resolve);
          stream.end(text);
        }),
        300_000,
        'a COPY',
      );
      ms += performance.now() - t;
    }
    const n = Number((await client.query<{ n: string }>('SELECT count(*) AS n FROM events')).rows[0]?.n);
    if (n !== settings.events) throw new Error(`PostgreSQL ceiling stored ${n} of ${settings.events}`);
    return { eventsPerSec: settings.events / (ms / 1000), seconds: ms / 1000 };
  } finally {
    await client.end();
  }
}
