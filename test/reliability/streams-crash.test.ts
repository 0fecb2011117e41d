import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { hostname } from 'node:os';
import { describe, it, type TestContext } from 'node:test';
import pg from 'pg';
import { makeBatch, mulberry32 } from '../../bench/generate.js';
import { verifyEvent } from '../../src/core/event/seal.js';
import { freePort } from '../helpers/pg-server.js';
import type { ServeProcess } from '../helpers/serve.js';
import { makeCerts } from '../helpers/tls-certs.js';
import { until, within } from '../helpers/wait.js';
import { type Received, WEBHOOK_SECRET, WebhookReceiver } from '../helpers/webhook-receiver.js';
import {
  api,
  ENGINES,
  engineSuite,
  mismatches,
  seeded,
  send,
  setting,
  sleep,
  TITLE,
  tenantWithKey,
} from './support.js';

/** SIGKILLs during ingest and delivery (TRAILKEEP_TEST_STREAM_KILLS). */
const KILLS = setting('TRAILKEEP_TEST_STREAM_KILLS', 5);
/** Events ingested in the single-node part (TRAILKEEP_TEST_STREAM_EVENTS), in batches of BATCH. */
const EVENTS = setting('TRAILKEEP_TEST_STREAM_EVENTS', 10_000);
const BATCH = 100;
/** Events ingested in the two-node part. */
const CLUSTER_EVENTS = 4_000;
/** The share of first attempts of a delivery the receiver fails with 500 or 503. */
const FAIL_FIRST = 0.3;
/** How long delivery may take to catch up once ingest has ended. */
const CATCH_UP_MS = 180_000;
const LEASE_S = 2;

/** Settings of every server here: fast streams and checkpoints, private destinations allowed, no rate limit. */
const FAST = {
  TRAILKEEP_STREAMS_ALLOW_PRIVATE: 'true',
  TRAILKEEP_STREAMS_LEASE: String(LEASE_S),
  TRAILKEEP_STREAMS_POLL: '0.05',
  TRAILKEEP_STREAMS_MAX_BACKOFF: '1',
  TRAILKEEP_LOG_CHECKPOINT_INTERVAL: '0.2',
  TRAILKEEP_RATE_LIMIT: '0',
};
/** Server output kept per process: request logs are many, the warnings matter. */
const KEEP_CHARS = 4_000_000;

type Json = Record<string, unknown>;
interface StreamView {
  state: string;
  cursor: number;
  lag: { events: number };
  last_error: string | null;
}

/** The receiver fails a seeded 30 % of first attempts of a webhook-id, with 500 or 503. */
function flaky(rx: WebhookReceiver, seed: number): void {
  const random = mulberry32(seed);
  rx.answer = (_req, _body, attempt) => {
    if (attempt > 1 || random() >= FAIL_FIRST) return undefined;
    return { status: random() < 0.5 ? 500 : 503 };
  };
}

/** The warnings and errors a server logged (pino levels 40 and up), as short lines. */
const warnings = (s: ServeProcess): string[] =>
  s
    .logs()
    .filter((l) => typeof l.level === 'number' && l.level >= 40)
    .map((l) => `pid ${s.pid}: ${l.msg} ${JSON.stringify(l.err ?? l.stream ?? '')}`.slice(0, 400));

/**
 * Creates a stream of every seq from 1 (so the tenant's whole log, its audit events included,
 * is expected at the receiver), batches of up to 200, sent as soon as they are read.
 */
async function createStream(url: string, key: string, to: string): Promise<string> {
  const stream = await api<{ id: string }>(url, key, 'POST', '/v1/streams', {
    name: 'siem',
    destination: { type: 'webhook', url: to, secret: WEBHOOK_SECRET },
    batch: { max_events: 200, max_wait_ms: 0 },
    start: { seq: 1 },
  });
  return stream.id;
}

/**
 * Writes batches 0..batches-1 (those with index ≡ c mod clients), each retried unchanged until
 * acknowledged, through whichever server `target()` names at the time; counts acknowledged ones.
 */
async function ingest(
  seed: number,
  batches: number,
  clients: number,
  target: () => string,
  key: string,
  acked: { batches: number; events: number },
  ended: () => boolean,
): Promise<void> {
  await Promise.all(
    Array.from({ length: clients }, async (_, c) => {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      try {
        for (let n = c; n < batches; n += clients) {
          const { events } = makeBatch(seed, n, BATCH);
          const body = JSON.stringify({ events });
          for (;;) {
            if (ended()) return;
            let res: Awaited<ReturnType<typeof send>>;
            try {
              res = await send(agent, target(), 'POST', '/v1/events', key, body);
            } catch {
              await sleep(20);
              continue;
            }
            if (res.status === 503) {
              await sleep(20);
              continue;
            }
            assert.ok(res.status === 201 || res.status === 200, `${res.status} ${res.text}`);
            acked.batches++;
            acked.events += events.length;
            break;
          }
        }
      } finally {
        agent.destroy();
      }
    }),
  );
}

/**
 * Waits, bounded, until the stream's cursor is at the tenant's last seq and the receiver has
 * taken every seq up to it; returns that last seq. On time-out, fails with what is missing.
 */
async function caughtUp(
  url: string,
  key: string,
  stream: string,
  rx: WebhookReceiver,
  servers: ServeProcess[],
): Promise<number> {
  let view: StreamView | undefined;
  let last = 0;
  const missing = () => {
    const got = new Set(rx.seqs());
    const out: number[] = [];
    for (let s = 1; s <= last; s++) if (!got.has(s)) out.push(s);
    return out;
  };
  try {
    return await until(
      async () => {
        view = await api<StreamView>(url, key, 'GET', `/v1/streams/${stream}`);
        last = view.cursor + view.lag.events;
        if (view.lag.events > 0) return false;
        // The receiver records a request before answering it, and the cursor moves only after
        // the answer: a seq behind the cursor that never arrived is lost for good.
        if (missing().length > 0) throw new Error('the cursor passed seqs the receiver never took');
        return last;
      },
      CATCH_UP_MS,
      { what: 'every seq delivered', everyMs: 250 },
    );
  } catch (err) {
    const pending = await api<{ data: Json[] }>(
      url,
      key,
      'GET',
      `/v1/streams/${stream}/deliveries?state=failed`,
    ).catch((e: Error) => ({ data: [e.message] }));
    const lost = missing();
    throw new Error(
      `${(err as Error).message}\nstream: ${JSON.stringify(view)}\n` +
        `${lost.length} seqs of 1..${last} never taken, the first: ${lost.slice(0, 30).join(' ')}\n` +
        `failing deliveries: ${JSON.stringify(pending.data).slice(0, 2000)}\n` +
        `server warnings:\n${servers.flatMap(warnings).slice(-40).join('\n')}`,
    );
  }
}

/**
 * What the receiver took, checked: every signature valid; every request under one webhook-id
 * carried the same range and the same events; after de-duplication by id, the seqs are 1..n in
 * order with no gap or repeat, n at least `last`; every event's hash recomputes.
 */
function checkDelivered(t: TestContext, rx: WebhookReceiver, last: number): void {
  const invalid = rx.received.filter((r) => !r.valid).map((r) => r.id);
  assert.deepEqual(invalid, [], 'every request verifies with the standardwebhooks package');

  const content = (r: Received) =>
    `${r.body.data.from_seq}-${r.body.data.to_seq}: ${r.body.data.events.map((e) => `${e.seq}/${e.hash}`).join(' ')}`;
  const byId = new Map<string, string>();
  const differing: string[] = [];
  for (const r of rx.received) {
    const seen = byId.get(r.id);
    if (seen === undefined) byId.set(r.id, content(r));
    else if (seen !== content(r))
      differing.push(`${r.id}: ${seen.slice(0, 200)} | then ${content(r).slice(0, 200)}`);
  }
  assert.deepEqual(differing, [], 'a retried webhook-id carries the very same batch');

  const retried = rx.received.length - byId.size;
  const acceptedIds = new Set(rx.accepted().map((r) => r.id));
  const reaccepted = rx.accepted().length - acceptedIds.size;
  const seqs = rx.seqs();
  assert.deepEqual(
    mismatches(
      seqs.map(String),
      Array.from({ length: seqs.length }, (_, i) => String(i + 1)),
    ),
    [],
    'after de-duplication by webhook-id, the seqs arrive as 1..n: in order, no gap, no repeat',
  );
  assert.ok(seqs.length >= last, `${seqs.length} seqs taken, the tenant's last is ${last}`);

  const events = rx.accepted().flatMap((r) => r.body.data.events);
  const broken = events.filter((e) => !verifyEvent(e)).map((e) => e.seq);
  assert.deepEqual(broken, [], "every event's hash recomputes");
  t.diagnostic(
    `${rx.received.length} requests, ${byId.size} webhook-ids (${retried} requests repeated an id), ` +
      `${rx.accepted().length} accepted (${reaccepted} a repeat of a batch already taken), seqs 1..${seqs.length}`,
  );
}

/**
 * Streams to SIEMs under SIGKILLs (issue 21). A webhook stream is delivered over HTTPS (a CA
 * made here, trusted by the server through NODE_EXTRA_CA_CERTS) to a receiver that verifies
 * every signature and fails 30 % of first attempts, while events are ingested and the server is
 * SIGKILLed and restarted; then two nodes share a PostgreSQL database and the one delivering is
 * killed. Every seq arrives, in order after de-duplication by webhook-id, a retried id always
 * with the same batch. Random choices are seeded: TRAILKEEP_TEST_SEED repeats a run's.
 */
for (const engine of ENGINES) {
  describe(`streams to SIEMs on ${TITLE[engine]}: SIGKILLs during delivery`, () => {
    const suite = engineSuite(engine, FAST);

    it(`delivers ${EVENTS} events over HTTPS through ${KILLS} SIGKILLs: every seq, in order, signed, same batch per id`, {
      timeout: 600_000,
    }, async (t) => {
      const { data, servers } = suite;
      const { seed, random } = seeded();
      t.diagnostic(`seed=${seed} (TRAILKEEP_TEST_SEED=${seed} repeats the random choices)`);
      const certs = makeCerts(data.dir);
      const rx = await new WebhookReceiver().start({
        key: readFileSync(certs.key, 'utf8'),
        cert: readFileSync(certs.cert, 'utf8'),
      });
      flaky(rx, seed);
      const env = {
        ...data.env,
        TRAILKEEP_PORT: String(await freePort()),
        NODE_EXTRA_CA_CERTS: certs.ca,
      };
      const started: ServeProcess[] = [];
      const start = async () => {
        const s = await servers.start(env, { keepChars: KEEP_CHARS });
        started.push(s);
        return s;
      };
      let server = await start();
      const url = server.url;
      try {
        const key = await tenantWithKey(url, 'siem-a', ['tenant:admin', 'events:write', 'events:read']);
        const stream = await createStream(url, key, rx.url);

        const acked = { batches: 0, events: 0 };
        let ended = false;
        const writing = ingest(
          seed,
          EVENTS / BATCH,
          2,
          () => url,
          key,
          acked,
          () => ended,
        );
        const failed = writing.then(() => new Promise<never>(() => {}));
        failed.catch(() => {});
        const progress = async (batches: number) => {
          while (acked.batches < batches && acked.events < EVENTS) await Promise.race([sleep(20), failed]);
        };
        try {
          for (let k = 1; k <= KILLS; k++) {
            // Spread over the ingest: after a share of the batches, then a random moment.
            await within(progress(Math.floor((k * EVENTS) / BATCH / (KILLS + 1))), 180_000, 'ingest');
            const delay = Math.floor(random() * 1_000);
            await Promise.race([sleep(delay), failed]);
            server.child.kill('SIGKILL');
            assert.equal(await within(server.exited, 30_000, 'the server to die'), 'SIGKILL');
            t.diagnostic(
              `kill ${k}/${KILLS} at +${delay} ms: ${acked.events} events acknowledged, ` +
                `${rx.received.length} requests received, ${rx.seqs().length} seqs taken`,
            );
            server = await start();
          }
          await within(writing, 300_000, `ingesting ${EVENTS} events`);
        } finally {
          ended = true;
        }
        assert.equal(acked.events, EVENTS);

        const last = await caughtUp(url, key, stream, rx, started);
        const { count } = await api<{ count: number }>(url, key, 'GET', '/v1/events/count');
        assert.equal(count, last, "the tenant's events are seqs 1..last");
        assert.ok(last > EVENTS, 'the audit events of the tenant, its key and its stream are delivered too');
        checkDelivered(t, rx, last);
        const view = await api<StreamView>(url, key, 'GET', `/v1/streams/${stream}`);
        assert.equal(view.state, 'active');
        t.diagnostic(`last seq ${last}; server warnings: ${started.flatMap(warnings).length}`);
      } finally {
        await rx.close();
      }
    });

    it('two nodes on one PostgreSQL: the node holding the stream is SIGKILLed, the other delivers everything', {
      timeout: 300_000,
      skip: engine === 'postgres' ? false : 'PostgreSQL only: nodes of a cluster share a PostgreSQL database',
    }, async (t) => {
      const { data, servers } = suite;
      const { seed } = seeded();
      t.diagnostic(`seed=${seed}`);
      const rx = await new WebhookReceiver().start();
      flaky(rx, seed + 1);
      const nodes = [
        await servers.start(data.env, { keepChars: KEEP_CHARS }),
        await servers.start(data.env, { keepChars: KEEP_CHARS }),
      ];
      const db = new pg.Client({ connectionString: data.env.TRAILKEEP_DB });
      await db.connect();
      try {
        const [a] = nodes as [ServeProcess, ServeProcess];
        const key = await tenantWithKey(a.url, 'siem-b', ['tenant:admin', 'events:write', 'events:read']);
        const stream = await createStream(a.url, key, rx.url);
        const owner = async () =>
          (
            await db.query<{ lease_owner: string | null }>(
              'SELECT lease_owner FROM streams WHERE tenant = $1 AND id = $2',
              ['siem-b', stream],
            )
          ).rows[0]?.lease_owner ?? null;
        const nodeOf = (name: string | null) =>
          nodes.find((n) => name?.startsWith(`${hostname()}:${n.pid}:`));

        // Clients write through the nodes in turn; after the kill, only through the survivor.
        let turn = 0;
        const alive = () => nodes.filter((n) => n.alive());
        const target = () => {
          const up = alive();
          return (up[turn++ % up.length] as ServeProcess).url;
        };
        const acked = { batches: 0, events: 0 };
        let ended = false;
        const writing = ingest(seed, CLUSTER_EVENTS / BATCH, 2, target, key, acked, () => ended);
        const failed = writing.then(() => new Promise<never>(() => {}));
        failed.catch(() => {});
        let victim: ServeProcess;
        try {
          await within(
            (async () => {
              while (acked.events < CLUSTER_EVENTS / 3) await Promise.race([sleep(20), failed]);
            })(),
            120_000,
            'a third of the events ingested',
          );
          // The node whose worker holds the stream's lease now, delivering it.
          victim = await until(async () => nodeOf(await owner()), 60_000, {
            what: "a node holding the stream's lease",
            everyMs: 10,
          });
          victim.child.kill('SIGKILL');
          assert.equal(await within(victim.exited, 30_000, 'the node to die'), 'SIGKILL');
          const heldByDead = nodeOf(await owner()) === victim;
          t.diagnostic(
            `killed the lease holder (pid ${victim.pid}) with ${acked.events} events acknowledged, ` +
              `${rx.seqs().length} seqs taken; its lease ${heldByDead ? 'was still held, to lapse' : 'was already given back'}`,
          );
          await within(writing, 180_000, `ingesting ${CLUSTER_EVENTS} events`);
        } finally {
          ended = true;
        }
        const survivor = alive()[0] as ServeProcess;
        assert.equal(alive().length, 1);
        const last = await caughtUp(survivor.url, key, stream, rx, nodes);
        const { count } = await api<{ count: number }>(survivor.url, key, 'GET', '/v1/events/count');
        assert.equal(count, last, "the tenant's events are seqs 1..last");
        assert.ok(last > CLUSTER_EVENTS);
        checkDelivered(t, rx, last);
        // The survivor delivered what came after the kill: the stream's lease is its worker's or free.
        const now = await owner();
        assert.ok(now === null || nodeOf(now) === survivor, `lease held by ${now}`);
      } finally {
        await db.end().catch(() => {});
        await rx.close();
      }
    });
  });
}
