/**
 * The Genesys async query over the whole dataset: the product creates the query job, which is
 * polled until `Succeeded`, then every result is paged through (pageSize 500, the most Genesys
 * allows); the ceiling runs what the job runs (a count at the tenant's last seq) as one
 * statement, then walks the same result set in the same pages by keyset.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Engine } from './databases.js';
import type { Dataset } from './dataset.js';
import { openBare } from './query-ceiling.js';
import type { Logical } from './query-kinds.js';
import { productSide } from './query-sides.js';
import { snapshotCountFor, statementFor } from './query-sql.js';
import { type Percentiles, percentiles } from './stats.js';

export const RESULT_PAGE = 500;
const POLL_MS = 25;
const SUCCEED_WITHIN_MS = 600_000;

export interface AsyncRun {
  /** Product: from creating the job to seeing it Succeeded (polled every 25 ms); ceiling: the count. */
  succeededSeconds: number;
  pages: number;
  rows: number;
  /** Reading every page, one after the other. */
  pagingSeconds: number;
  pageMs: Percentiles;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** Every event of the dataset: its whole span. */
const everything = (d: Dataset): Logical => ({
  from: d.start,
  to: d.end,
  order: 'desc',
  limit: RESULT_PAGE + 1,
});

async function timed<T>(ms: number[], work: () => Promise<T>): Promise<T> {
  const started = performance.now();
  const out = await work();
  ms.push(performance.now() - started);
  return out;
}

export async function productAsync(url: string, key: string, d: Dataset): Promise<AsyncRun> {
  const side = productSide(url, key);
  try {
    const body = async (path: string, post?: unknown) => {
      const reply = await side.call({ method: post ? 'POST' : 'GET', path, body: post, auth: 'bearer' });
      if (reply.status !== 200) throw new Error(`${path}: HTTP ${reply.status}: ${reply.text.slice(0, 300)}`);
      return JSON.parse(reply.text) as Record<string, unknown>;
    };
    const started = performance.now();
    const job = await body('/api/v2/audits/query', { interval: `${iso(d.start)}/${iso(d.end)}` });
    const status = `/api/v2/audits/query/${encodeURIComponent(String(job.id))}`;
    for (let state = job.state; state !== 'Succeeded'; state = (await body(status)).state) {
      if (state === 'Failed' || state === 'Cancelled') throw new Error(`the Genesys query job is ${state}`);
      if (performance.now() - started > SUCCEED_WITHIN_MS)
        throw new Error('the Genesys query job never succeeded');
      await sleep(POLL_MS);
    }
    const succeededSeconds = (performance.now() - started) / 1000;
    const pageMs: number[] = [];
    let rows = 0;
    let cursor: unknown;
    const pagingStarted = performance.now();
    do {
      const page = await timed(pageMs, () =>
        body(
          `${status}/results?pageSize=${RESULT_PAGE}${cursor ? `&cursor=${encodeURIComponent(String(cursor))}` : ''}`,
        ),
      );
      rows += (page.entities as unknown[]).length;
      cursor = page.cursor;
    } while (cursor);
    const pagingSeconds = (performance.now() - pagingStarted) / 1000;
    if (rows !== d.total) throw new Error(`the Genesys query's pages held ${rows} audits of ${d.total}`);
    return { succeededSeconds, pages: pageMs.length, rows, pagingSeconds, pageMs: percentiles(pageMs) };
  } finally {
    await side.close();
  }
}

export async function ceilingAsync(engine: Engine, db: string, d: Dataset): Promise<AsyncRun> {
  const bare = await openBare(engine, db);
  try {
    const all = everything(d);
    const started = performance.now();
    const [counted] = await bare.rows(snapshotCountFor(engine, d.tenant, all));
    const succeededSeconds = (performance.now() - started) / 1000;
    if (Number(counted?.n) !== d.total) throw new Error(`ceiling: counted ${counted?.n} of ${d.total}`);
    // The job's snapshot, read once as the job does; the pages then read up to it.
    const [last] = await bare.rows(
      engine === 'sqlite'
        ? { sql: 'SELECT last_seq AS n FROM tenants WHERE id = ?', params: [d.tenant] }
        : { sql: 'SELECT last_seq AS n FROM tenants WHERE id = $1', params: [d.tenant] },
    );
    const pageMs: number[] = [];
    let rows = 0;
    let page: Logical = { ...all, maxSeq: Number(last?.n) };
    const pagingStarted = performance.now();
    for (;;) {
      const statement = statementFor(engine, d.tenant, page);
      const got = await timed(pageMs, () => bare.rows(statement));
      const shown = got.slice(0, RESULT_PAGE);
      rows += shown.length;
      const end = shown.at(-1);
      if (got.length <= RESULT_PAGE || !end) break;
      page = { ...page, after: { occurredAt: Number(end.at), seq: Number(end.seq) } };
    }
    const pagingSeconds = (performance.now() - pagingStarted) / 1000;
    if (rows !== d.total) throw new Error(`ceiling: the pages held ${rows} events of ${d.total}`);
    return { succeededSeconds, pages: pageMs.length, rows, pagingSeconds, pageMs: percentiles(pageMs) };
  } finally {
    await bare.close();
  }
}
