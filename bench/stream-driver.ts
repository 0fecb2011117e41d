/**
 * The live-tail driver, run as its own process (bench/stream.ts runs it): it opens `streams`
 * streams of one tenant (GET /v1/events/stream, no filter), then writes that tenant's events
 * and watches them arrive on every stream. One process holds both ends, so an event's commit
 * acknowledgement (the ingest answer) and its arrival on each stream are read on one clock.
 *
 * - `steady`: `rate` events/s in batches of `batch` for `seconds`, sent on schedule whatever
 *   the answers' latency; per stream and event, the delay from the acknowledgement to arrival.
 * - `burst`: `events` as fast as `concurrency` requests in flight allow; how fast every stream
 *   has them all.
 *
 * Every stream must receive every event once, in seq order; the driver fails otherwise.
 * Input: a JSON `StreamDriverSpec` (children.ts, runScript); output: one JSON line.
 */
import http from 'node:http';
import { sleep } from '../test/helpers/wait.js';
import { specOf } from './children.js';
import { makeBatch } from './generate.js';
import { request } from './http.js';
import { openTail } from './sse-tail.js';
import { type Percentiles, percentiles } from './stats.js';

export interface StreamDriverSpec {
  url: string;
  /** Read keys of the tenant; stream i uses key i mod their number (the per-credential cap). */
  readKeys: string[];
  writeKey: string;
  streams: number;
  seed: number;
  batch: number;
  load:
    | { kind: 'steady'; rate: number; seconds: number }
    | { kind: 'burst'; events: number; concurrency: number };
  /** How long the streams may take to catch up once the last event is acknowledged. */
  catchUpMs: number;
}

export interface StreamDriverResult {
  streams: number;
  events: number;
  /** From the first request to the last acknowledgement. */
  ingestSeconds: number;
  /** Events written to streams (events × streams), over the time from the first request to the last arrival. */
  deliveredPerSec: number;
  /** From an event's acknowledgement to its arrival, over every stream and event, in ms. */
  latencyMs: Percentiles & { max: number };
  /** From the last acknowledgement until every stream had every event, in ms. */
  drainMs: number;
}

const spec = specOf<StreamDriverSpec>();
const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
const target = new URL('/v1/events', spec.url);

/** Per stream: the arrival time of each seq. */
const arrivals = Array.from({ length: spec.streams }, () => new Map<number, number>());
const last = new Array<number>(spec.streams).fill(0);
let disorder = 0;
const tails = arrivals.map((seen, i) =>
  openTail(spec.url, spec.readKeys[i % spec.readKeys.length] as string, (seq, at) => {
    if (seq <= (last[i] as number)) disorder++;
    last[i] = seq;
    seen.set(seq, at);
  }),
);
await Promise.all(tails.map((t) => t.opened));

/** Acknowledgement time of each seq written. */
const acks = new Map<number, number>();
let batches = 0;
async function post(): Promise<void> {
  const index = batches++;
  const { events } = makeBatch(spec.seed, index, spec.batch);
  const res = await request(agent, target, {
    method: 'POST',
    headers: { authorization: `Bearer ${spec.writeKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ events }),
    timeoutMs: 120_000,
  });
  const at = performance.now();
  if (res.status !== 201) throw new Error(`ingest: HTTP ${res.status}: ${res.text.slice(0, 300)}`);
  for (const e of (JSON.parse(res.text) as { events: { seq: number }[] }).events) acks.set(e.seq, at);
}

const started = performance.now();
const load = spec.load;
if (load.kind === 'steady') {
  const count = Math.max(1, Math.round((load.rate * load.seconds) / spec.batch));
  const everyMs = (spec.batch / load.rate) * 1000;
  const sent: Promise<void>[] = [];
  for (let i = 0; i < count; i++) {
    const due = started + i * everyMs;
    if (due > performance.now()) await sleep(due - performance.now());
    sent.push(post());
  }
  await Promise.all(sent);
} else {
  const count = Math.ceil(load.events / spec.batch);
  await Promise.all(
    Array.from({ length: load.concurrency }, async () => {
      while (batches < count) await post();
    }),
  );
}
const acked = performance.now();
const seqs = [...acks.keys()];
const deadline = acked + spec.catchUpMs;
while (!arrivals.every((seen) => seen.size >= seqs.length)) {
  if (performance.now() > deadline) {
    const behind = arrivals.filter((seen) => seen.size < seqs.length).length;
    throw new Error(
      `${behind} of ${spec.streams} streams lack events ${spec.catchUpMs} ms after the last write`,
    );
  }
  await sleep(5);
}
for (const t of tails) t.close();
if (disorder > 0) throw new Error(`${disorder} events arrived out of seq order or twice`);

const delays: number[] = [];
let lastArrival = 0;
let slowest = 0;
for (const seen of arrivals) {
  for (const seq of seqs) {
    const at = seen.get(seq);
    if (at === undefined) throw new Error(`seq ${seq} missing from a stream`);
    const delay = at - (acks.get(seq) as number);
    delays.push(delay);
    slowest = Math.max(slowest, delay);
    lastArrival = Math.max(lastArrival, at);
  }
}
const result: StreamDriverResult = {
  streams: spec.streams,
  events: seqs.length,
  ingestSeconds: (acked - started) / 1000,
  deliveredPerSec: delays.length / ((lastArrival - started) / 1000),
  latencyMs: { ...percentiles(delays), max: slowest },
  drainMs: lastArrival - acked,
};
agent.destroy();
process.stdout.write(`${JSON.stringify(result)}\n`);
