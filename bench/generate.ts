/**
 * Deterministic, realistic audit events for the benchmarks. The same seed gives the same
 * events byte for byte on every machine, so runs are comparable and, since every event has a
 * client id, idempotent. Any batch can be made on its own (its PRNG is seeded from the run's
 * seed and the batch's index), so the driver and the ceiling stream the same events without
 * holding them all in memory.
 *
 * Shape: 10 tenants (batch b belongs to tenant b mod 10); actors, targets and actions drawn
 * from fixed vocabularies by Zipf (s = 1.1), as real audit logs are dominated by a few busy
 * users and a few common actions; about a third of events carry `changes`; about 600 bytes of
 * JSON each; `occurred_at` within 90 days from a fixed instant (three monthly partitions on
 * PostgreSQL), increasing within a batch.
 *
 * A `Timeline` (the query dataset, bench/dataset.ts) changes only where the events go: every
 * batch into one tenant, and the run's events evenly over a time span, in order, so a time range
 * holds a predictable share of them. The rest (ids, actors, targets, text) is the same event for
 * event, so both layouts draw from the same distributions.
 */

/** mulberry32: a tiny 32-bit PRNG, ample for sampling (not for anything secret). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Samples ranks 0..n-1 with P(k) ∝ 1/(k+1)^s, by binary search over the cumulative weights. */
export function zipf(n: number, s = 1.1): (random: () => number) => number {
  const cdf = new Float64Array(n);
  let total = 0;
  for (let k = 0; k < n; k++) {
    total += 1 / (k + 1) ** s;
    cdf[k] = total;
  }
  return (random) => {
    const u = random() * total;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((cdf[mid] as number) < u) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

export const TENANTS = Array.from({ length: 10 }, (_, i) => `bench-t${String(i).padStart(2, '0')}`);
export const DEFAULT_SEED = 20_260_101;
/** 2026-01-01T00:00:00Z: fixed, so the same seed gives the same timestamps on any day. */
const EPOCH = Date.UTC(2026, 0, 1);
const SPAN_MS = 90 * 86_400_000;

const FIRST = ['Ada', 'Grace', 'Alan', 'Edsger', 'Barbara', 'Donald', 'Frances', 'Ken', 'Margaret', 'Linus'];
const LAST = ['Lovelace', 'Hopper', 'Turing', 'Dijkstra', 'Liskov', 'Knuth', 'Allen', 'Thompson', 'Hamilton'];
const ACTIONS: [action: string, category: 'admin' | 'auth' | 'data' | 'system', service: string][] = [
  ['user.login', 'auth', 'Directory'],
  ['ticket.update', 'data', 'Support'],
  ['ticket.view', 'data', 'Support'],
  ['user.logout', 'auth', 'Directory'],
  ['role.update', 'admin', 'Directory'],
  ['report.export', 'data', 'Analytics'],
  ['user.update', 'admin', 'Directory'],
  ['queue.update', 'admin', 'Routing'],
  ['key.create', 'admin', 'Platform'],
  ['key.revoke', 'admin', 'Platform'],
  ['user.create', 'admin', 'Directory'],
  ['integration.update', 'admin', 'Platform'],
  ['mfa.challenge', 'auth', 'Directory'],
  ['user.delete', 'admin', 'Directory'],
  ['retention.update', 'system', 'Platform'],
];
const TARGET_TYPES = ['ticket', 'user', 'queue', 'role', 'report', 'integration'];
const FIELDS = ['status', 'priority', 'assignee', 'role', 'email', 'queue', 'tags', 'timezone'];
const VALUES = ['open', 'pending', 'solved', 'high', 'low', 'Agent', 'Admin', 'Supervisor', 'billing', 'vip'];
const AGENTS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15',
  'trailkeep-sdk-go/1.4.2',
  'curl/8.7.1',
];

const actorRank = zipf(5_000);
const targetRank = zipf(50_000);
const actionRank = zipf(ACTIONS.length);
const fieldRank = zipf(FIELDS.length);
const valueRank = zipf(VALUES.length);

/** Event input as a client posts it (the canonical schema's JSON). */
export type BenchEvent = Record<string, unknown> & { id: string; occurred_at: string };

export interface Batch {
  index: number;
  tenant: string;
  events: BenchEvent[];
}

/**
 * One tenant's events spread evenly over [start, start + spanMs): event k of the run's `total`
 * (batches of `batch`) occurs at start + (k + u)·spanMs/total, u uniform in [0, 1), so times
 * increase with k as a live log's would.
 */
export interface Timeline {
  tenant: string;
  start: number;
  spanMs: number;
  total: number;
  batch: number;
}

const pick = <T>(xs: readonly T[], i: number): T => xs[i % xs.length] as T;

/**
 * Batch `index` of the run `seed`: `size` events for tenant TENANTS[index mod 10] at random
 * times, or for `timeline.tenant` at their places on that timeline.
 */
export function makeBatch(seed: number, index: number, size: number, timeline?: Timeline): Batch {
  const random = mulberry32((seed ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0);
  const tenant = timeline ? timeline.tenant : pick(TENANTS, index);
  // Drawn in both layouts, so every later draw (and so every event's content) is the same.
  let at = EPOCH + Math.floor(random() * SPAN_MS);
  const gap = timeline ? timeline.spanMs / timeline.total : 0;
  const events: BenchEvent[] = [];
  for (let i = 0; i < size; i++) {
    const step = random();
    at = timeline
      ? timeline.start + Math.floor((index * timeline.batch + i + step) * gap)
      : at + Math.floor(step * 2_000);
    const a = actorRank(random);
    const name = `${pick(FIRST, a)} ${pick(LAST, Math.floor(a / FIRST.length))}`;
    const [action, category, service] = pick(ACTIONS, actionRank(random));
    const t = targetRank(random);
    const targetType = pick(TARGET_TYPES, t);
    const event: BenchEvent = {
      id: `bench-${seed}-${index}-${i}`,
      occurred_at: new Date(timeline ? at : Math.min(at, EPOCH + SPAN_MS - 1)).toISOString(),
      action,
      category,
      outcome: random() < 0.04 ? 'failure' : 'success',
      service,
      actor: {
        id: `u-${100_000 + a}`,
        type: 'user',
        name,
        email: `${name.toLowerCase().replace(' ', '.')}.${a}@example.com`,
      },
      source: {
        ip: [`203.0.${(a >>> 8) & 255}.${(a % 254) + 1}`],
        user_agent: pick(AGENTS, a),
        session_id: `sess-${a}-${Math.floor(random() * 8)}`,
        request_id: `req-${Math.floor(random() * 2 ** 32)
          .toString(16)
          .padStart(8, '0')}`,
      },
      target: { type: targetType, id: `${targetType}-${200_000 + t}`, name: `${targetType} #${200_000 + t}` },
      description: `${name} performed ${action} on ${targetType} ${200_000 + t} via ${service}`,
    };
    if (random() < 1 / 3) {
      const n = 1 + Math.floor(random() * 2);
      event.changes = Array.from({ length: n }, () => ({
        field: pick(FIELDS, fieldRank(random)),
        old: [pick(VALUES, valueRank(random))],
        new: [pick(VALUES, valueRank(random))],
      }));
    }
    events.push(event);
  }
  return { index, tenant, events };
}

/** How many batches `events` events make (the last one may be short). */
export const batchCount = (events: number, size: number): number => Math.ceil(events / size);

/** Size of batch `index` when `events` events are cut into batches of `size`. */
export const batchSize = (events: number, size: number, index: number): number =>
  Math.min(size, events - index * size);
