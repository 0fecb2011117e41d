/**
 * Exports: every event of the dataset's tenant to CSV and to NDJSON through the native jobs API
 * (create, poll until succeeded, download the whole file over HTTP), each export on a server
 * started for it alone so its peak RSS is that export's. Events/s runs from creating the job to
 * the last byte downloaded; the job's own time (started → finished, the server's clock) is kept
 * too. The ceiling: every stored event's JSON, oldest first, read by one statement through a
 * bare driver (what any export must read, without rendering or HTTP).
 */
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { within } from '../test/helpers/wait.js';
import type { Engine } from './databases.js';
import type { Dataset, Loaded } from './dataset.js';
import { int, mib } from './format.js';
import { api, peakRss, withServer } from './server.js';
import { type Stat, stat } from './stats.js';
import { type Check, exportChecks } from './targets.js';

export const EXPORT_FORMATS = ['csv', 'ndjson'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export interface ExportRound {
  rows: number;
  bytes: number;
  /** Job creation to the last byte downloaded. */
  seconds: number;
  /** The job's started_at → finished_at. */
  jobSeconds: number;
  eventsPerSec: number;
  jobEventsPerSec: number;
  peakRssBytes: number | null;
}

export interface CeilingRead {
  rows: number;
  seconds: number;
  eventsPerSec: number;
}

export interface FormatResult {
  format: ExportFormat;
  rounds: ExportRound[];
  eventsPerSec: Stat;
  jobEventsPerSec: Stat;
  bytes: number;
  /** The highest of the rounds' servers. */
  peakRssBytes: number | null;
  checks: Check[];
}

export interface ExportEngineResult {
  engine: Engine;
  events: number;
  formats: FormatResult[];
  ceiling: { rounds: CeilingRead[]; eventsPerSec: Stat };
}

interface ExportJob {
  id: string;
  state: string;
  started_at: string | null;
  finished_at: string | null;
  rows: number | null;
  download_url: string | null;
}

const POLL_MS = 20;
const WAIT_MS = 1_800_000;

/** Reads the whole download, counting bytes and lines (one per event, plus the CSV header). */
function download(url: string, key: string): Promise<{ bytes: number; lines: number; length: number }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers: { authorization: `Bearer ${key}` } }, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        reject(new Error(`download: HTTP ${res.statusCode}`));
        return;
      }
      let bytes = 0;
      let lines = 0;
      res.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, i + 1)) lines++;
      });
      res.on('end', () => resolve({ bytes, lines, length: Number(res.headers['content-length']) }));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

async function productExport(loaded: Loaded, d: Dataset, format: ExportFormat): Promise<ExportRound> {
  return withServer(loaded.deployment, async (server) => {
    const call = (method: string, path: string, body?: unknown) =>
      api(server.url, loaded.key, method, path, body) as Promise<ExportJob>;
    const started = performance.now();
    let job = await call('POST', '/v1/exports', { format });
    while (job.state !== 'succeeded') {
      if (job.state === 'failed' || job.state === 'cancelled')
        throw new Error(`the ${format} export ${job.state}`);
      if (performance.now() - started > WAIT_MS) throw new Error(`the ${format} export never finished`);
      await sleep(POLL_MS);
      job = await call('GET', `/v1/exports/${job.id}`);
    }
    const file = await within(download(job.download_url as string, loaded.key), WAIT_MS, 'the download');
    const seconds = (performance.now() - started) / 1000;
    const peakRssBytes = peakRss(server.pid);
    const rows = job.rows ?? 0;
    const header = format === 'csv' ? 1 : 0;
    if (rows !== d.total || file.lines !== rows + header || file.bytes !== file.length) {
      throw new Error(
        `the ${format} export: ${rows} rows of ${d.total}, ${file.lines} lines, ${file.bytes} of ${file.length} bytes`,
      );
    }
    const jobSeconds = (Date.parse(job.finished_at ?? '') - Date.parse(job.started_at ?? '')) / 1000;
    // Deleted once read, as a client that is done with it would: the tenant's kept exports count
    // against its storage quota (TRAILKEEP_TENANT_EXPORT_BYTES), which a few rounds would fill.
    await call('DELETE', `/v1/exports/${job.id}`);
    return {
      rows,
      bytes: file.bytes,
      seconds,
      jobSeconds,
      eventsPerSec: rows / seconds,
      jobEventsPerSec: rows / jobSeconds,
      peakRssBytes,
    };
  });
}

const ORDERED_BODIES = 'SELECT body FROM events WHERE tenant = ? ORDER BY occurred_at, seq';

function sqliteRead(file: string, tenant: string): number {
  const db = new Database(file);
  try {
    let rows = 0;
    for (const body of db.prepare(ORDERED_BODIES).pluck().iterate(tenant)) if (body) rows++;
    return rows;
  } finally {
    db.close();
  }
}

/** COPY … TO STDOUT streams the rows without a cursor's round trips (COPY takes no parameters). */
async function postgresRead(url: string, tenant: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const literal = `'${tenant.replaceAll("'", "''")}'`;
    const stream = client.query(copyTo(`COPY (${ORDERED_BODIES.replace('?', literal)}) TO STDOUT`));
    let rows = 0;
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, i + 1)) rows++;
    }
    return rows;
  } finally {
    await client.end();
  }
}

async function ceilingRead(engine: Engine, db: string, d: Dataset): Promise<CeilingRead> {
  const started = performance.now();
  const rows = engine === 'sqlite' ? sqliteRead(db, d.tenant) : await postgresRead(db, d.tenant);
  const seconds = (performance.now() - started) / 1000;
  if (rows !== d.total) throw new Error(`export ceiling: read ${rows} of ${d.total}`);
  return { rows, seconds, eventsPerSec: rows / seconds };
}

export async function exportPart(
  engine: Engine,
  loaded: Loaded,
  d: Dataset,
  rounds: number,
  log: (line: string) => void,
): Promise<ExportEngineResult> {
  const product: Record<ExportFormat, ExportRound[]> = { csv: [], ndjson: [] };
  const ceiling: CeilingRead[] = [];
  for (let r = 1; r <= rounds; r++) {
    // The ceiling goes first in even rounds, so neither side always meets the warmer cache.
    if (r % 2 === 0) ceiling.push(await ceilingRead(engine, loaded.deployment.db, d));
    for (const format of EXPORT_FORMATS) product[format].push(await productExport(loaded, d, format));
    if (r % 2 === 1) ceiling.push(await ceilingRead(engine, loaded.deployment.db, d));
    const line = EXPORT_FORMATS.map((f) => {
      const x = product[f].at(-1) as ExportRound;
      return `${f} ${int(x.eventsPerSec)} events/s (peak RSS ${mib(x.peakRssBytes)})`;
    });
    const c = ceiling.at(-1) as CeilingRead;
    log(
      `  ${engine} exports round ${r}/${rounds}: ${line.join(', ')}; ceiling ${int(c.eventsPerSec)} events/s`,
    );
  }
  return {
    engine,
    events: d.total,
    formats: EXPORT_FORMATS.map((format): FormatResult => {
      const xs = product[format];
      const rss = xs.map((x) => x.peakRssBytes).filter((b): b is number => b !== null);
      const peakRssBytes = rss.length ? Math.max(...rss) : null;
      const eventsPerSec = stat(xs.map((x) => x.eventsPerSec));
      return {
        format,
        rounds: xs,
        eventsPerSec,
        jobEventsPerSec: stat(xs.map((x) => x.jobEventsPerSec)),
        bytes: xs[0]?.bytes ?? 0,
        peakRssBytes,
        checks: exportChecks(eventsPerSec.median, peakRssBytes),
      };
    }),
    ceiling: { rounds: ceiling, eventsPerSec: stat(ceiling.map((c) => c.eventsPerSec)) },
  };
}
