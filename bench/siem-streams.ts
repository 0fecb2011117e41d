/**
 * Streams to SIEMs (/v1/streams, docs/streams.md) on one engine, against a real `trailkeep serve`
 * at its default settings but for TRAILKEEP_STREAMS_ALLOW_PRIVATE (the destinations are on
 * loopback), with `streams` streams spread over the ingest load's ten tenants (stream i on tenant
 * i mod 10), webhook destinations served by this process:
 *
 * 1. Ingest beside the streams: the ingest part's load (10 tenants, batches of 500, 8 in flight)
 *    into a fresh database per mode: no stream; the streams to a blackholed destination (a TCP
 *    listener that accepts and never answers, so every attempt hangs until the HTTP timeout); to
 *    a port that refuses connections (every attempt fails at once and the stream backs off); to
 *    a fast receiver (a node:http server answering 200 at once). The modes rotate which goes
 *    first from round to round, so a machine that slows over the run favours none.
 * 2. Delivery to the fast receiver: once the load is acknowledged, the round waits until every
 *    stream's lag is 0; events/s delivered over all streams and per stream, from the first write
 *    to the last receipt, and each event's latency from commit to receipt (receipt time minus
 *    the event's `received_at`, one clock: the same machine).
 * 3. /metrics, scraped every second in every mode: the time a scrape takes (p50), and in the
 *    blackholed mode `trailkeep_siem_stream_lag_events` (summed over the streams) and
 *    `trailkeep_siem_stream_lag_seconds` (their largest) as the load goes on.
 * 4. Backfill: `backfillEvents` loaded into one tenant, then a stream created with
 *    `"start": {"seq": 1}` to the fast receiver; events/s until its cursor reaches the last seq.
 *    The engine's ceiling beside it: the same rows read by a bare loop in batches of the stream's
 *    default 500, by seq, on one connection.
 */
import { createServer as createHttp, type Server as HttpServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createServer as createTcp, type Socket, type Server as TcpServer } from 'node:net';
import Database from 'better-sqlite3';
import pg from 'pg';
import { sleep, until } from '../test/helpers/wait.js';
import type { Engine } from './databases.js';
import { appendDataset, queryDataset } from './dataset.js';
import { fixed, int } from './format.js';
import { batchCount, batchSize, TENANTS } from './generate.js';
import { drive, type IngestSettings } from './ingest.js';
import { api, createTenant, newDeployment, type Server, withServer } from './server.js';
import { type Percentiles, percentiles, type Stat, stat } from './stats.js';

/** A Standard Webhooks secret: the receivers here do not verify it. */
const SECRET = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
/** The server's settings beside its defaults: loopback destinations allowed. */
const ENV = { TRAILKEEP_STREAMS_ALLOW_PRIVATE: 'true' };
const SCRAPE_EVERY_MS = 1_000;
/** How long the fast receiver may take to have every event once the load is acknowledged. */
const DRAIN_MS = 180_000;
/** The stream's default batch (max_events): what the backfill ceiling reads at a time. */
const STREAM_BATCH = 500;

export const MODES = ['none', 'blackhole', 'refused', 'fast'] as const;
export type Mode = (typeof MODES)[number];

export interface SiemLoad {
  /** Streams, spread over the ten tenants. */
  streams: number;
  /** Events in the backfilled tenant. */
  backfillEvents: number;
}

export interface SiemSettings extends SiemLoad {
  rounds: number;
  seed: number;
  ingest: IngestSettings;
}

export interface Scrape {
  /** Seconds since the load started. */
  at: number;
  ms: number;
  /** trailkeep_siem_stream_lag_events summed over the streams. */
  lagEvents: number;
  /** trailkeep_siem_stream_lag_seconds, the largest. */
  lagSeconds: number;
}

export interface SiemRound {
  mode: Mode;
  eventsPerSec: number;
  seconds: number;
  scrapes: Scrape[];
  /** The fast receiver's figures; null in the other modes. */
  delivery: {
    events: number;
    deliveredPerSec: number;
    perStreamPerSec: Stat;
    /** From the last acknowledgement to the last receipt. */
    drainMs: number;
    latencyMs: Percentiles;
  } | null;
  /** Connections the blackhole took, attempts refused: what the destination saw. */
  attempts: number;
}

export interface SiemEngineResult {
  engine: Engine;
  streams: number;
  rounds: SiemRound[];
  ingest: Record<Mode, Stat>;
  /** Each mode's median over no stream's. */
  ratio: Record<Mode, number>;
  scrapeP50Ms: Record<Mode, Stat>;
  delivery: { deliveredPerSec: Stat; perStreamPerSec: Stat; p50: Stat; p95: Stat; drainMs: Stat };
  backfill: { events: number; seconds: number; eventsPerSec: number; ceilingEventsPerSec: number };
}

interface Destination {
  url: string;
  /** Connections (blackhole), attempts (refused: none reach it), requests (fast). */
  attempts(): number;
  close(): Promise<void>;
}

/** Accepts connections and never answers: every attempt hangs until the sender's timeout. */
async function blackhole(): Promise<Destination> {
  const sockets = new Set<Socket>();
  let taken = 0;
  const server: TcpServer = createTcp((s) => {
    taken++;
    sockets.add(s);
    s.on('error', () => {});
    s.on('close', () => sockets.delete(s));
    s.resume();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    attempts: () => taken,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A loopback port nothing listens on: every connection is refused at once. */
async function refused(): Promise<Destination> {
  const server = createTcp();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return { url: `http://127.0.0.1:${port}/hook`, attempts: () => 0, close: async () => {} };
}

/** Answers 200 at once; keeps, per stream, the seqs taken and each event's commit-to-receipt delay. */
class FastReceiver implements Destination {
  url = '';
  requests = 0;
  readonly seqs = new Map<string, Set<number>>();
  readonly lastReceipt = new Map<string, number>();
  readonly delays: number[] = [];
  private readonly ids = new Set<string>();
  private server!: HttpServer;

  async start(): Promise<this> {
    this.server = createHttp((req: IncomingMessage, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        res.writeHead(200).end();
        const at = Date.now();
        this.requests++;
        const id = String(req.headers['webhook-id'] ?? '');
        if (this.ids.has(id)) return;
        this.ids.add(id);
        const { data } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
          data: { stream: string; events: { seq: number; received_at: string }[] };
        };
        const seen = this.seqs.get(data.stream) ?? new Set<number>();
        this.seqs.set(data.stream, seen);
        for (const e of data.events) {
          seen.add(e.seq);
          this.delays.push(at - Date.parse(e.received_at));
        }
        this.lastReceipt.set(data.stream, at);
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hook`;
    return this;
  }

  attempts(): number {
    return this.requests;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** One scrape of /metrics: its time, the lag summed over streams, the largest lag in seconds. */
async function scrape(url: string, since: number): Promise<Scrape> {
  const t = performance.now();
  const res = await fetch(new URL('/metrics', url));
  const text = await res.text();
  const ms = performance.now() - t;
  let lagEvents = 0;
  let lagSeconds = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('trailkeep_siem_stream_lag_events{')) lagEvents += Number(line.split(' ').pop());
    else if (line.startsWith('trailkeep_siem_stream_lag_seconds{'))
      lagSeconds = Math.max(lagSeconds, Number(line.split(' ').pop()));
  }
  return { at: (performance.now() - since) / 1000, ms, lagEvents, lagSeconds };
}

/** Scrapes every SCRAPE_EVERY_MS until stopped; returns the scrapes. */
function scraper(url: string, since: number): { stop: () => Promise<Scrape[]> } {
  const out: Scrape[] = [];
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const t = performance.now();
      // A failed scrape (the server stopping after a failure elsewhere) ends the loop; the round reports that failure.
      const got = await scrape(url, since).catch(() => null);
      if (!got) break;
      out.push(got);
      await sleep(Math.max(0, SCRAPE_EVERY_MS - (performance.now() - t)));
    }
  })();
  return {
    stop: async () => {
      stopped = true;
      await loop;
      return out;
    },
  };
}

/** A tenant:admin key for each tenant (streams are managed with one). */
async function adminKeys(
  server: Server,
  adminToken: string,
  tenants: string[],
): Promise<Record<string, string>> {
  const keys: Record<string, string> = {};
  for (const tenant of tenants) {
    const made = (await api(server.url, adminToken, 'POST', `/v1/tenants/${tenant}/keys`, {
      name: 'streams',
      scopes: ['tenant:admin'],
    })) as { secret: string };
    keys[tenant] = made.secret;
  }
  return keys;
}

const createStream = async (url: string, key: string, name: string, to: string, start?: unknown) =>
  (
    (await api(url, key, 'POST', '/v1/streams', {
      name,
      destination: { type: 'webhook', url: to, secret: SECRET },
      ...(start ? { start } : {}),
    })) as { id: string }
  ).id;

/** The load's events per tenant (batch b goes to tenant b mod 10). */
function writtenPerTenant(ingest: IngestSettings): Map<string, number> {
  const out = new Map<string, number>();
  for (let b = 0; b < batchCount(ingest.events, ingest.batch); b++) {
    const tenant = TENANTS[b % TENANTS.length] as string;
    out.set(tenant, (out.get(tenant) ?? 0) + batchSize(ingest.events, ingest.batch, b));
  }
  return out;
}

/** One mode's round on the fresh database `db`. */
async function siemRound(db: string, s: SiemSettings, mode: Mode): Promise<SiemRound> {
  const fast = mode === 'fast' ? await new FastReceiver().start() : undefined;
  const destination: Destination | undefined =
    fast ?? (mode === 'blackhole' ? await blackhole() : mode === 'refused' ? await refused() : undefined);
  const deployment = newDeployment(db);
  try {
    return await withServer(
      deployment,
      async (server) => {
        const keys: Record<string, string> = {};
        for (const tenant of TENANTS)
          keys[tenant] = await createTenant(server, deployment.adminToken, tenant);
        const admins = await adminKeys(server, deployment.adminToken, TENANTS);
        const streams: { tenant: string; id: string }[] = [];
        if (destination) {
          for (let i = 0; i < s.streams; i++) {
            const tenant = TENANTS[i % TENANTS.length] as string;
            streams.push({
              tenant,
              id: await createStream(server.url, admins[tenant] as string, `siem ${i}`, destination.url),
            });
          }
        }
        const started = performance.now();
        const scrapes = scraper(server.url, started);
        const load = await drive(
          { url: server.url, keys, ...s.ingest, requestTimeoutMs: 300_000 },
          120_000 + s.ingest.events * 10,
        );
        const acked = Date.now();
        if (load.accepted !== s.ingest.events || load.duplicates !== 0)
          throw new Error(`${mode}: server accepted ${load.accepted} of ${s.ingest.events} events`);
        let delivery: SiemRound['delivery'] = null;
        if (fast) {
          const firstWrite = acked - load.seconds * 1000;
          await until(
            async () => {
              for (const tenant of new Set(streams.map((x) => x.tenant))) {
                const listed = (await api(server.url, admins[tenant] as string, 'GET', '/v1/streams')) as {
                  data: { lag: { events: number } }[];
                };
                if (listed.data.some((x) => x.lag.events > 0)) return false;
              }
              return true;
            },
            DRAIN_MS,
            { what: `${s.streams} streams to deliver every event`, everyMs: 50 },
          );
          const written = writtenPerTenant(s.ingest);
          let events = 0;
          const perStream: number[] = [];
          let last = 0;
          for (const x of streams) {
            const want = written.get(x.tenant) ?? 0;
            const got = fast.seqs.get(x.id)?.size ?? 0;
            // Beside the load's events, a stream also gets its tenant's own audit.stream.* events.
            if (got < want) throw new Error(`stream ${x.id} received ${got} of ${want} events`);
            if (want === 0) continue;
            const at = fast.lastReceipt.get(x.id) as number;
            events += got;
            last = Math.max(last, at);
            perStream.push(got / ((at - firstWrite) / 1000));
          }
          delivery = {
            events,
            deliveredPerSec: events / ((last - firstWrite) / 1000),
            perStreamPerSec: stat(perStream),
            drainMs: last - acked,
            latencyMs: percentiles(fast.delays),
          };
        }
        return {
          mode,
          eventsPerSec: s.ingest.events / load.seconds,
          seconds: load.seconds,
          scrapes: await scrapes.stop(),
          delivery,
          attempts: destination?.attempts() ?? 0,
        };
      },
      ENV,
    );
  } finally {
    await destination?.close();
  }
}

/** The backfill ceiling: the tenant's rows by seq, STREAM_BATCH at a time, one connection. */
async function backfillCeiling(engine: Engine, db: string, tenant: string, events: number): Promise<number> {
  let rows = 0;
  let after = 0;
  const t = performance.now();
  if (engine === 'sqlite') {
    const d = new Database(db, { readonly: true });
    try {
      const page = d.prepare(
        'SELECT seq, body FROM events WHERE tenant = ? AND seq > ? ORDER BY seq LIMIT ?',
      );
      for (;;) {
        const got = page.all(tenant, after, STREAM_BATCH) as { seq: number; body: string }[];
        if (got.length === 0) break;
        rows += got.length;
        after = (got[got.length - 1] as { seq: number }).seq;
      }
    } finally {
      d.close();
    }
  } else {
    const client = new pg.Client({ connectionString: db });
    await client.connect();
    try {
      for (;;) {
        const got = await client.query<{ seq: string; body: string }>(
          'SELECT seq, body FROM events WHERE tenant = $1 AND seq > $2 ORDER BY seq LIMIT $3',
          [tenant, after, STREAM_BATCH],
        );
        if (got.rows.length === 0) break;
        rows += got.rows.length;
        after = Number(got.rows[got.rows.length - 1]?.seq);
      }
    } finally {
      await client.end();
    }
  }
  if (rows < events) throw new Error(`backfill ceiling read ${rows} of ${events} rows`);
  return rows / ((performance.now() - t) / 1000);
}

/** Step 4 on the fresh database `db`. */
async function backfill(engine: Engine, db: string, s: SiemSettings): Promise<SiemEngineResult['backfill']> {
  const dataset = queryDataset(s.seed, s.backfillEvents);
  const rx = await new FastReceiver().start();
  const deployment = newDeployment(db);
  try {
    const timed = await withServer(
      deployment,
      async (server) => {
        const key = await createTenant(server, deployment.adminToken, dataset.tenant);
        await appendDataset(server, key, dataset);
        const admin = (await adminKeys(server, deployment.adminToken, [dataset.tenant]))[
          dataset.tenant
        ] as string;
        const { count } = (await api(server.url, key, 'GET', '/v1/events/count')) as { count: number };
        const t = performance.now();
        const id = await createStream(server.url, admin, 'backfill', rx.url, { seq: 1 });
        await until(
          async () =>
            ((await api(server.url, admin, 'GET', `/v1/streams/${id}`)) as { cursor: number }).cursor >=
            count,
          DRAIN_MS + s.backfillEvents,
          { what: `the backfill's cursor to reach seq ${count}`, everyMs: 50 },
        );
        const seconds = (performance.now() - t) / 1000;
        const got = rx.seqs.get(id)?.size ?? 0;
        if (got < count) throw new Error(`backfill delivered ${got} of ${count} events`);
        return { events: count, seconds, eventsPerSec: count / seconds };
      },
      ENV,
    );
    const ceilingEventsPerSec = await backfillCeiling(engine, db, dataset.tenant, timed.events);
    return { ...timed, ceilingEventsPerSec };
  } finally {
    await rx.close();
  }
}

export async function siemStreamsPart(
  engine: Engine,
  s: SiemSettings,
  scratch: <T>(work: (db: string) => Promise<T>) => Promise<T>,
  log: (line: string) => void,
): Promise<SiemEngineResult> {
  const rounds: SiemRound[] = [];
  for (let r = 1; r <= s.rounds; r++) {
    const order = MODES.map((_, i) => MODES[(i + r - 1) % MODES.length] as Mode);
    const these: SiemRound[] = [];
    for (const mode of order) these.push(await scratch((db) => siemRound(db, s, mode)));
    rounds.push(...these);
    const by = (m: Mode) => these.find((x) => x.mode === m) as SiemRound;
    const fast = by('fast').delivery;
    const black = by('blackhole');
    const lagAt = black.scrapes.map(
      (x) => `${fixed(x.at)} s: ${int(x.lagEvents)} events/${fixed(x.lagSeconds)} s`,
    );
    log(
      `  ${engine} siem-streams round ${r}/${s.rounds} (${order.join(', ')}): ingest events/s ` +
        MODES.map((m) => `${m} ${int(by(m).eventsPerSec)}`).join(', ') +
        (fast
          ? `; fast receiver ${int(fast.deliveredPerSec)} delivered/s, latency p50 ${fixed(fast.latencyMs.p50)} ms ` +
            `p95 ${fixed(fast.latencyMs.p95)} ms, drained ${int(fast.drainMs)} ms after the last write`
          : '') +
        `; blackhole took ${black.attempts} connections, lag ${lagAt.filter((_, i) => i % Math.max(1, Math.ceil(lagAt.length / 5)) === 0 || i === lagAt.length - 1).join(' · ')}`,
    );
  }
  const bf = await scratch((db) => backfill(engine, db, s));
  log(
    `  ${engine} siem-streams backfill: ${int(bf.events)} events in ${fixed(bf.seconds)} s, ${int(bf.eventsPerSec)} events/s ` +
      `(ceiling: the rows read by seq, ${STREAM_BATCH} at a time, ${int(bf.ceilingEventsPerSec)} events/s)`,
  );
  const ofMode = <T>(f: (m: Mode) => T) => Object.fromEntries(MODES.map((m) => [m, f(m)])) as Record<Mode, T>;
  const of = (m: Mode) => rounds.filter((x) => x.mode === m);
  const ingest = ofMode((m) => stat(of(m).map((x) => x.eventsPerSec)));
  const deliveries = of('fast').map((x) => x.delivery as NonNullable<SiemRound['delivery']>);
  const d = (pick: (x: NonNullable<SiemRound['delivery']>) => number) => stat(deliveries.map(pick));
  return {
    engine,
    streams: s.streams,
    rounds,
    ingest,
    ratio: ofMode((m) => ingest[m].median / ingest.none.median),
    scrapeP50Ms: ofMode((m) => stat(of(m).map((x) => percentiles(x.scrapes.map((c) => c.ms)).p50))),
    delivery: {
      deliveredPerSec: d((x) => x.deliveredPerSec),
      perStreamPerSec: d((x) => x.perStreamPerSec.median),
      p50: d((x) => x.latencyMs.p50),
      p95: d((x) => x.latencyMs.p95),
      drainMs: d((x) => x.drainMs),
    },
    backfill: bf,
  };
}
