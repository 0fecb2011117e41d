/**
 * Queries: on the loaded dataset, a server started for the queries alone; per round every kind
 * on the product (driver over HTTP) and on the ceiling (bare driver), in alternating order so
 * that neither always meets the warmer cache, each answer's size compared across the two; then
 * the Genesys async query, as many times as there are rounds. Figures are each percentile's
 * median over the rounds, with min and max; the server's peak RSS is read at the end.
 */
import { runScript } from './children.js';
import type { Engine } from './databases.js';
import type { Dataset, Loaded } from './dataset.js';
import type { AsyncRun } from './genesys-async.js';
import type { KindRun, QueryDriverResult, QueryDriverSpec } from './query-driver.js';
import { KINDS } from './query-kinds.js';
import type { SideSpec } from './query-sides.js';
import { peakRss, withServer } from './server.js';
import { type Percentiles, percentileStats, type Stat, stat } from './stats.js';
import { asyncCheck, type Check, deepCheck, pageChecks } from './targets.js';

export interface QuerySettings {
  rounds: number;
  /** Timed requests per kind per round. */
  requests: number;
  /** Untimed requests before them, per kind per round. */
  warmup: number;
}

export interface SideStats extends Record<keyof Percentiles, Stat> {
  rounds: Percentiles[];
}

export interface KindResult {
  kind: string;
  label: string;
  page: boolean;
  /** Mean rows an answer showed (product). */
  rows: number;
  depth?: number;
  product: SideStats;
  ceiling: SideStats;
  /** Product p50 − ceiling p50 (medians over rounds), ms. */
  gapP50Ms: number;
  checks: Check[];
}

export interface AsyncStats {
  rounds: AsyncRun[];
  succeededSeconds: Stat;
  pagingSeconds: Stat;
  pageP50Ms: Stat;
}

export interface QueryEngineResult {
  engine: Engine;
  events: number;
  kinds: KindResult[];
  genesysAsync: { pages: number; product: AsyncStats; ceiling: AsyncStats; checks: Check[] };
  /** The query server's peak resident set (VmHWM), start-up included; null off Linux. */
  peakRssBytes: number | null;
}

type Side = 'product' | 'ceiling';

/** Odd rounds run the product first, even rounds the ceiling. */
const turns = (round: number): Side[] => (round % 2 ? ['product', 'ceiling'] : ['ceiling', 'product']);

/** The same request must get the same answer size from both sides, else one of them asks something else. */
export function compareSizes(product: KindRun[], ceiling: KindRun[]): void {
  for (const p of product) {
    const c = ceiling.find((k) => k.kind === p.kind);
    p.sizes.forEach((size, i) => {
      const other = c?.sizes[i] ?? -1;
      if (size >= 0 && other >= 0 && size !== other) {
        throw new Error(
          `${p.kind}: timed request ${i} answered ${size} on the product, ${other} on the ceiling`,
        );
      }
    });
  }
}

const sideStats = (runs: KindRun[][], kind: string): SideStats => {
  const rounds = runs.map((r) => r.find((k) => k.kind === kind)?.ms as Percentiles);
  return { rounds, ...percentileStats(rounds) };
};

const asyncStats = (rounds: AsyncRun[]): AsyncStats => ({
  rounds,
  succeededSeconds: stat(rounds.map((r) => r.succeededSeconds)),
  pagingSeconds: stat(rounds.map((r) => r.pagingSeconds)),
  pageP50Ms: stat(rounds.map((r) => r.pageMs.p50)),
});

function kindResults(engine: Engine, runs: Record<Side, KindRun[][]>): KindResult[] {
  const results = KINDS.map((kind): KindResult => {
    const product = sideStats(runs.product, kind.name);
    const ceiling = sideStats(runs.ceiling, kind.name);
    const last = runs.product.at(-1)?.find((k) => k.kind === kind.name);
    const gapP50Ms = product.p50.median - ceiling.p50.median;
    return {
      kind: kind.name,
      label: kind.label,
      page: kind.page,
      rows: last?.rows ?? 0,
      ...(last?.depth ? { depth: last.depth } : {}),
      product,
      ceiling,
      gapP50Ms,
      checks: kind.page ? pageChecks(engine, product.p95.median, gapP50Ms) : [],
    };
  });
  const first = results.find((r) => r.kind === 'list');
  const deep = results.find((r) => r.kind === 'deep');
  if (first && deep) deep.checks.push(deepCheck(deep.product.p50.median, first.product.p50.median));
  return results;
}

export async function queryPart(
  engine: Engine,
  loaded: Loaded,
  d: Dataset,
  settings: QuerySettings,
  log: (line: string) => void,
): Promise<QueryEngineResult> {
  return withServer(loaded.deployment, async (server) => {
    const sides: Record<Side, SideSpec> = {
      product: { side: 'product', url: server.url, key: loaded.key },
      ceiling: { side: 'ceiling', engine, db: loaded.deployment.db, tenant: d.tenant },
    };
    const base = { dataset: d, kinds: KINDS.map((k) => k.name), ...settings };
    const drive = (task: QueryDriverSpec['task'], side: Side, timeoutMs: number) =>
      runScript<QueryDriverResult>('query-driver.ts', { ...base, task, side: sides[side] }, timeoutMs);

    const runs: Record<Side, KindRun[][]> = { product: [], ceiling: [] };
    // Generous: 2 s a request on average, plus start-up.
    const kindsTimeout = 300_000 + KINDS.length * (settings.warmup + settings.requests) * 2_000;
    for (let r = 1; r <= settings.rounds; r++) {
      for (const side of turns(r)) {
        const out = await drive('kinds', side, kindsTimeout);
        if (!('kinds' in out)) throw new Error('the query driver answered no kinds');
        runs[side].push(out.kinds);
      }
      compareSizes(runs.product.at(-1) as KindRun[], runs.ceiling.at(-1) as KindRun[]);
      const p50 = (side: Side) => stat((runs[side].at(-1) as KindRun[]).map((k) => k.ms.p50)).median;
      log(
        `  ${engine} queries round ${r}/${settings.rounds}: ${KINDS.length} kinds × ${settings.requests} requests, ` +
          `median p50 ${p50('product').toFixed(2)} ms (ceiling ${p50('ceiling').toFixed(2)} ms)`,
      );
    }

    const asyncRuns: Record<Side, AsyncRun[]> = { product: [], ceiling: [] };
    const asyncTimeout = 900_000 + d.total * 10;
    for (let r = 1; r <= settings.rounds; r++) {
      for (const side of turns(r)) {
        const out = await drive('genesys-async', side, asyncTimeout);
        if (!('async' in out)) throw new Error('the query driver answered no async run');
        asyncRuns[side].push(out.async);
      }
      const p = asyncRuns.product.at(-1) as AsyncRun;
      log(
        `  ${engine} Genesys async ${r}/${settings.rounds}: Succeeded after ${p.succeededSeconds.toFixed(2)} s, ` +
          `${p.pages} pages in ${p.pagingSeconds.toFixed(1)} s`,
      );
    }
    const product = asyncStats(asyncRuns.product);
    return {
      engine,
      events: d.total,
      kinds: kindResults(engine, runs),
      genesysAsync: {
        pages: asyncRuns.product[0]?.pages ?? 0,
        product,
        ceiling: asyncStats(asyncRuns.ceiling),
        checks: [asyncCheck(product.succeededSeconds.median)],
      },
      peakRssBytes: peakRss(server.pid),
    };
  });
}
