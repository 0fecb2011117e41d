/**
 * The live tail (docs/live-tail.md) on one engine, against a real `trailkeep serve` at its
 * default settings, `streams` streams of one tenant at a time:
 *
 * 1. Fan-out, steady: the stream driver (bench/stream-driver.ts) opens the streams, writes
 *    `rate` events/s to the tenant in batches of 10 for `seconds`, and times each event from
 *    its commit acknowledgement to its arrival on each stream: events delivered per second
 *    over all streams, and the latency's percentiles.
 * 2. Fan-out, burst: on the same server, `burstEvents` more as fast as 4 requests in flight
 *    write them: how many events per second the streams take when the server is busy.
 * 3. Ingest beside streams: the ingest part's load (10 tenants, batches of 500, 8 in flight)
 *    into a fresh database with no stream open, and again with the streams open on one of the
 *    tenants (they receive its tenth of the events, each counted to the last from the raw bytes,
 *    so the clients, on the same machine, cost little): what tailing costs ingest. The two
 *    alternate which goes first from round to round.
 *
 * Streams count against the per-credential cap like any client's: the tenant gets a read key
 * per 10 streams (TRAILKEEP_STREAMS_PER_CREDENTIAL's default).
 */
import { until } from '../test/helpers/wait.js';
import { runScript } from './children.js';
import type { Engine } from './databases.js';
import { fixed, int } from './format.js';
import { TENANTS } from './generate.js';
import { type IngestSettings, type ProductRound, productRound } from './ingest.js';
import {
  api,
  createTenant,
  type Deployment,
  newDeployment,
  peakRss,
  type Server,
  withServer,
} from './server.js';
import { countTail } from './sse-tail.js';
import { type Stat, stat } from './stats.js';
import type { StreamDriverResult, StreamDriverSpec } from './stream-driver.js';

/** The server's default TRAILKEEP_STREAMS_PER_CREDENTIAL: streams one key may hold. */
const STREAMS_PER_KEY = 10;
const FANOUT_TENANT = 'bench-tail';
/** How long streams may take to have every event once the last write is acknowledged. */
const CATCH_UP_MS = 120_000;

export interface StreamLoad {
  /** Streams open at once. */
  streams: number;
  /** Events per second written during the steady phase. */
  rate: number;
  seconds: number;
  burstEvents: number;
}

export interface StreamSettings extends StreamLoad {
  rounds: number;
  seed: number;
  /** The ingest part's load, for ingest with and without streams. */
  ingest: IngestSettings;
}

export interface StreamRound {
  steady: StreamDriverResult;
  burst: StreamDriverResult;
  /** Ingest events/s with no stream open, and with the streams open on one tenant. */
  ingestAlone: number;
  ingestBeside: number;
}

export interface StreamEngineResult {
  engine: Engine;
  streams: number;
  rounds: StreamRound[];
  steady: { deliveredPerSec: Stat; p50: Stat; p95: Stat; p99: Stat; max: Stat };
  burst: { deliveredPerSec: Stat; drainMs: Stat };
  ingest: { alone: Stat; beside: Stat; ratio: number };
  /** The fan-out server's peak resident set (VmHWM); null off Linux. */
  peakRssBytes: number | null;
}

/** The tenant's write key and as many read keys as `streams` need under the per-credential cap. */
async function streamKeys(
  server: Server,
  deployment: Deployment,
  tenant: string,
  writeKey: string,
  streams: number,
): Promise<string[]> {
  const keys = [writeKey];
  while (keys.length * STREAMS_PER_KEY < streams) {
    const made = (await api(server.url, deployment.adminToken, 'POST', `/v1/tenants/${tenant}/keys`, {
      name: `tail ${keys.length}`,
      scopes: ['events:read'],
    })) as { secret: string };
    keys.push(made.secret);
  }
  return keys;
}

/** Steps 1 and 2 on a fresh database. */
async function fanOut(
  db: string,
  s: StreamSettings,
): Promise<{ steady: StreamDriverResult; burst: StreamDriverResult; peakRssBytes: number | null }> {
  const deployment = newDeployment(db);
  return withServer(deployment, async (server) => {
    const writeKey = await createTenant(server, deployment.adminToken, FANOUT_TENANT);
    const readKeys = await streamKeys(server, deployment, FANOUT_TENANT, writeKey, s.streams);
    const base = { url: server.url, readKeys, writeKey, streams: s.streams, catchUpMs: CATCH_UP_MS };
    const drive = (spec: StreamDriverSpec, events: number) =>
      // Generous: start-up, the load at a floor of 100 events/s, then the catch-up.
      runScript<StreamDriverResult>('stream-driver.ts', spec, 120_000 + events * 10 + CATCH_UP_MS);
    const steady = await drive(
      { ...base, seed: s.seed, batch: 10, load: { kind: 'steady', rate: s.rate, seconds: s.seconds } },
      s.rate * s.seconds,
    );
    const burst = await drive(
      {
        ...base,
        seed: s.seed + 1,
        batch: 100,
        load: { kind: 'burst', events: s.burstEvents, concurrency: 4 },
      },
      s.burstEvents,
    );
    return { steady, burst, peakRssBytes: peakRss(server.pid) };
  });
}

/**
 * The streams, held by this process on the first tenant while the ingest driver (a process of
 * its own) loads the server; after the load, waits until every stream has every event of it.
 */
const besideIngest =
  (streams: number) => async (server: Server, keys: Record<string, string>, deployment: Deployment) => {
    const tenant = TENANTS[0] as string;
    const writeKey = keys[tenant] as string;
    const readKeys = await streamKeys(server, deployment, tenant, writeKey, streams);
    const tails = Array.from({ length: streams }, (_, i) =>
      countTail(server.url, readKeys[i % readKeys.length] as string),
    );
    await Promise.all(tails.map((t) => t.opened));
    return async () => {
      const { count } = (await api(server.url, writeKey, 'GET', '/v1/events/count')) as { count: number };
      await until(() => tails.every((t) => t.count() >= count), CATCH_UP_MS, {
        what: `${streams} streams to receive the tenant's ${count} events`,
        everyMs: 20,
      });
      for (const t of tails) t.close();
      const wrong = tails.filter((t) => t.count() !== count).length;
      if (wrong > 0) throw new Error(`${wrong} streams did not receive exactly the tenant's ${count} events`);
    };
  };

export async function streamPart(
  engine: Engine,
  s: StreamSettings,
  scratch: <T>(work: (db: string) => Promise<T>) => Promise<T>,
  log: (line: string) => void,
): Promise<StreamEngineResult> {
  const rounds: StreamRound[] = [];
  let peakRssBytes: number | null = null;
  for (let r = 1; r <= s.rounds; r++) {
    const fan = await scratch((db) => fanOut(db, { ...s, seed: s.seed + 10 * r }));
    if (fan.peakRssBytes !== null) peakRssBytes = Math.max(peakRssBytes ?? 0, fan.peakRssBytes);
    const alone = () => scratch((db) => productRound(db, s.ingest));
    const beside = () => scratch((db) => productRound(db, s.ingest, besideIngest(s.streams)));
    // Alternating which goes first, so a machine that slows over the run favours neither.
    let a: ProductRound;
    let b: ProductRound;
    if (r % 2) {
      a = await alone();
      b = await beside();
    } else {
      b = await beside();
      a = await alone();
    }
    rounds.push({
      steady: fan.steady,
      burst: fan.burst,
      ingestAlone: a.eventsPerSec,
      ingestBeside: b.eventsPerSec,
    });
    log(
      `  ${engine} stream round ${r}/${s.rounds}: ${s.streams} streams, steady ${int(s.rate)} events/s → ` +
        `${int(fan.steady.deliveredPerSec)} delivered/s, latency p50 ${fixed(fan.steady.latencyMs.p50)} ms ` +
        `p95 ${fixed(fan.steady.latencyMs.p95)} ms; burst ${int(fan.burst.deliveredPerSec)} delivered/s; ` +
        `ingest ${int(a.eventsPerSec)} events/s alone, ${int(b.eventsPerSec)} beside the streams`,
    );
  }
  const alone = stat(rounds.map((x) => x.ingestAlone));
  const beside = stat(rounds.map((x) => x.ingestBeside));
  const of = (pick: (x: StreamRound) => number) => stat(rounds.map(pick));
  return {
    engine,
    streams: s.streams,
    rounds,
    steady: {
      deliveredPerSec: of((x) => x.steady.deliveredPerSec),
      p50: of((x) => x.steady.latencyMs.p50),
      p95: of((x) => x.steady.latencyMs.p95),
      p99: of((x) => x.steady.latencyMs.p99),
      max: of((x) => x.steady.latencyMs.max),
    },
    burst: { deliveredPerSec: of((x) => x.burst.deliveredPerSec), drainMs: of((x) => x.burst.drainMs) },
    ingest: { alone, beside, ratio: beside.median / alone.median },
    peakRssBytes,
  };
}
