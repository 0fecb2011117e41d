// @engines sqlite postgres
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { prepareEvent } from '../../src/core/event/prepare.js';
import { MAX_EVENT_BYTES } from '../../src/core/event/schema.js';
import { verifyEvent } from '../../src/core/event/seal.js';
import { MAX_PROBLEMS } from '../../src/core/schema.js';
import { ADMIN_TOKEN, event, startTestApp, type TestApp } from '../helpers/app.js';

/** The pg driver's deprecation warnings (one per process), seen by the last test of this file. */
const warnings: Error[] = [];
process.on('warning', (w) => warnings.push(w));

interface Page {
  data: Record<string, unknown>[];
  next_cursor: string | null;
}

describe('native events API', () => {
  let t: TestApp;
  let acme: string;
  let globex: string;
  let readOnly: string;
  let writeOnly: string;

  const post = (token: string | null, payload: unknown, headers: Record<string, string> = {}) =>
    t.call(token, { method: 'POST', url: '/v1/events', payload: payload as string, headers });
  const get = (token: string | null, url: string) => t.call(token, { method: 'GET', url });
  const page = async (token: string, url: string) => {
    const res = await get(token, url);
    assert.equal(res.statusCode, 200, res.body);
    return res.json<Page>();
  };

  before(async () => {
    t = await startTestApp();
    acme = await t.tenantWithKey('acme');
    globex = await t.tenantWithKey('globex');
    readOnly = await t.key('acme', ['events:read']);
    writeOnly = await t.key('acme', ['events:write']);
  });
  after(async () => t.close());

  describe('POST /v1/events', () => {
    it('stores one event and returns its id, seq and hash', async () => {
      const res = await post(acme, event({ id: 'one', actor: { id: 'alice' } }));
      assert.equal(res.statusCode, 201, res.body);
      const body = res.json<{ accepted: number; events: { id: string; seq: number; hash: string }[] }>();
      assert.equal(body.accepted, 1);
      assert.equal(body.events[0]?.id, 'one');
      assert.equal(body.events[0]?.seq, 1);
      const stored = (await get(acme, '/v1/events/one')).json<Record<string, unknown>>();
      assert.equal(stored.hash, body.events[0]?.hash);
      assert.ok(verifyEvent(stored), 'the returned event hashes to its hash');
      assert.equal(stored.occurred_at, '2026-03-01T12:00:00.000Z');
      assert.deepEqual(
        [stored.category, stored.outcome, stored.level, stored.automatic],
        ['admin', 'success', 'user', false],
      );
      assert.equal(stored.tenant, 'acme');
    });

    it('stores a batch atomically with consecutive seqs and generated UUIDv7 ids', async () => {
      const res = await post(acme, {
        events: [event(), event({ occurred_at: '2026-03-01T13:00:00+02:00' })],
      });
      assert.equal(res.statusCode, 201);
      const { events } = res.json<{ events: { id: string; seq: number }[] }>();
      assert.deepEqual(
        events.map((e) => e.seq),
        [2, 3],
      );
      for (const e of events)
        assert.match(e.id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      const second = (await get(acme, '/v1/events/3')).json<{ occurred_at: string }>();
      assert.equal(second.occurred_at, '2026-03-01T11:00:00.000Z', 'returned in UTC');
    });

    it('accepts NDJSON', async () => {
      const ndjson = `${JSON.stringify(event({ id: 'nd1' }))}\n\n${JSON.stringify(event({ id: 'nd2' }))}\n`;
      const res = await post(acme, ndjson, { 'content-type': 'application/x-ndjson' });
      assert.equal(res.statusCode, 201, res.body);
      assert.equal(res.json<{ accepted: number }>().accepted, 2);
    });

    it('is idempotent on client ids: same content answers 200 with the original seq and hash', async () => {
      const first = (await post(acme, event({ id: 'idem', action: 'a' }))).json<{ events: unknown[] }>();
      const again = await post(acme, event({ id: 'idem', action: 'a' }));
      assert.equal(again.statusCode, 200);
      const body = again.json<{ duplicates: number; events: Record<string, unknown>[] }>();
      assert.equal(body.duplicates, 1);
      assert.deepEqual(body.events[0], { ...(first.events[0] as object), duplicate: true });
    });

    it('answers 409 for a known id with different content, and stores nothing of the batch', async () => {
      const before = (await get(acme, '/v1/events/count')).json<{ count: number }>().count;
      const res = await post(acme, { events: [event({ id: 'fresh' }), event({ id: 'idem', action: 'b' })] });
      assert.equal(res.statusCode, 409);
      assert.equal(res.json<{ error: { code: string } }>().error.code, 'conflict');
      assert.equal((await get(acme, '/v1/events/count')).json<{ count: number }>().count, before);
      assert.equal((await get(acme, '/v1/events/fresh')).statusCode, 404);
    });

    it('names the JSON path of every problem and stores nothing', async () => {
      const res = await post(acme, {
        events: [
          event({ id: 'ok-but-rejected' }),
          { action: 'x', bogus: true },
          event({ occurred_at: 'yesterday', source: { ip: ['999.1.1.1'] } }),
          event({ description: 'nul\u0000byte', category: 'weird' }),
        ],
      });
      assert.equal(res.statusCode, 400);
      const body = res.json<{ error: { code: string; details: { path: string }[] }; request_id: string }>();
      assert.equal(body.error.code, 'invalid_event');
      const paths = body.error.details.map((d) => d.path);
      for (const p of [
        '$.events[1].occurred_at',
        '$.events[1].bogus',
        '$.events[2].occurred_at',
        '$.events[3].category',
      ]) {
        assert.ok(paths.includes(p), `${p} in ${paths.join(', ')}`);
      }
      assert.ok(body.request_id);
      assert.equal((await get(acme, '/v1/events/ok-but-rejected')).statusCode, 404);
    });

    it('rejects IPs, NUL characters and oversized events after the schema passes', async () => {
      const cases: [Record<string, unknown>, string][] = [
        [event({ source: { ip: ['10.0.0.1', 'not-an-ip'] } }), '$.source.ip[1]'],
        [event({ description: 'a\u0000b' }), '$.description'],
        [
          event({
            context: Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`k${i}`, 'x'.repeat(3999)])),
          }),
          '$',
        ],
        [event({ description: '\ud800 lone surrogate' }), '$.description'],
      ];
      for (const [body, path] of cases) {
        const res = await post(acme, body);
        assert.equal(res.statusCode, 400, res.body);
        assert.deepEqual(
          res.json<{ error: { details: { path: string }[] } }>().error.details.map((d) => d.path),
          [path],
        );
      }
    });

    it('rejects malformed JSON, wrong content types, empty and oversized batches', async () => {
      const bad = await post(acme, '{"occurred_at":', { 'content-type': 'application/json' });
      assert.equal(bad.statusCode, 400);
      assert.equal(bad.json<{ error: { code: string } }>().error.code, 'invalid_json');
      const ndBad = await post(acme, `${JSON.stringify(event())}\n{nope\n`, {
        'content-type': 'application/x-ndjson',
      });
      assert.equal(ndBad.statusCode, 400);
      assert.match(ndBad.json<{ error: { message: string } }>().error.message, /Line 2/);
      for (const type of ['text/plain', 'application/xml']) {
        const res = await post(acme, 'hello', { 'content-type': type });
        assert.equal(res.statusCode, 415, type);
        assert.equal(res.json<{ error: { code: string } }>().error.code, 'unsupported_media_type');
      }
      assert.equal((await post(acme, { events: [] })).statusCode, 400);
      const tooMany = await post(acme, { events: Array.from({ length: 1001 }, () => event()) });
      assert.equal(tooMany.statusCode, 413);
      const huge = await post(acme, { events: [event({ description: 'x'.repeat(9 * 1024 * 1024) })] });
      assert.equal(huge.statusCode, 413);
      assert.equal(huge.json<{ error: { code: string } }>().error.code, 'payload_too_large');
    });

    it('needs a credential with events:write of a tenant', async () => {
      assert.equal((await post(null, event())).statusCode, 401);
      assert.equal(
        (await post('tk_key_00000000000000000000_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx', event()))
          .statusCode,
        401,
      );
      assert.equal((await post(readOnly, event())).statusCode, 403);
      const admin = await post(ADMIN_TOKEN, event());
      assert.equal(admin.statusCode, 403, 'the operator token writes no tenant data');
    });
  });

  describe('GET /v1/events', () => {
    before(async () => {
      await t.tenantWithKey('search');
      const key = await t.key('search', ['events:write', 'events:read']);
      const events = Array.from({ length: 30 }, (_, i) =>
        event({
          id: `s${i}`,
          occurred_at: new Date(Date.parse('2026-05-01T00:00:00Z') + i * 60_000).toISOString(),
          action: i % 3 === 0 ? 'user.login' : 'ticket.update',
          actor: {
            id: `user-${i % 4}`,
            type: i % 5 === 0 ? 'system' : 'user',
            name: i === 7 ? 'Zelda Quartermaine' : 'Someone',
          },
          target: { type: i % 2 ? 'ticket' : 'user', id: `obj-${i % 6}` },
          service: 'helpdesk',
          outcome: i % 10 === 9 ? 'failure' : 'success',
          source: { ip: [`192.0.2.${i % 3}`], session_id: `sess-${i % 2}`, trace_id: `trace-${i}` },
          client: { id: `app-${i % 2}` },
          transaction_id: `txn-${Math.floor(i / 5)}`,
          changes: i === 11 ? [{ field: 'status', old: ['open'], new: ['escalated'] }] : undefined,
        }),
      );
      const res = await post(key, { events });
      assert.equal(res.statusCode, 201);
      searchKey = key;
    });
    let searchKey = '';
    const ids = (p: Page) => p.data.map((e) => e.id);

    it('lists newest first by default and pages with signed cursors', async () => {
      const seen: unknown[] = [];
      let url = '/v1/events?limit=7';
      for (let i = 0; i < 10; i++) {
        const p = await page(searchKey, url);
        seen.push(...ids(p));
        if (!p.next_cursor) break;
        url = `/v1/events?limit=7&cursor=${encodeURIComponent(p.next_cursor)}`;
      }
      assert.deepEqual(
        seen,
        Array.from({ length: 30 }, (_, i) => `s${29 - i}`),
      );
      const asc = await page(searchKey, '/v1/events?order=asc&limit=3');
      assert.deepEqual(ids(asc), ['s0', 's1', 's2']);
      const next = await page(
        searchKey,
        `/v1/events?limit=3&cursor=${encodeURIComponent(asc.next_cursor ?? '')}`,
      );
      assert.deepEqual(ids(next), ['s3', 's4', 's5'], 'the cursor keeps its order');
    });

    it('honours every filter; repeats OR, different filters AND', async () => {
      const cases: [string, (i: number) => boolean][] = [
        ['action=user.login', (i) => i % 3 === 0],
        ['actor_id=user-1&actor_id=user-2', (i) => i % 4 === 1 || i % 4 === 2],
        ['actor_type=system', (i) => i % 5 === 0],
        ['target_type=ticket&target_id=obj-1', (i) => i % 2 === 1 && i % 6 === 1],
        ['service=helpdesk&outcome=failure', (i) => i % 10 === 9],
        ['category=admin&action=ticket.update', (i) => i % 3 !== 0],
        ['ip=192.0.2.2', (i) => i % 3 === 2],
        ['client_id=app-1', (i) => i % 2 === 1],
        ['session_id=sess-0', (i) => i % 2 === 0],
        ['trace_id=trace-4', (i) => i === 4],
        ['transaction_id=txn-2', (i) => Math.floor(i / 5) === 2],
        ['from=2026-05-01T00:10:00Z&to=2026-05-01T00:20:00Z', (i) => i >= 10 && i < 20],
        ['q=zelda', (i) => i === 7],
        ['q=escalated', (i) => i === 11],
      ];
      for (const [query, pred] of cases) {
        const p = await page(searchKey, `/v1/events?order=asc&limit=1000&${query}`);
        const want = Array.from({ length: 30 }, (_, i) => i)
          .filter(pred)
          .map((i) => `s${i}`);
        assert.deepEqual(ids(p), want, query);
        const count = (await get(searchKey, `/v1/events/count?${query}`)).json<{ count: number }>();
        assert.equal(count.count, want.length, `count ${query}`);
      }
    });

    it('rejects bad parameters with 400 naming them', async () => {
      for (const [query, name] of [
        ['limit=0', 'limit'],
        ['limit=1001', 'limit'],
        ['limit=ten', 'limit'],
        ['order=sideways', 'order'],
        ['from=yesterday', 'from'],
        ['actor=alice', 'actor'],
      ]) {
        const res = await get(searchKey, `/v1/events?${query}`);
        assert.equal(res.statusCode, 400, query);
        assert.match(
          res.json<{ error: { message: string } }>().error.message,
          new RegExp(`query.${name}`),
          query,
        );
      }
    });

    it('rejects tampered, foreign and garbage cursors', async () => {
      const p = await page(searchKey, '/v1/events?limit=2');
      const cursor = p.next_cursor ?? '';
      const [payload, mac] = cursor.split('.');
      const forged = `${Buffer.from('d.9999999999999.1').toString('base64url')}.${mac}`;
      for (const c of [forged, `${payload}.AAAA`, 'garbage', `${cursor}.x`]) {
        const res = await get(searchKey, `/v1/events?cursor=${encodeURIComponent(c)}`);
        assert.equal(res.statusCode, 400, c);
        assert.equal(res.json<{ error: { code: string } }>().error.code, 'invalid_cursor');
      }
      const foreign = await get(acme, `/v1/events?cursor=${encodeURIComponent(cursor)}`);
      assert.equal(foreign.statusCode, 400, 'a cursor is bound to its tenant');
    });

    it('keeps tenants apart and needs events:read', async () => {
      const p = await page(globex, '/v1/events');
      assert.deepEqual(p.data, []);
      assert.equal((await get(globex, '/v1/events/s1')).statusCode, 404);
      assert.equal((await get(globex, '/v1/events/1')).statusCode, 404);
      assert.equal((await get(globex, '/v1/events/count')).json<{ count: number }>().count, 0);
      assert.equal((await get(null, '/v1/events')).statusCode, 401);
      assert.equal((await get(writeOnly, '/v1/events')).statusCode, 403);
      assert.equal((await get(writeOnly, '/v1/events/count')).statusCode, 403);
      assert.equal((await get(writeOnly, '/v1/events/one')).statusCode, 403);
      assert.equal((await get(ADMIN_TOKEN, '/v1/events')).statusCode, 403);
    });

    it('gets one event by id or seq, 404 otherwise', async () => {
      const byId = (await get(searchKey, '/v1/events/s4')).json<{ seq: number }>();
      const bySeq = (await get(searchKey, `/v1/events/${byId.seq}`)).json<{ id: string }>();
      assert.equal(bySeq.id, 's4');
      const missing = await get(searchKey, '/v1/events/nope');
      assert.equal(missing.statusCode, 404);
      assert.equal(missing.json<{ error: { code: string } }>().error.code, 'not_found');
    });

    it('reads a number as the seq: an id stored as "1" before ids like it were refused cannot hide event 1', async () => {
      await t.tenantWithKey('legacy').then(async (key) => {
        const first = (await post(key, event({ id: 'first' }))).json<{ events: { seq: number }[] }>();
        assert.equal(first.events[0]?.seq, 1);
        // As an older server stored it: straight through the store, past today's ingest checks.
        await t.services.store.events.append(
          'legacy',
          [prepareEvent({ ...event(), id: '1' } as never)],
          Date.now(),
        );
        const one = await get(key, '/v1/events/1');
        assert.equal(one.statusCode, 200, one.body);
        assert.equal(one.json<{ id: string; seq: number }>().id, 'first');
        const two = (await get(key, '/v1/events/2')).json<{ id: string }>();
        assert.equal(two.id, '1', 'the legacy event is still there, under its own seq');
      });
    });
  });

  describe('bounds on ingest', () => {
    const count = async (token: string) =>
      (await get(token, '/v1/events/count')).json<{ count: number }>().count;
    const errorOf = (body: string) =>
      (
        JSON.parse(body) as {
          error: { code: string; message: string; details: { path: string; message: string }[] };
        }
      ).error;
    let bounds: string;
    before(async () => {
      bounds = await t.tenantWithKey('bounds');
    });

    it('refuses NDJSON past 1,000 events with 413 naming the limit, before parsing a line, storing nothing', async () => {
      const line = JSON.stringify(event());
      // 120,000 lines, the last not even JSON: refused for the count, not for the line.
      const many = `${`${line}\n`.repeat(119_999)}{not json\n`;
      const res = await post(bounds, many, { 'content-type': 'application/x-ndjson' });
      assert.equal(res.statusCode, 413, res.body.slice(0, 300));
      const error = errorOf(res.body);
      assert.equal(error.code, 'payload_too_large');
      assert.match(error.message, /at most 1000 events/);
      const justOver = `${line}\n\n`.repeat(1001);
      assert.equal(
        (await post(bounds, justOver, { 'content-type': 'application/x-ndjson' })).statusCode,
        413,
      );
      assert.equal(await count(bounds), 0);
      const limit = await post(bounds, `${line}\n\n`.repeat(1000), {
        'content-type': 'application/x-ndjson',
      });
      assert.equal(limit.statusCode, 201, limit.body.slice(0, 300));
      assert.equal(await count(bounds), 1000, 'blank lines are not events');
    });

    it('names the first 100 problems and counts the rest, however many: 400, not a crash', async () => {
      const cases: { name: string; body: string; type?: string; more: RegExp }[] = [
        {
          name: 'a million invalid changes',
          body: `{"occurred_at":"2026-03-01T12:00:00Z","action":"x","changes":[${'0,'.repeat(999_999)}0]}`,
          more: /^is more than 65536 bytes of JSON/,
        },
        {
          name: '400,000 unknown keys',
          body: `{"occurred_at":"2026-03-01T12:00:00Z","action":"x",${Array.from({ length: 400_000 }, (_, i) => `"k${i}":0`).join(',')}}`,
          more: /^is more than 65536 bytes of JSON/,
        },
        {
          name: 'an event of 500 invalid changes',
          body: `{"occurred_at":"2026-03-01T12:00:00Z","action":"x","changes":[${'0,'.repeat(499)}0]}`,
          more: /^and 400 more problems$/,
        },
        {
          name: 'a batch of 1,000 invalid events',
          body: JSON.stringify({
            events: Array.from({ length: 1000 }, () => ({ action: 'x', bogus: 1, level: 'z' })),
          }),
          more: /^and 2,900 more problems$/,
        },
        {
          name: 'NDJSON of 1,000 invalid events',
          body: Array.from({ length: 1000 }, () => '{"action":1}').join('\n'),
          type: 'application/x-ndjson',
          more: /^and 1,900 more problems$/,
        },
      ];
      for (const c of cases) {
        const res = await post(bounds, c.body, { 'content-type': c.type ?? 'application/json' });
        assert.equal(res.statusCode, 400, `${c.name}: ${res.body.slice(0, 300)}`);
        const { code, details } = errorOf(res.body);
        assert.equal(code, 'invalid_event', c.name);
        assert.ok(
          details.length >= 2 && details.length <= MAX_PROBLEMS + 1,
          `${c.name}: ${details.length} problems`,
        );
        assert.match(details.at(-1)?.message ?? '', c.more, c.name);
      }
      assert.equal(await count(bounds), 1000, 'nothing more was stored');
    });

    it('names the first problem of an event past any valid size, and its size', async () => {
      const res = await post(bounds, {
        ...event(),
        changes: Array.from({ length: 20_000 }, () => ({ field: 'f' })),
      });
      assert.equal(res.statusCode, 400, res.body.slice(0, 300));
      assert.deepEqual(errorOf(res.body).details, [
        { path: '$.changes', message: 'must NOT have more than 1000 items' },
        {
          path: '$',
          message: `is more than ${MAX_EVENT_BYTES} bytes of JSON: its other problems are not listed`,
        },
      ]);
    });

    it('refuses a __proto__ key on JSON and NDJSON alike, naming where it is', async () => {
      const text = '{"occurred_at":"2026-03-01T12:00:00Z","action":"x","context":{"__proto__":"x","a":"b"}}';
      const json = await post(bounds, text, { 'content-type': 'application/json' });
      const ndjson = await post(bounds, `${JSON.stringify(event())}\n${text}\n`, {
        'content-type': 'application/x-ndjson',
      });
      for (const [res, path] of [
        [json, '$.context.__proto__'],
        [ndjson, '$[1].context.__proto__'],
      ] as const) {
        assert.equal(res.statusCode, 400, res.body);
        const error = errorOf(res.body);
        assert.equal(error.code, 'invalid_event');
        assert.deepEqual(
          error.details.map((d) => d.path),
          [path],
        );
        assert.match(error.details[0]?.message ?? '', /__proto__/);
      }
      const top = await post(
        bounds,
        '{"occurred_at":"2026-03-01T12:00:00Z","action":"x","__proto__":{"a":1}}',
        {
          'content-type': 'application/json',
        },
      );
      assert.deepEqual(
        errorOf(top.body).details.map((d) => d.path),
        ['$.__proto__'],
      );
      assert.equal(await count(bounds), 1000);
    });

    it('refuses a client id that reads as a seq, saying why', async () => {
      for (const id of ['1', '42', '9999999999999999']) {
        const res = await post(bounds, event({ id }));
        assert.equal(res.statusCode, 400, `${id}: ${res.body}`);
        const [problem] = errorOf(res.body).details;
        assert.equal(problem?.path, '$.id');
        assert.match(problem?.message ?? '', /seq/);
      }
      for (const id of ['0', '042', '-1', '1.5', '12345678901234567', 'ev-42']) {
        assert.equal((await post(bounds, event({ id }))).statusCode, 201, id);
      }
    });
  });

  it('starts and serves without a warning from the database driver', () => {
    assert.deepEqual(
      warnings.map((w) => `${w.name}: ${w.message}`),
      [],
    );
  });
});
