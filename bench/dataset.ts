/**
 * The query and export dataset: the generator's events, all in one tenant, evenly over the 90
 * days that end at 00:00 UTC of the day the run starts, loaded through the real server over
 * HTTP by the ingest driver. Ending at the run's own day puts data where clients look: the last
 * 14 days (the Genesys realtime window at its default) and times such as `today-3d` (Agilicus)
 * land on events without changing any server setting. Within a day the dataset is the same byte
 * for byte; across days it shifts by whole days.
 */

import { type BenchEvent, batchCount, batchSize, makeBatch, type Timeline } from './generate.js';
import { drive } from './ingest.js';
import { api, createTenant, type Deployment, newDeployment, type Server, withServer } from './server.js';

export const QUERY_TENANT = 'bench-query';
export const DAY_MS = 86_400_000;
export const SPAN_DAYS = 90;

export interface Dataset extends Timeline {
  seed: number;
  /** 00:00 UTC of the run's first day: the span's end, and `today` for relative times. */
  end: number;
}

export function queryDataset(seed: number, events: number, now = Date.now()): Dataset {
  const end = Math.floor(now / DAY_MS) * DAY_MS;
  const spanMs = SPAN_DAYS * DAY_MS;
  return { seed, tenant: QUERY_TENANT, start: end - spanMs, spanMs, total: events, batch: 500, end };
}

const timelineOf = ({ tenant, start, spanMs, total, batch }: Dataset): Timeline => ({
  tenant,
  start,
  spanMs,
  total,
  batch,
});

const batches = new Map<string, BenchEvent[]>();

/** Event `k` (0-based, in load order) of the dataset, remade from its batch (a few cached). */
export function eventAt(d: Dataset, k: number): BenchEvent {
  const b = Math.floor(k / d.batch);
  const key = `${d.seed}/${d.total}/${d.end}/${b}`;
  let events = batches.get(key);
  if (!events) {
    if (batches.size >= 256) batches.clear();
    events = makeBatch(d.seed, b, batchSize(d.total, d.batch, b), timelineOf(d)).events;
    batches.set(key, events);
  }
  return events[k % d.batch] as BenchEvent;
}

export interface Loaded {
  deployment: Deployment;
  /** An API key of the dataset's tenant (events:read and events:write). */
  key: string;
  seconds: number;
  eventsPerSec: number;
}

/**
 * Drives the dataset's events into its tenant on a running server (the tenant's key in `key`),
 * and checks each was accepted once and the tenant then counts `count` events (the dataset's
 * own when it was empty). Seconds of load.
 */
export async function appendDataset(
  server: Server,
  key: string,
  d: Dataset,
  count = d.total,
): Promise<number> {
  const load = await drive(
    {
      url: server.url,
      keys: { [d.tenant]: key },
      seed: d.seed,
      events: d.total,
      batch: d.batch,
      concurrency: 8,
      requestTimeoutMs: 300_000,
      timeline: timelineOf(d),
    },
    120_000 + d.total * 10,
  );
  if (load.accepted !== d.total || load.duplicates !== 0 || load.requests !== batchCount(d.total, d.batch)) {
    throw new Error(`dataset: ${load.accepted} of ${d.total} accepted, ${load.duplicates} duplicates`);
  }
  const counted = ((await api(server.url, key, 'GET', '/v1/events/count')) as { count: number }).count;
  if (counted !== count) throw new Error(`dataset: the server counts ${counted} events, ${count} expected`);
  return load.seconds;
}

/**
 * Loads the dataset into the empty database `db` through a server of its own (default settings
 * but for `env`), which is then stopped: the servers that are measured start on the loaded
 * database, so their peak RSS is their queries' and exports', not the load's.
 */
export async function loadDataset(db: string, d: Dataset, env: Record<string, string> = {}): Promise<Loaded> {
  const deployment = newDeployment(db);
  return withServer(
    deployment,
    async (server) => {
      const key = await createTenant(server, deployment.adminToken, d.tenant);
      const seconds = await appendDataset(server, key, d);
      return { deployment, key, seconds, eventsPerSec: d.total / seconds };
    },
    env,
  );
}
