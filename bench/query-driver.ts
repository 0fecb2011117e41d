/**
 * The query driver, run as its own process (bench/queries.ts runs it), on one side: the product
 * over HTTP or the ceiling's bare driver. Per kind it draws `warmup + requests` requests, sends
 * them one at a time (one in flight: each figure is a request's own latency, not a queue's),
 * times the `requests` after the warm-up and prints one JSON line: per kind the percentiles,
 * the mean rows shown, and each timed answer's size, which the harness compares across sides.
 * Task `genesys-async` instead runs the Genesys async query once (bench/genesys-async.ts).
 *
 * Input: a JSON `QueryDriverSpec` (children.ts, runScript).
 */
import { specOf } from './children.js';
import { DAY_MS, type Dataset } from './dataset.js';
import { type AsyncRun, ceilingAsync, productAsync } from './genesys-async.js';
import { type Kind, kindNamed, type QueryRequest } from './query-kinds.js';
import { openSide, type SideSpec } from './query-sides.js';
import { type Percentiles, percentiles } from './stats.js';

export interface QueryDriverSpec {
  task: 'kinds' | 'genesys-async';
  side: SideSpec;
  dataset: Dataset;
  kinds: string[];
  requests: number;
  warmup: number;
}

export interface KindRun {
  kind: string;
  ms: Percentiles;
  /** Mean rows an answer showed. */
  rows: number;
  /** Each timed answer's size (rows shown, or the count or total); -1 where it was not checked. */
  sizes: number[];
  /** Deep pages: how deep the timed pages start. */
  depth?: number;
}

export type QueryDriverResult = { kinds: KindRun[] } | { async: AsyncRun };

/** How deep the deep kind's timed pages are: 100 pages, or half the list when it is shorter. */
export const deepDepth = (events: number, page: number): number =>
  Math.max(1, Math.min(100, Math.floor(Math.ceil(events / page) / 2)));

const spec = specOf<QueryDriverSpec>();

/**
 * A relative time (`today-3d`) means what the dataset's day says only on that day: after
 * midnight UTC the answers may legitimately differ, so they are not checked.
 */
const checkable = (kind: Kind, d: Dataset) =>
  !kind.relative || Math.floor(Date.now() / DAY_MS) * DAY_MS === d.end;

async function runKind(kind: Kind): Promise<KindRun> {
  const side = await openSide(spec.side);
  try {
    const n = spec.warmup + spec.requests;
    let requests: QueryRequest[];
    let depth: number | undefined;
    if (kind.deep) {
      depth = deepDepth(spec.dataset.total, kind.shown);
      const found = await side.deepRequests(kind, kind.draw(spec.dataset, 0), depth, n);
      if (found.length === 0) throw new Error(`${kind.name}: no page ${depth + 1}`);
      requests = Array.from({ length: n }, (_, i) => found[i % found.length] as QueryRequest);
    } else {
      requests = Array.from({ length: n }, (_, i) => kind.draw(spec.dataset, i));
    }
    const ms: number[] = [];
    const sizes: number[] = [];
    let rows = 0;
    for (const [i, req] of requests.entries()) {
      const check = checkable(kind, spec.dataset);
      const t = await side.send(kind, req, check);
      if (i < spec.warmup) continue;
      ms.push(t.ms);
      sizes.push(check ? t.answer.size : -1);
      rows += t.answer.rows;
    }
    return {
      kind: kind.name,
      ms: percentiles(ms),
      rows: rows / ms.length,
      sizes,
      ...(depth ? { depth } : {}),
    };
  } finally {
    await side.close();
  }
}

async function main(): Promise<QueryDriverResult> {
  if (spec.task === 'genesys-async') {
    const s = spec.side;
    return {
      async:
        s.side === 'product'
          ? await productAsync(s.url, s.key, spec.dataset)
          : await ceilingAsync(s.engine, s.db, spec.dataset),
    };
  }
  const kinds: KindRun[] = [];
  for (const name of spec.kinds) kinds.push(await runKind(kindNamed(name)));
  return { kinds };
}

process.stdout.write(`${JSON.stringify(await main())}\n`);
