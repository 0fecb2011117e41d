/**
 * The load driver, run as its own process (bench/ingest.ts and bench/dataset.ts run it) so the
 * client's JSON work never shares an event loop with the server or the harness. It posts the
 * generated batches to `POST /v1/events` with `concurrency` requests in flight over as many
 * keep-alive connections, and prints one JSON line: what it sent, what the server accepted, and
 * the wall time from the first request to the last response.
 *
 * Input: a JSON `DriverSpec` (children.ts, runScript).
 */
import http from 'node:http';
import { specOf } from './children.js';
import { batchCount, batchSize, makeBatch, type Timeline } from './generate.js';
import { request } from './http.js';

export interface DriverSpec {
  url: string;
  /** Tenant id → API key secret with events:write. */
  keys: Record<string, string>;
  seed: number;
  events: number;
  batch: number;
  concurrency: number;
  requestTimeoutMs: number;
  /** The query dataset's layout (one tenant, evenly over a span); the ingest layout without. */
  timeline?: Timeline;
}

export interface DriverResult {
  sent: number;
  accepted: number;
  duplicates: number;
  requests: number;
  seconds: number;
}

const spec = specOf<DriverSpec>();
const target = new URL('/v1/events', spec.url);
const agent = new http.Agent({ keepAlive: true, maxSockets: spec.concurrency });

const post = (token: string, body: string) =>
  request(agent, target, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body,
    timeoutMs: spec.requestTimeoutMs,
  });

const batches = batchCount(spec.events, spec.batch);
let next = 0;
const result: DriverResult = { sent: 0, accepted: 0, duplicates: 0, requests: 0, seconds: 0 };

async function worker(): Promise<void> {
  // Bounded: each iteration claims one of `batches` indexes.
  for (let index = next++; index < batches; index = next++) {
    const size = batchSize(spec.events, spec.batch, index);
    const { tenant, events } = makeBatch(spec.seed, index, size, spec.timeline);
    const token = spec.keys[tenant];
    if (!token) throw new Error(`no key for tenant ${tenant}`);
    const res = await post(token, JSON.stringify({ events }));
    if (res.status !== 201 && res.status !== 200) {
      throw new Error(`batch ${index}: HTTP ${res.status}: ${res.text.slice(0, 500)}`);
    }
    const reply = JSON.parse(res.text) as { accepted: number; duplicates: number };
    result.sent += events.length;
    result.accepted += reply.accepted;
    result.duplicates += reply.duplicates;
    result.requests += 1;
  }
}

const started = performance.now();
await Promise.all(Array.from({ length: spec.concurrency }, worker));
result.seconds = (performance.now() - started) / 1000;
agent.destroy();
process.stdout.write(`${JSON.stringify(result)}\n`);
