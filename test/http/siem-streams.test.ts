// @engines sqlite postgres
import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { verifyEvent } from '../../src/core/event/seal.js';
import { ADMIN_TOKEN, event, startTestApp, type TestApp } from '../helpers/app.js';
import { ingest } from '../helpers/jobs.js';
import { until } from '../helpers/wait.js';
import { WEBHOOK_SECRET, WebhookReceiver } from '../helpers/webhook-receiver.js';

/**
 * Streams to SIEMs through the API, delivered by the app's own worker to a real webhook
 * receiver that verifies every signature with the standardwebhooks package: management,
 * secrecy, order, retries, pause on 401, disable on 410, dead letters, replay, backfill, and the
 * events each of these records in the tenant.
 */

const FAST = {
  TRAILKEEP_STREAMS_POLL: '0.05',
  TRAILKEEP_STREAMS_MAX_BACKOFF: '1',
  TRAILKEEP_STREAMS_ALLOW_PRIVATE: 'true',
  TRAILKEEP_LOG_CHECKPOINT_INTERVAL: '0.2',
  TRAILKEEP_RATE_LIMIT: '0',
};

type Json = Record<string, unknown>;

describe('streams to SIEMs: /v1/streams with a webhook', () => {
  let t: TestApp;
  let admin: string;
  let reader: string;
  let rx: WebhookReceiver;

  const call = async (method: string, url: string, payload?: unknown, token = admin) => {
    const res = await t.call(token, {
      method: method as 'GET',
      url,
      ...(payload === undefined ? {} : { payload: payload as object }),
    });
    return { status: res.statusCode, json: (res.body ? res.json() : null) as Json, text: res.body };
  };
  const create = async (over: Json = {}) => {
    const res = await call('POST', '/v1/streams', {
      name: 'siem',
      destination: { type: 'webhook', url: rx.url, secret: WEBHOOK_SECRET },
      batch: { max_events: 50, max_wait_ms: 0 },
      ...over,
    });
    assert.equal(res.status, 201, res.text);
    return res.json as Json & { id: string };
  };
  const actions = async (prefix: string) => {
    const res = await call('GET', `/v1/events?action_prefix=${prefix}&limit=1000`, undefined, reader);
    return (res.json.data as Json[]).map((e) => e.action as string);
  };

  before(async () => {
    t = await startTestApp(FAST);
    admin = await t.tenantWithKey('acme', ['tenant:admin', 'events:write', 'events:read']);
    reader = await t.key('acme', ['events:read']);
  });
  after(async () => t.close());
  beforeEach(async () => {
    rx = await new WebhookReceiver().start();
  });
  afterEach(async () => {
    for (const s of ((await call('GET', '/v1/streams')).json.data as Json[]) ?? [])
      await call('DELETE', `/v1/streams/${s.id}`);
    await rx.close();
  });

  it('delivers every event after the start, in seq order, signed, with the checkpoint; never returns the secret', async () => {
    const stream = await create();
    assert.equal(JSON.stringify(stream).includes(WEBHOOK_SECRET), false);
    assert.equal((stream.destination as Json).secret, undefined);
    const seqs = await ingest(
      t,
      admin,
      Array.from({ length: 120 }, (_, i) => event({ action: 'user.login', id: `e${i}` })),
    );
    await until(() => rx.seqs().filter((s) => seqs.includes(s)).length >= 120, 15_000, {
      what: '120 events delivered',
    });
    const got = rx.seqs().filter((s) => s >= (seqs[0] as number));
    assert.deepEqual(got.slice(0, 120), seqs);
    assert.ok(
      rx.received.every((r) => r.valid),
      'every signature verifies',
    );
    for (const r of rx.accepted()) {
      assert.equal(r.body.type, 'trailkeep.events');
      assert.equal(r.body.data.tenant, 'acme');
      for (const e of r.body.data.events) assert.ok(verifyEvent(e), `event ${e.seq} recomputes its hash`);
    }
    // Each batch carries the latest checkpoint when it is sent: once the log has signed one past
    // the events above, the next batch carries it (those above may have gone before any).
    const last = seqs.at(-1) as number;
    await until(
      async () => {
        const note = (await t.call(admin, { method: 'GET', url: '/v1/log/checkpoint' })).body;
        return Number(note.split('\n')[1]) >= last;
      },
      10_000,
      { what: 'a checkpoint over the events' },
    );
    const [next] = await ingest(t, admin, [event({ id: 'after-the-checkpoint' })]);
    const carrying = await until(
      () => rx.accepted().find((r) => r.body.data.events.some((e) => e.seq === next)),
      10_000,
      { what: 'the batch after the checkpoint' },
    );
    const note = carrying.body.data.checkpoint ?? '';
    assert.match(note, /^trailkeep\/acme\n/, 'the tenant’s signed checkpoint');
    assert.ok(Number(note.split('\n')[1]) >= last, 'as recent as the log’s when the batch was formed');
    const listed = await call('GET', '/v1/streams');
    assert.equal(JSON.stringify(listed.json).includes(WEBHOOK_SECRET), false);
    // The receiver answers before the cursor's commit: the view catches up a moment later.
    const view = await until(
      async () => {
        const v = (await call('GET', `/v1/streams/${stream.id}`)).json;
        return (v.cursor as number) >= (seqs.at(-1) as number) && v;
      },
      10_000,
      { what: 'the cursor past the last event' },
    );
    assert.equal(view.state, 'active');
    assert.equal(view.last_error, null);
    assert.ok((await actions('audit.stream.')).includes('audit.stream.create'));
  });

  it('retries with the same webhook-id, honouring Retry-After', async () => {
    const times = new Map<string, number[]>();
    rx.answer = (req, _b, attempt) => {
      const id = String(req.headers['webhook-id']);
      times.set(id, [...(times.get(id) ?? []), Date.now()]);
      return attempt === 1 ? { status: 503, headers: { 'retry-after': '2' } } : undefined;
    };
    await create();
    const [seq] = await ingest(t, admin, [event({ id: 'retry-me' })]);
    await until(() => rx.seqs().includes(seq as number), 15_000, { what: 'the retried batch' });
    const id = rx.accepted().find((r) => r.body.data.events.some((e) => e.seq === seq))?.id as string;
    const [first, second] = times.get(id) as number[];
    assert.ok(
      (second as number) - (first as number) >= 1900,
      `Retry-After 2 s honoured (waited ${(second as number) - (first as number)} ms)`,
    );
    assert.ok((await actions('audit.stream.')).includes('audit.stream.retry'));
  });

  it('pauses on 401 until resumed, and disables on 410', async () => {
    rx.answer = () => ({ status: 401 });
    const stream = await create();
    await ingest(t, admin, [event({ id: 'p1' })]);
    await until(async () => (await call('GET', `/v1/streams/${stream.id}`)).json.state === 'paused', 10_000, {
      what: 'paused',
    });
    const paused = (await call('GET', `/v1/streams/${stream.id}`)).json;
    assert.match(String(paused.last_error), /401/);
    rx.answer = () => ({ status: 410 });
    assert.equal((await call('POST', `/v1/streams/${stream.id}/resume`)).status, 200);
    await until(
      async () => (await call('GET', `/v1/streams/${stream.id}`)).json.state === 'disabled',
      10_000,
      { what: 'disabled' },
    );
    rx.answer = () => undefined;
    await call('POST', `/v1/streams/${stream.id}/resume`);
    await until(
      async () =>
        (await call('GET', `/v1/streams/${stream.id}`)).json.lag &&
        (await call('GET', `/v1/streams/${stream.id}`)).json.last_error === null,
      10_000,
      { what: 'delivered after resume' },
    );
    const done = await actions('audit.stream.');
    for (const a of ['audit.stream.refused', 'audit.stream.disable', 'audit.stream.resume'])
      assert.ok(done.includes(a), a);
  });

  it('sends a record the destination never takes to the dead letters and moves on', async () => {
    rx.answer = (_req, body) =>
      body.data.events.some((e) => e.action === 'poison.pill') ? { status: 422 } : undefined;
    const stream = await create();
    const seqs = await ingest(t, admin, [
      ...Array.from({ length: 10 }, (_, i) => event({ id: `a${i}` })),
      event({ id: 'poison', action: 'poison.pill' }),
      ...Array.from({ length: 10 }, (_, i) => event({ id: `b${i}` })),
    ]);
    const poison = seqs[10] as number;
    const others = seqs.filter((s) => s !== poison);
    await until(() => others.every((s) => rx.seqs().includes(s)), 15_000, { what: 'the others delivered' });
    assert.equal(rx.seqs().includes(poison), false);
    const failed = (await call('GET', `/v1/streams/${stream.id}/deliveries?state=failed`)).json
      .data as Json[];
    const dead = failed.find((d) => d.state === 'dead');
    assert.ok(dead, 'a dead letter');
    assert.equal(dead.from_seq, poison);
    assert.equal(dead.to_seq, poison);
    assert.match(String(dead.error), /422/);
    assert.ok((await actions('audit.stream.')).includes('audit.stream.dead_letter'));
  });

  it('replays an exact range beside the live cursor, and backfills from a seq', async () => {
    const seqs = await ingest(
      t,
      admin,
      Array.from({ length: 30 }, (_, i) => event({ id: `r${i}` })),
    );
    const stream = await create({ start: { seq: seqs[0] } });
    await until(() => seqs.every((s) => rx.seqs().includes(s)), 15_000, { what: 'backfill' });
    assert.deepEqual(
      rx.seqs().filter((s) => seqs.includes(s)),
      seqs,
      'no duplicate at the boundary',
    );
    const res = await call('POST', `/v1/streams/${stream.id}/replay`, { from_seq: seqs[5], to_seq: seqs[9] });
    assert.equal(res.status, 202, res.text);
    // Replay deliveries have ids of their own (`.r<n>.`); the live cursor goes on beside them
    // (delivering, among others, the audit.stream.replay event itself).
    const replays = () => rx.accepted().filter((r) => r.id.includes('.r'));
    await until(() => replays().flatMap((r) => r.body.data.events).length >= 5, 10_000, { what: 'replay' });
    assert.deepEqual(
      replays().flatMap((r) => r.body.data.events.map((e) => e.seq)),
      seqs.slice(5, 10),
    );
    await until(async () => (await call('GET', `/v1/streams/${stream.id}`)).json.replay === null, 10_000, {
      what: 'the replay ended',
    });
    const live = rx
      .accepted()
      .filter((r) => !r.id.includes('.r'))
      .flatMap((r) => r.body.data.events.map((e) => e.seq));
    assert.equal(new Set(live).size, live.length, 'the live cursor sent nothing twice');
    const bad = await call('POST', `/v1/streams/${stream.id}/replay`, { from_seq: 9, to_seq: 2 });
    assert.equal(bad.status, 400);
  });

  it('shows a stream that is not delivering on /metrics: its state and its lag growing', async () => {
    const stream = await create();
    assert.equal((await call('POST', `/v1/streams/${stream.id}/pause`)).status, 200);
    const gauge = async (name: string, labels: string) => {
      const text = (await t.app.inject({ method: 'GET', url: '/metrics' })).body;
      const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes(labels));
      return line === undefined ? undefined : Number(line.split(' ').at(-1));
    };
    const mine = `stream="${stream.id}"`;
    await until(async () => (await gauge('trailkeep_siem_stream_state', mine)) === 1, 10_000, {
      what: 'the state gauge',
    });
    assert.equal(await gauge('trailkeep_siem_stream_state', `state="paused"`), 1);
    await ingest(
      t,
      admin,
      Array.from({ length: 7 }, (_, i) => event({ id: `lag${i}` })),
    );
    const lag = await until(
      async () => {
        const n = await gauge('trailkeep_siem_stream_lag_events', mine);
        return n !== undefined && n >= 7 && n;
      },
      10_000,
      { what: 'the lag on /metrics' },
    );
    assert.ok(lag >= 7);
    assert.ok(((await gauge('trailkeep_siem_stream_lag_seconds', mine)) ?? -1) >= 0);
    const view = (await call('GET', `/v1/streams/${stream.id}`)).json as { lag: { events: number } };
    assert.ok(view.lag.events >= 7, 'the API shows the same lag');
  });

  it('refuses private destinations unless allowed, bad secrets, and other credentials', async () => {
    const strict = await startTestApp({ ...FAST, TRAILKEEP_STREAMS_ALLOW_PRIVATE: 'false' });
    try {
      const key = await strict.tenantWithKey('t1', ['tenant:admin']);
      for (const url of [
        'https://127.0.0.1/x',
        'https://10.1.2.3/x',
        'https://[::1]/x',
        'https://169.254.169.254/x',
        'http://example.com/x',
      ]) {
        const res = await strict.call(key, {
          method: 'POST',
          url: '/v1/streams',
          payload: { name: 'x', destination: { type: 'webhook', url, secret: WEBHOOK_SECRET } },
        });
        assert.equal(res.statusCode, 400, `${url}: ${res.body}`);
        assert.match(res.body, /url/);
      }
    } finally {
      await strict.close();
    }
    const badSecret = await call('POST', '/v1/streams', {
      name: 'x',
      destination: { type: 'webhook', url: rx.url, secret: 'nope' },
    });
    assert.equal(badSecret.status, 400);
    assert.equal((await call('GET', '/v1/streams', undefined, reader)).status, 403);
    assert.equal((await call('GET', '/v1/streams', undefined, ADMIN_TOKEN)).status, 403);
    const other = await t.tenantWithKey('other', ['tenant:admin']);
    const mine = await create();
    assert.equal((await call('GET', `/v1/streams/${mine.id}`, undefined, other)).status, 404);
    assert.equal(((await call('GET', '/v1/streams', undefined, other)).json.data as Json[]).length, 0);
  });
});
