/**
 * Ingest: the product's figure (a real `trailkeep serve` process fed over HTTP by a separate
 * driver process) and the engine's ceiling (the same events by a bare driver loop into a
 * minimal table), one round each. bench/suite.ts runs the rounds and the report.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { within } from '../test/helpers/wait.js';
import type { DriverResult, DriverSpec } from './driver.js';
import { batchCount, batchSize, makeBatch, TENANTS } from './generate.js';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));

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

/** Every child process this module starts, so the harness can end them whatever happens. */
const children = new Set<ChildProcess>();

export function killChildren(): void {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  children.clear();
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const st = statSync(path);
    newest = Math.max(newest, st.isDirectory() ? newestMtime(path) : st.mtimeMs);
  }
  return newest;
}

/**
 * How to start the server: the built CLI when dist/ exists and is no older than src/ (what
 * `npm start` runs), else the sources through tsx (what `npm run dev` runs). A stale build
 * would measure code that is no longer there.
 */
export function serverCommand(): { args: string[]; label: string } {
  const built = join(ROOT, 'dist', 'cli', 'main.js');
  if (existsSync(built) && statSync(built).mtimeMs >= newestMtime(join(ROOT, 'src'))) {
    return { args: [built, 'serve'], label: 'dist/cli/main.js' };
  }
  return { args: ['--import', 'tsx', join(ROOT, 'src', 'cli', 'main.ts'), 'serve'], label: 'src via tsx' };
}

/** VmHWM (peak resident set) of a live process, in bytes; null off Linux. */
function peakRss(pid: number): number | null {
  try {
    const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m?.[1] ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

interface Server {
  child: ChildProcess;
  pid: number;
  url: string;
  output: () => string;
  exited: Promise<number | string | null>;
}

let cpuProfileDir: string | undefined;

/** From now on, every server started writes a V8 CPU profile (`--cpu-prof`) into `dir` on exit. */
export function profileServersInto(dir: string): void {
  cpuProfileDir = dir;
}

/** `trailkeep serve` on an ephemeral port with the given database; default log level. */
async function startServer(db: string, adminToken: string): Promise<Server> {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('TRAILKEEP_')));
  const flags = cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${cpuProfileDir}`] : [];
  const child = spawn(process.execPath, [...flags, ...serverCommand().args], {
    cwd: ROOT,
    env: {
      ...base,
      TRAILKEEP_PORT: '0',
      TRAILKEEP_DB: db,
      TRAILKEEP_ADMIN_TOKEN: adminToken,
      TRAILKEEP_SECRET: randomBytes(24).toString('hex'),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  // Drained continuously (a full pipe would stall the server); only the tail is kept.
  let out = '';
  const keep = (d: string) => {
    out = (out + d).slice(-20_000);
  };
  child.stdout?.setEncoding('utf8').on('data', keep);
  child.stderr?.setEncoding('utf8').on('data', keep);
  const exited = new Promise<number | string | null>((resolve) =>
    child.on('exit', (code, signal) => resolve(code ?? signal)),
  );
  const url = await within(
    new Promise<string>((resolve, reject) => {
      const look = () => {
        const m = /"url":"(http:\/\/[^"]+)"/.exec(out);
        if (m?.[1]) resolve(m[1]);
      };
      child.stdout?.on('data', look);
      void exited.then((c) => reject(new Error(`server exited with ${c}:\n${out}`)));
    }),
    60_000,
    'the server to listen',
  ).catch((err: Error) => {
    child.kill('SIGKILL');
    throw new Error(`${err.message}\n${out}`);
  });
  return { child, pid: child.pid as number, url, output: () => out, exited };
}

async function api(
  base: string,
  token: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<unknown> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(300_000),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status}: ${text.slice(0, 500)}`);
  return JSON.parse(text);
}

/** Runs the driver process to completion; bounded by `timeoutMs`. */
async function drive(spec: DriverSpec, timeoutMs: number): Promise<DriverResult> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'bench', 'driver.ts')], {
    cwd: ROOT,
    env: { ...process.env, DRIVER_SPEC: JSON.stringify(spec) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    out += d;
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    err = (err + d).slice(-20_000);
  });
  const code = await within(
    new Promise<number | string | null>((resolve) => child.on('exit', (c, s) => resolve(c ?? s))),
    timeoutMs,
    'the load driver',
  ).finally(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    children.delete(child);
  });
  if (code !== 0) throw new Error(`driver exited with ${code}:\n${err}`);
  return JSON.parse(out.trim().split('\n').pop() ?? '') as DriverResult;
}

/**
 * One product round: a fresh server on `db` (an empty SQLite path or PostgreSQL database),
 * ten tenants and their keys over HTTP, then the driver's load; events/s over the load's
 * wall time. Checks every event was accepted once and is counted by the server.
 */
export async function productRound(db: string, settings: IngestSettings): Promise<ProductRound> {
  const adminToken = `bench-admin-${randomBytes(16).toString('hex')}`;
  const server = await startServer(db, adminToken);
  try {
    const keys: Record<string, string> = {};
    for (const tenant of TENANTS) {
      await api(server.url, adminToken, 'POST', '/v1/tenants', { id: tenant, name: tenant });
      const key = (await api(server.url, adminToken, 'POST', `/v1/tenants/${tenant}/keys`, {
        name: 'bench',
        scopes: ['events:write', 'events:read'],
      })) as { secret: string };
      keys[tenant] = key.secret;
    }
    // Generous: a floor of 100 events/s, plus start-up.
    const timeoutMs = 120_000 + settings.events * 10;
    const load = await drive({ url: server.url, keys, ...settings, requestTimeoutMs: 300_000 }, timeoutMs);
    const peakRssBytes = peakRss(server.pid);
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
  } finally {
    server.child.kill('SIGTERM');
    await within(server.exited, 30_000, 'the server to stop').catch(() => server.child.kill('SIGKILL'));
    children.delete(server.child);
  }
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
