// @engines sqlite postgres
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { AuthService } from '../../src/services/auth/auth.js';
import { AuthFailures } from '../../src/services/auth/failures.js';
import { deriveKey } from '../../src/services/auth/secrets.js';
import { ADMIN_TOKEN, event, startTestApp, type TestApp, testData } from '../helpers/app.js';
import { assertEnvelope, type WireResponse } from '../helpers/envelopes.js';
import { ingest } from '../helpers/jobs.js';
import { dechunk } from '../helpers/raw-http.js';
import { bulkyEvents, ingestBulky, pausedRequest } from '../helpers/slow-client.js';
import { dataOf, idsOf, openStream, type SseClient } from '../helpers/sse.js';
import { sleep, until, within } from '../helpers/wait.js';

/**
 * The live tail, GET /v1/events/stream, over real sockets on each engine: what it sends and in
 * which order, what narrows it, who may open one, resuming after a drop with nothing lost or
 * repeated, a slow client, nodes sharing a database, the per-credential cap, heartbeats, and
 * the server closing with streams open.
 */

/** Short enough that a round of the hub and a heartbeat fit many times in a test. */
const FAST = { TRAILKEEP_STREAM_POLL: '0.05', TRAILKEEP_STREAM_HEARTBEAT: '0.3', TRAILKEEP_RATE_LIMIT: '0' };

/** A listening test app and its address. */
async function listening(env: Record<string, string> = {}, data?: Awaited<ReturnType<typeof testData>>) {
  const t = await startTestApp({ ...FAST, ...env }, data);
  const base = await t.app.listen({ port: 0, host: '127.0.0.1' });
  return { t, base };
}

/** An error answer of the stream route as the envelope checker takes it. */
const wire = (c: SseClient): WireResponse => ({
  statusCode: c.status,
  headers: c.headers,
  body: c.text,
});

/** The value of a metric of the app, by its name (without labels). */
async function metric(t: TestApp, name: string): Promise<number> {
  const text = (await t.app.inject({ method: 'GET', url: '/metrics' })).body;
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return Number(line?.split(' ')[1] ?? Number.NaN);
}

describe('live tail: GET /v1/events/stream', () => {
  let t: TestApp;
  let base: string;
  let acme: string;
  const open: SseClient[] = [];

  /** A stream that the after hook drops, whatever happens to the test. */
  const stream = async (...args: Parameters<typeof openStream>) => {
    const c = await openStream(...args);
    open.push(c);
    return c;
  };

  before(async () => {
    ({ t, base } = await listening({ TRAILKEEP_STREAMS_PER_CREDENTIAL: '3' }));
    acme = await t.tenantWithKey('acme');
  });
  afterEach(async () => {
    for (const c of open.splice(0)) c.close();

    await until(async () => (await metric(t, 'trailkeep_streams_open')) === 0, 5_000, {
      what: 'every stream of the test to leave the hub',
    });
  });
  after(async () => {
    await t.close();
  });

  it('sends each event committed after it opened: id = seq, data = the stored JSON, in seq order', async () => {
    await ingest(t, acme, [event({ action: 'before.open' })]);
    const c = await stream(base, acme);
    assert.equal(c.status, 200);
    assert.equal(c.headers['content-type'], 'text/event-stream; charset=utf-8');
    assert.equal(c.headers['cache-control'], 'no-cache');
    assert.equal(c.headers['x-accel-buffering'], 'no');
    assert.ok(c.headers['x-request-id']);
    const seqs = [
      ...(await ingest(t, acme, [event({ action: 'a.one' }), event({ action: 'a.two' })])),
      ...(await ingest(t, acme, [event({ action: 'a.three' })])),
    ];
    const got = await c.waitFor(3);
    await sleep(200);
    assert.deepEqual(idsOf(c.events), seqs, 'the events written after it opened, none before, in seq order');
    assert.equal(c.retry, 2000, 'a reconnection hint first');
    for (const e of got) {
      const stored = await t.call(acme, { method: 'GET', url: `/v1/events/${e.id}` });
      assert.equal(e.data, stored.body, 'data is the stored event exactly as GET /v1/events/:id answers it');
      assert.equal(e.event, undefined, 'a default-type message');
    }
  });

  it('narrows to the list’s filters: only matching events, in seq order, as the list finds them', async () => {
    const filters = 'action=f.keep&action=f.also&service=svc&q=needle';
    const c = await stream(base, acme, `/v1/events/stream?${filters}`);
    const first = (await t.services.store.events.lastSeq('acme')) + 1;
    const batch = (i: number) => [
      event({ action: 'f.keep', service: 'svc', description: `needle ${i}` }),
      event({ action: 'f.keep', service: 'other', description: 'needle' }),
      event({
        action: 'f.also',
        service: 'svc',
        description: 'a needle here',
        occurred_at: '2020-01-01T00:00:00Z',
      }),
      event({ action: 'f.drop', service: 'svc', description: 'needle' }),
      event({ action: 'f.keep', service: 'svc', description: 'no match' }),
    ];
    for (let i = 0; i < 4; i++) await ingest(t, acme, batch(i));
    const listed = await t.call(acme, {
      method: 'GET',
      url: `/v1/events?${filters}&min_seq=${first}&limit=1000`,
    });
    const want = listed
      .json<{ data: { seq: number }[] }>()
      .data.map((e) => e.seq)
      .sort((x, y) => x - y);
    assert.equal(want.length, 8, 'two of each batch match');
    await c.waitFor(want.length);
    await sleep(200);
    assert.deepEqual(idsOf(c.events), want, 'in seq order, though one matching event occurred years earlier');
    for (const e of c.events) {
      const body = dataOf<{ action: string; service: string; description: string }>(e);
      assert.ok(['f.keep', 'f.also'].includes(body.action) && body.service === 'svc', e.data);
      assert.match(body.description, /needle/);
    }
  });

  it('starts at min_seq when given, and ends after max_seq; resuming past it is a 204', async () => {
    const seqs = await ingest(
      t,
      acme,
      Array.from({ length: 6 }, (_, i) => event({ action: `r.${i}` })),
    );
    const [from, , , to] = seqs as [number, number, number, number];
    const c = await stream(base, acme, `/v1/events/stream?min_seq=${from}&max_seq=${to}`);
    await within(c.ended, 5_000, 'a bounded stream to end');
    assert.ok(c.endedByServer());
    assert.deepEqual(idsOf(c.events), seqs.slice(0, 4));
    // Filtered, its last event is before max_seq: the stream's last id is max_seq itself.
    const narrowed = await stream(base, acme, `/v1/events/stream?min_seq=${from}&max_seq=${to}&action=r.0`);
    await within(narrowed.ended, 5_000, 'a bounded, filtered stream to end');
    assert.deepEqual(idsOf(narrowed.events), [from]);
    const again = await openStream(base, acme, `/v1/events/stream?max_seq=${to}`, {
      'last-event-id': String(to),
    });
    assert.equal(again.status, 204, 'nothing more will come');
  });

  it('refuses a Last-Event-ID that is not a seq it sent, naming it', async () => {
    const head = await t.services.store.events.lastSeq('acme');
    for (const bad of ['abc', '-1', '1.5', '1e3', '0x10', String(head + 1), '9'.repeat(16)]) {
      const c = await openStream(base, acme, '/v1/events/stream', { 'last-event-id': bad });
      assert.equal(c.status, 400, bad);
      assertEnvelope('native', wire(c), bad);
      const error = JSON.parse(c.text) as { error: { message: string; details: { path: string }[] } };
      assert.match(error.error.message, /^Last-Event-ID /, bad);
      assert.equal(error.error.details[0]?.path, 'headers["last-event-id"]');
    }
  });

  it('resumes after a dropped connection from Last-Event-ID: every event once, none lost or repeated', async () => {
    const first = await stream(base, acme, '/v1/events/stream?action=resume.me');
    const writes = (n: number, from: number) =>
      ingest(
        t,
        acme,
        Array.from({ length: n }, (_, i) =>
          event({ action: i % 3 ? 'resume.me' : 'resume.not', id: `rs-${from + i}` }),
        ),
        7,
      );
    // Written while the client reads, and dropped in the middle of it.
    const writing = writes(60, 0);
    await first.waitFor(15);
    first.close();
    const received = [...first.events];
    await writing;
    const lastId = received.at(-1)?.id as string;
    await writes(30, 60);
    const head = await t.services.store.events.lastSeq('acme');
    const second = await stream(base, acme, '/v1/events/stream?action=resume.me', {
      'last-event-id': lastId,
    });
    const listed = await t.call(acme, {
      method: 'GET',
      url: '/v1/events?action=resume.me&limit=1000&order=asc',
    });
    const want = listed
      .json<{ data: { seq: number }[] }>()
      .data.map((e) => e.seq)
      .filter((s) => s <= head)
      .sort((x, y) => x - y);
    assert.equal(want.length, 60);
    await second.waitFor(want.length - received.length);
    await sleep(200);
    const all = [...received, ...second.events];
    assert.deepEqual(idsOf(all), want, 'every matching event exactly once, in seq order, across the drop');
    assert.ok(received.length >= 15 && second.events.length > 0);
  });

  it('needs a credential with events:read of the tenant; an operator key names its tenant', async () => {
    const none = await openStream(base, null);
    assert.equal(none.status, 401);
    assertEnvelope('native', wire(none), 'no credential');
    const writer = await t.key('acme', ['events:write']);
    const globex = await t.tenantWithKey('globex');
    for (const [token, headers, status, what] of [
      [writer, {}, 403, 'a key without events:read'],
      [ADMIN_TOKEN, {}, 403, 'the admin token'],
      [acme, { 'trailkeep-tenant': 'globex' }, 403, 'a tenant key naming another tenant'],
      ['tk_nope_nope', {}, 401, 'an unknown key'],
    ] as const) {
      const c = await openStream(base, token, '/v1/events/stream', headers);
      assert.equal(c.status, status, what);
      assertEnvelope('native', wire(c), what);
    }
    const operator = (
      await t.call(ADMIN_TOKEN, {
        method: 'POST',
        url: '/v1/keys',
        payload: { name: 'operator', scopes: ['events:read', 'events:write'] },
      })
    ).json<{ secret: string }>().secret;
    const unnamed = await openStream(base, operator);
    assert.equal(unnamed.status, 400, 'an operator key names the tenant');
    assert.equal(
      (await openStream(base, operator, '/v1/events/stream', { 'trailkeep-tenant': 'nobody' })).status,
      404,
    );
    const asGlobex = await stream(base, operator, '/v1/events/stream', { 'trailkeep-tenant': 'globex' });
    const token = await t.accessToken('globex', ['events:read']);
    const byToken = await stream(base, token);
    assert.equal(asGlobex.status, 200);
    assert.equal(byToken.status, 200);
    await ingest(t, acme, [event({ action: 'iso.acme', description: 'acme only' })]);
    const [seq] = await ingest(t, globex, [event({ action: 'iso.globex' })]);
    for (const c of [asGlobex, byToken]) {
      await c.waitFor(1);
      await sleep(200);
      assert.deepEqual(idsOf(c.events), [seq as number]);
      assert.equal(
        dataOf(c.events[0] as EventSourceMessage).tenant,
        'globex',
        'never another tenant’s event',
      );
    }
  });

  it('ends a stream when its credential is revoked or its access token expires', async () => {
    await t.tenantWithKey('revoked');
    const key = await t.key('revoked', ['events:read']);
    const keyId = /^tk_(key_[0-9a-f]+)_/.exec(key)?.[1] as string;
    const token = await t.accessToken('revoked', ['events:read']);
    const byKey = await stream(base, key);
    const byToken = await stream(base, token);
    // A token the product's own code issued, its lifetime nearly over: valid for 2 more seconds.
    const { client_id, client_secret } = (
      await t.call(ADMIN_TOKEN, {
        method: 'POST',
        url: '/v1/tenants/revoked/oauth-clients',
        payload: { name: 'short', scopes: ['events:read'] },
      })
    ).json<{ client_id: string; client_secret: string }>();
    const ttl = t.config.TRAILKEEP_TOKEN_TTL;
    const past = new AuthService(
      t.services.store.credentials,
      t.services.store.tenants,
      t.services.secrets.adminTokenHash,
      deriveKey(t.services.secrets.serverSecret, 'jwt'),
      ttl,
      new AuthFailures(0, 60_000),
      () => Date.now() - (ttl - 2) * 1000,
    );
    const expiring = (await past.issueToken(client_id, client_secret)).access_token;
    const short = await stream(base, expiring);
    assert.equal(short.status, 200);
    await sleep(500);
    assert.ok(!short.endedByServer(), 'open while the token is valid');
    await within(short.ended, 5_000, 'the stream of an expired token to end');
    assert.ok(short.endedByServer());

    assert.ok(!byKey.endedByServer() && !byToken.endedByServer());
    const revoke = await t.call(ADMIN_TOKEN, { method: 'DELETE', url: `/v1/tenants/revoked/keys/${keyId}` });
    assert.equal(revoke.statusCode, 204, revoke.body);
    await within(byKey.ended, 5_000, 'the stream of a revoked key to end');
    assert.ok(byKey.endedByServer());
    assert.ok(!byToken.endedByServer(), 'another credential’s stream goes on');
  });

  it('caps open streams per credential on the node (429), and frees a slot when a client goes', async () => {
    const capped = await t.tenantWithKey('capped');
    const streams = [await stream(base, capped), await stream(base, capped), await stream(base, capped)];
    assert.deepEqual(
      streams.map((c) => c.status),
      [200, 200, 200],
    );
    const refused = await openStream(base, capped);
    assert.equal(refused.status, 429);
    assertEnvelope('native', wire(refused), 'the fourth stream');
    assert.equal(refused.headers['retry-after'], '1');
    assert.equal(JSON.parse(refused.text).error.code, 'rate_limited');
    const other = await stream(base, await t.key('capped', ['events:read']));
    assert.equal(other.status, 200, 'another credential of the tenant has its own');
    streams[0]?.close();
    const reopened = await until(async () => {
      const c = await stream(base, capped);
      return c.status === 200 ? c : null;
    }, 5_000);
    assert.equal(reopened.status, 200);
  });

  it('sends heartbeats on a quiet stream, which keep it open past the idle timeout; a stalled client is cut', async () => {
    const { t: quiet, base: at } = await listening({ TRAILKEEP_IDLE_TIMEOUT: '1' });
    try {
      const key = await quiet.tenantWithKey('quiet');
      const c = await openStream(at, key);
      await sleep(2_500);
      assert.ok(!c.endedByServer(), 'still open after two and a half idle timeouts');
      assert.ok(c.comments.length >= 5, `${c.comments.length} heartbeats`);
      assert.deepEqual([...new Set(c.comments.map((x) => x.trim()))], ['heartbeat']);
      const [seq] = await ingest(quiet, key, [event()]);
      await c.waitFor(1);
      assert.deepEqual(idsOf(c.events), [seq as number]);
      c.close();
      await until(async () => (await metric(quiet, 'trailkeep_streams_open')) === 0, 5_000);

      // A client that stops reading gets no heartbeat past its full buffers: the idle timeout cuts it.
      const stalled = await pausedRequest(Number(new URL(at).port), 'GET', '/v1/events/stream', {
        authorization: `Bearer ${key}`,
      });
      assert.equal(stalled.status, 200);
      await ingestBulky(quiet, key, bulkyEvents(400, 'stalled'));
      await until(async () => (await metric(quiet, 'trailkeep_streams_open')) === 0, 10_000, {
        what: 'the stalled stream to be cut',
      });
      stalled.destroy();
    } finally {
      await quiet.close();
    }
  });

  it('shares one read among streams of one tenant, filter and position', async () => {
    const shared = await t.tenantWithKey('shared');
    const keys = await Promise.all(Array.from({ length: 4 }, () => t.key('shared', ['events:read'])));
    const streams = await Promise.all(
      [shared, ...keys].flatMap((k) => [stream(base, k, '/v1/events/stream?action=s.x'), stream(base, k)]),
    );
    await sleep(200);
    const reads = await metric(t, 'trailkeep_stream_window_reads_total');
    const delivered = await metric(t, 'trailkeep_stream_events_delivered_total');
    await ingest(t, shared, [event({ action: 's.x' }), event({ action: 's.y' })]);
    for (const [i, c] of streams.entries()) await c.waitFor(i % 2 ? 2 : 1);
    assert.equal((await metric(t, 'trailkeep_stream_window_reads_total')) - reads, 2, 'one read per filter');
    assert.equal((await metric(t, 'trailkeep_stream_events_delivered_total')) - delivered, 15);
  });

  it('a client that stops reading holds the server to what its buffers take; it resumes where it stopped', async () => {
    const slow = await t.tenantWithKey('slow');
    const head = await t.services.store.events.lastSeq('slow');
    const N = 400;
    const port = Number(new URL(base).port);
    const paused = await pausedRequest(port, 'GET', `/v1/events/stream?max_seq=${head + N}`, {
      authorization: `Bearer ${slow}`,
    });
    assert.equal(paused.status, 200);
    const before = await metric(t, 'trailkeep_stream_events_delivered_total');
    await ingestBulky(t, slow, bulkyEvents(N, 'slow'));
    await sleep(1_000);
    const taken = (await metric(t, 'trailkeep_stream_events_delivered_total')) - before;
    // 400 events of 40 KB are 16 MB; the socket's buffers take a few of them, the stream 64 KiB.
    assert.ok(taken < N / 2, `${taken} of ${N} events handed to a client that does not read`);
    const bytes = await paused.readAll();
    const text = dechunk(bytes.subarray(bytes.indexOf('\r\n\r\n') + 4)).toString('utf8');
    const events: EventSourceMessage[] = [];
    createParser({ onEvent: (e) => events.push(e) }).feed(text);
    assert.deepEqual(
      idsOf(events),
      Array.from({ length: N }, (_, i) => head + i + 1),
      'every event once, in order, once it reads',
    );
  });

  it('a dropped client leaves the hub (every test’s streams do, checked after each)', async () => {
    const c = await stream(base, acme);
    assert.equal(await metric(t, 'trailkeep_streams_open'), 1);
    c.close();
    await until(async () => (await metric(t, 'trailkeep_streams_open')) === 0, 5_000, {
      what: 'the dropped stream to leave the hub',
    });
  });
});

describe('live tail across nodes and at shutdown', () => {
  it('a stream on one node receives the events written through another on the same database', async () => {
    const data = await testData();
    const a = await listening({}, data);
    const b = await listening({}, data);
    try {
      const key = await a.t.tenantWithKey('nodes');
      const onA = await openStream(a.base, key);
      const onB = await openStream(b.base, key);
      const viaB = await ingest(b.t, key, [event({ action: 'n.1' }), event({ action: 'n.2' })]);
      const viaA = await ingest(a.t, key, [event({ action: 'n.3' })]);
      for (const c of [onA, onB]) {
        await c.waitFor(3);
        assert.deepEqual(idsOf(c.events), [...viaB, ...viaA]);
        c.close();
      }
    } finally {
      await a.t.close();
      await b.t.close();
      await data.remove();
    }
  });

  it('closing the server ends its streams at once, and the close does not wait for them', async () => {
    const { t, base } = await listening({ TRAILKEEP_STREAM_HEARTBEAT: '30' });
    const key = await t.tenantWithKey('closing');
    const streams = [await openStream(base, key), await openStream(base, key)];
    const started = performance.now();
    await within(t.close(), 5_000, 'the app to close with streams open');
    assert.ok(performance.now() - started < 2_000, `closed in ${Math.round(performance.now() - started)} ms`);
    for (const c of streams) {
      await within(c.ended, 2_000, 'the client to see its stream end');
      assert.ok(c.endedByServer());
    }
  });
});
