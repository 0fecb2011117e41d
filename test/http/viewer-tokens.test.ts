// @engines sqlite postgres
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { type FilterParams, toEventFilter } from '../../src/core/filters.js';
import { ADMIN_TOKEN, event, startTestApp, type TestApp } from '../helpers/app.js';
import { assertEnvelope, dialectOf } from '../helpers/envelopes.js';
import { ingest, type JobJson, settled, until } from '../helpers/jobs.js';
import { dataOf, openStream, type SseClient } from '../helpers/sse.js';
import { sleep, within } from '../helpers/wait.js';

/**
 * Viewer tokens (docs/embedding.md): minting, the narrowing every read ANDs in, expiry and
 * revocation, the routes that refuse them, the views they record, CORS and rate limits.
 * Every route's refusal is checked route by route in test/http/isolation.test.ts.
 */

type Obj = Record<string, unknown>;
type Stored = Obj & { id: string; seq: number; actor?: { id?: string; name?: string; type?: string } };
const HOUR = 3_600_000;
const ACTOR = { id: 'u-42', name: 'Uma Viewer' };
const PEOPLE = ['alice', 'bob', 'carol'] as const;

/** The claims of a JWT, read without checking it (the server checks; this reads what it put there). */
const claimsOf = (jwt: string): Obj =>
  JSON.parse(Buffer.from(jwt.split('.')[1] as string, 'base64url').toString()) as Obj;
const errorOf = (res: LightMyRequestResponse) =>
  res.json<{ error: { code: string; message: string; details?: { path: string }[] } }>().error;

describe('viewer tokens', () => {
  let t: TestApp;
  /** Added to the services' clock: moves token expiry, and nothing the tests wait on. */
  let skew = 0;
  /** acme's key (read and write), its id, and globex's key. */
  let key: string;
  let keyId: string;
  let globex: string;
  let acmeEvents: Stored[];
  let globexEvents: Stored[];

  const call = (token: string | null, opts: InjectOptions) => t.call(token, opts);
  const get = (token: string | null, url: string, headers: Record<string, string> = {}) =>
    call(token, { method: 'GET', url, headers });
  const mint = (token: string | null, payload: unknown, headers: Record<string, string> = {}) =>
    call(token, { method: 'POST', url: '/v1/viewer-tokens', payload: payload as Obj, headers });
  /** A viewer token of acme's key narrowed to `filters`. */
  const viewer = async (
    filters: Obj = {},
    by = key,
    more: Obj = {},
    headers: Record<string, string> = {},
  ) => {
    const res = await mint(by, { actor: ACTOR, filters, ...more }, headers);
    assert.equal(res.statusCode, 201, res.body);
    return res.json<{ token: string; expires_at: string }>().token;
  };
  /** Every event of a tenant, oldest first, as its full key reads them. */
  const all = async (token = key): Promise<Stored[]> =>
    (await get(token, '/v1/events?order=asc&limit=1000')).json<{ data: Stored[] }>().data;
  const listed = async (token: string, query = ''): Promise<Stored[]> => {
    const res = await get(token, `/v1/events?order=asc&limit=1000${query}`);
    assert.equal(res.statusCode, 200, res.body);
    return res.json<{ data: Stored[] }>().data;
  };
  const ids = (events: Stored[]) => events.map((e) => e.id);
  /** acme's events of `person`, as the key reads them. */
  const of = async (person: string) => ids((await all()).filter((e) => e.actor?.id === person));
  /** The tenant's recorded views in the order they were recorded (the clock is moved in places). */
  const views = async (token = key) =>
    (
      (await listed(token, '&action=audit.log.view')) as (Stored & { context: Record<string, string> })[]
    ).sort((x, y) => x.seq - y.seq);

  before(async () => {
    t = await startTestApp(
      { TRAILKEEP_RATE_LIMIT: '0', TRAILKEEP_LOG_CHECKPOINT_INTERVAL: '0.1' },
      undefined,
      {
        clock: () => Date.now() + skew,
      },
    );
    key = await t.tenantWithKey('vt-acme');
    keyId = /^tk_(key_[0-9a-f]{20})_/.exec(key)?.[1] as string;
    globex = await t.tenantWithKey('vt-globex');
    const now = Date.now();
    await ingest(
      t,
      key,
      Array.from({ length: 12 }, (_, i) =>
        event({
          id: `acme-${i}`,
          occurred_at: new Date(now - (12 - i) * HOUR).toISOString(),
          action: i % 2 ? 'doc.update' : 'doc.read',
          actor: { id: PEOPLE[i % 3], type: 'user' },
          target: { type: 'doc', id: `doc-${i % 4}` },
          source: { ip: [i % 2 ? '198.51.100.7' : '203.0.113.9'] },
          description: i % 3 === 0 ? 'quarterly report opened' : 'something else',
        }),
      ),
    );
    await ingest(
      t,
      globex,
      Array.from({ length: 15 }, (_, i) => event({ id: `globex-${i}`, actor: { id: 'alice' } })),
    );
    acmeEvents = await all();
    globexEvents = await all(globex);
  });
  after(async () => {
    await t?.close();
  });

  describe('minting: POST /v1/viewer-tokens', () => {
    it('a key with events:read mints a token bound to its tenant, its actor and its filters', async () => {
      const before = Math.floor(Date.now() / 1000);
      const res = await mint(key, { actor: ACTOR, filters: { actor_id: 'alice', action: ['doc.read'] } });
      assert.equal(res.statusCode, 201, res.body);
      const { token, expires_at } = res.json<{ token: string; expires_at: string }>();
      assert.deepEqual(Object.keys(res.json()).sort(), ['expires_at', 'token']);
      const claims = claimsOf(token);
      assert.equal(claims.iss, 'trailkeep');
      assert.equal(claims.sub, keyId, 'the issuing credential');
      assert.equal(claims.tnt, 'vt-acme');
      assert.equal(claims.scope, 'events:read');
      assert.match(String(claims.jti), /^[0-9a-f-]{36}$/);
      const granted = claims.viewer as { actor: Obj; filters: FilterParams };
      assert.deepEqual(granted.actor, ACTOR);
      // As validated: a list of one value may come back as the value, which filters the same.
      assert.deepEqual(
        toEventFilter(granted.filters),
        toEventFilter({ actor_id: 'alice', action: ['doc.read'] }),
      );
      assert.equal(Number(claims.exp) - Number(claims.iat), 900, 'fifteen minutes by default');
      assert.ok(Number(claims.iat) >= before);
      assert.equal(expires_at, new Date(Number(claims.exp) * 1000).toISOString());
      assert.match(expires_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    });

    it('takes a ttl from 1 second to TRAILKEEP_VIEWER_TOKEN_MAX_TTL (3600)', async () => {
      for (const ttl of [1, 60, 3600]) {
        const claims = claimsOf(await viewer({}, key, { ttl_seconds: ttl }));
        assert.equal(Number(claims.exp) - Number(claims.iat), ttl);
      }
    });

    it('bad input is a 400 naming the member, and mints nothing', async () => {
      const cases: [Obj, RegExp][] = [
        [{}, /actor/],
        [{ actor: {} }, /actor\.id/],
        [{ actor: { id: '' } }, /actor\.id/],
        [{ actor: { id: 'x'.repeat(257) } }, /actor\.id/],
        [{ actor: { id: 'u', email: 'u@example.com' } }, /actor\.email/],
        [{ actor: ACTOR, filters: { colour: 'red' } }, /filters\.colour/],
        [{ actor: ACTOR, filters: { actor_id: [] } }, /filters\.actor_id/],
        [{ actor: ACTOR, filters: { from: 'yesterday' } }, /filters\.from/],
        [{ actor: ACTOR, filters: { from: '10000-01-01T00:00:00Z' } }, /from/],
        [{ actor: ACTOR, filters: { min_seq: 0 } }, /filters\.min_seq/],
        [
          { actor: ACTOR, filters: { actor_id: Array.from({ length: 20 }, () => 'a'.repeat(250)) } },
          /filters/,
        ],
        [{ actor: ACTOR, ttl_seconds: 0 }, /ttl_seconds/],
        [{ actor: ACTOR, ttl_seconds: 3601 }, /ttl_seconds/],
        [{ actor: ACTOR, ttl_seconds: 1.5 }, /ttl_seconds/],
        [{ actor: ACTOR, scope: 'events:write' }, /scope/],
      ];
      for (const [body, member] of cases) {
        const res = await mint(key, body);
        assert.equal(res.statusCode, 400, `${JSON.stringify(body).slice(0, 120)}: ${res.body}`);
        assertEnvelope('native', res, JSON.stringify(body).slice(0, 120));
        const { message, details } = errorOf(res);
        assert.match(`${message} ${JSON.stringify(details)}`, member, JSON.stringify(body).slice(0, 120));
      }
    });

    it('needs events:read of the tenant: other scopes, the admin token and a viewer token are 403', async () => {
      const writer = await t.key('vt-acme', ['events:write']);
      const admin = await t.key('vt-acme', ['tenant:admin']);
      for (const token of [writer, admin, ADMIN_TOKEN, await viewer()]) {
        const res = await mint(token, { actor: ACTOR });
        assert.equal(res.statusCode, 403, res.body);
        assertEnvelope('native', res, 'mint');
      }
      assert.equal((await mint(null, { actor: ACTOR })).statusCode, 401);
      assert.equal((await mint('tk_key_00000000000000000000_nope', { actor: ACTOR })).statusCode, 401);
    });

    it('a tenant credential mints only for its own tenant; an OAuth access token mints as its client', async () => {
      const res = await mint(key, { actor: ACTOR }, { 'trailkeep-tenant': 'vt-globex' });
      assert.equal(res.statusCode, 403, res.body);
      assert.equal(claimsOf(await viewer({}, key, {}, { 'trailkeep-tenant': 'vt-acme' })).tnt, 'vt-acme');
      const access = await t.accessToken('vt-acme', ['events:read']);
      const minted = claimsOf(await viewer({}, access));
      assert.equal(minted.sub, claimsOf(access).sub);
      assert.equal(minted.tnt, 'vt-acme');
    });

    it('an operator key with events:read names an existing tenant', async () => {
      const operator = async (scopes: string[]) =>
        (
          await call(ADMIN_TOKEN, { method: 'POST', url: '/v1/keys', payload: { name: 'saas', scopes } })
        ).json<{ id: string; secret: string }>();
      const reader = await operator(['events:read']);
      const token = await viewer({}, reader.secret, {}, { 'trailkeep-tenant': 'vt-globex' });
      assert.deepEqual([claimsOf(token).tnt, claimsOf(token).sub], ['vt-globex', reader.id]);
      assert.deepEqual(ids(await listed(token, '&action=user.update')), ids(globexEvents));
      assert.equal((await mint(reader.secret, { actor: ACTOR })).statusCode, 400, 'no tenant named');
      const unknown = await mint(reader.secret, { actor: ACTOR }, { 'trailkeep-tenant': 'vt-nowhere' });
      assert.equal(unknown.statusCode, 404);
      const writer = await operator(['events:write']);
      assert.equal(
        (await mint(writer.secret, { actor: ACTOR }, { 'trailkeep-tenant': 'vt-acme' })).statusCode,
        403,
      );
    });
  });

  describe('reads: the token’s filters ANDed into every one', () => {
    it('lists and counts only events within the filters, even when the request asks for others', async () => {
      const token = await viewer({ actor_id: 'alice' });
      const alice = await of('alice');
      assert.ok(alice.length > 0 && alice.length < acmeEvents.length);
      assert.deepEqual(ids(await listed(token)), alice);
      assert.deepEqual(ids(await listed(token, '&actor_id=bob')), []);
      assert.deepEqual(ids(await listed(token, '&actor_id=bob&actor_id=alice')), alice);
      const count = async (query: string) =>
        (await get(token, `/v1/events/count?${query}`)).json<{ count: number }>().count;
      assert.equal(await count(''), alice.length);
      assert.equal(await count('actor_id=bob'), 0);
      assert.equal(await count('action=doc.read'), (await listed(token, '&action=doc.read')).length);
      const reads = (await all()).filter((e) => e.actor?.id === 'alice' && e.action === 'doc.read');
      assert.deepEqual(ids(await listed(token, '&action=doc.read')), ids(reads));
    });

    it('time ranges, seqs and full text narrow as well: the later from, the earlier to, all terms', async () => {
      const events = (await all()).filter((e) => e.action !== 'audit.log.view');
      const at = (e: Stored) => Date.parse(e.occurred_at as string);
      const middle = at(events[6] as Stored);
      const token = await viewer({ from: new Date(middle).toISOString(), q: 'quarterly' });
      const want = events.filter((e) => at(e) >= middle && String(e.description).includes('quarterly'));
      assert.ok(want.length > 0);
      assert.deepEqual(ids(await listed(token)), ids(want));
      const early = new Date(middle - 10 * HOUR).toISOString();
      assert.deepEqual(
        ids(await listed(token, `&from=${encodeURIComponent(early)}`)),
        ids(want),
        'an earlier from',
      );
      assert.deepEqual(ids(await listed(token, '&q=something')), [], 'terms of both');
      const seqToken = await viewer({ max_seq: 3 });
      assert.deepEqual(ids(await listed(seqToken, '&min_seq=2&max_seq=9')), ids(events.slice(1, 3)));
    });

    it('an action prefix narrows to the longer of the two, or to nothing', async () => {
      const token = await viewer({ action_prefix: 'doc.' });
      const docs = (await all()).filter((e) => String(e.action).startsWith('doc.'));
      const reads = docs.filter((e) => e.action === 'doc.read');
      assert.ok(reads.length > 0 && reads.length < docs.length);
      assert.deepEqual(ids(await listed(token)), ids(docs));
      assert.deepEqual(ids(await listed(token, '&action_prefix=doc.re')), ids(reads));
      assert.deepEqual(ids(await listed(token, '&action_prefix=audit.')), [], 'not its own views');
      assert.deepEqual(
        ids(await listed(token, '&action_prefix=d')),
        ids(docs),
        'a shorter one widens nothing',
      );
    });

    it('pages never leave the filters, whatever cursor is replayed', async () => {
      const token = await viewer({ actor_id: 'bob' });
      const seen: string[] = [];
      let cursor: string | null = '';
      // Bounded: a list that escaped its filters would grow by a recorded view each page.
      for (let pages = 0; cursor !== null && pages < 50; pages++) {
        const res = await get(
          token,
          `/v1/events?limit=1${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
        );
        const page = res.json<{ data: Stored[]; next_cursor: string | null }>();
        seen.push(...ids(page.data));
        cursor = page.next_cursor;
      }
      assert.deepEqual(seen, [...(await of('bob'))].reverse());
      // A cursor the full key got from the unfiltered list is only a position: the filters still hold.
      const keyPage = (await get(key, '/v1/events?limit=1')).json<{ next_cursor: string }>();
      const replayed = await get(
        token,
        `/v1/events?limit=1000&cursor=${encodeURIComponent(keyPage.next_cursor)}`,
      );
      assert.equal(replayed.statusCode, 200);
      for (const e of replayed.json<{ data: Stored[] }>().data) assert.equal(e.actor?.id, 'bob');
    });

    it('one event outside the filters answers 404 exactly as one that does not exist', async () => {
      const token = await viewer({ actor_id: 'alice' });
      const bobs = (await all()).filter((e) => e.actor?.id === 'bob');
      const alices = (await all()).filter((e) => e.actor?.id === 'alice');
      const own = await get(token, `/v1/events/${alices[0]?.id}`);
      assert.equal(own.statusCode, 200);
      assert.equal(own.json<Stored>().id, alices[0]?.id);
      assert.equal((await get(token, `/v1/events/${alices[0]?.seq}`)).json<Stored>().id, alices[0]?.id);
      for (const [hidden, missing] of [
        [bobs[0]?.id, 'acme-none'],
        [String(bobs[0]?.seq), '999999'],
        [globexEvents[0]?.id, 'globex-none'],
      ] as const) {
        const a = await get(token, `/v1/events/${hidden}`);
        const b = await get(token, `/v1/events/${missing}`);
        assert.deepEqual([a.statusCode, b.statusCode], [404, 404]);
        assert.deepEqual(
          { ...errorOf(a), message: errorOf(a).message.replace(String(hidden), 'X') },
          { ...errorOf(b), message: errorOf(b).message.replace(String(missing), 'X') },
        );
        assert.equal(
          a.headers['content-length'],
          String(Number(b.headers['content-length']) + (String(hidden).length - String(missing).length)),
        );
      }
    });

    it('exports only what the filters select; the export is seen by tokens of the same filters', async () => {
      const token = await viewer({ actor_id: 'carol' });
      const start = await call(token, {
        method: 'POST',
        url: '/v1/exports',
        payload: { format: 'ndjson', filters: { actor_id: ['carol', 'alice'] } },
      });
      assert.equal(start.statusCode, 202, start.body);
      const job = await settled(t, token, `/v1/exports/${start.json<JobJson>().id}`);
      assert.equal(job.state, 'succeeded');
      const file = await get(token, new URL(job.download_url as string).pathname);
      assert.equal(file.statusCode, 200);
      const lines = file.body
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Stored);
      assert.deepEqual(
        lines.map((e) => e.id),
        await of('carol'),
      );
      assert.equal(job.rows, lines.length);
      // A proof's witnesses are events as stored, outside the range: not through a viewer token.
      const proven = await call(token, {
        method: 'POST',
        url: '/v1/exports',
        payload: { format: 'ndjson', proofs: true },
      });
      assert.equal(proven.statusCode, 403, proven.body);
      assert.match(errorOf(proven).message, /proofs/);
      // Asking for another's only: nothing.
      const none = await call(token, {
        method: 'POST',
        url: '/v1/exports',
        payload: { format: 'csv', filters: { actor_id: 'bob' } },
      });
      assert.equal((await settled(t, token, `/v1/exports/${none.json<JobJson>().id}`)).rows, 0);
      // The same filters in another token see it; other filters, like the key's own exports, do not.
      const same = await viewer({ actor_id: 'carol' });
      assert.equal((await get(same, `/v1/exports/${job.id}`)).statusCode, 200);
      const other = await viewer({ actor_id: 'alice' });
      for (const path of [`/v1/exports/${job.id}`, `/v1/exports/${job.id}/download`]) {
        assert.equal((await get(other, path)).statusCode, 404, path);
        assert.equal((await get(await viewer(), path)).statusCode, 404, `${path}, unnarrowed token`);
      }
      const keys = await call(key, { method: 'POST', url: '/v1/exports', payload: { format: 'csv' } });
      const keyJob = keys.json<JobJson>().id;
      await settled(t, key, `/v1/exports/${keyJob}`);
      assert.equal((await get(token, `/v1/exports/${keyJob}`)).statusCode, 404);
      assert.equal((await get(token, `/v1/exports/${keyJob}/download`)).statusCode, 404);
      assert.equal(
        (await get(key, `/v1/exports/${job.id}`)).statusCode,
        200,
        'the tenant’s key sees every export',
      );
    });

    it('the log: its key and checkpoint, and inclusion proofs of events within the filters only', async () => {
      const token = await viewer({ actor_id: 'alice' });
      const key1 = await get(token, '/v1/log/key');
      assert.equal(key1.statusCode, 200);
      assert.equal(key1.json<{ origin: string }>().origin, 'trailkeep/vt-acme');
      const last = await t.services.store.events.lastSeq('vt-acme');
      await until(async () => ((await t.services.store.log.latest('vt-acme'))?.size ?? 0) >= last);
      const checkpoint = await get(token, '/v1/log/checkpoint');
      assert.equal(checkpoint.statusCode, 200);
      assert.match(checkpoint.body, /^trailkeep\/vt-acme\n\d+\n/);
      const alice = acmeEvents.find((e) => e.actor?.id === 'alice') as Stored;
      const bob = acmeEvents.find((e) => e.actor?.id === 'bob') as Stored;
      for (const q of [`id=${alice.id}`, `seq=${alice.seq}`]) {
        const res = await get(token, `/v1/log/inclusion?${q}`);
        assert.equal(res.statusCode, 200, res.body);
        assert.equal(res.json<{ leaf_index: number }>().leaf_index, alice.seq - 1);
      }
      for (const q of [`id=${bob.id}`, `seq=${bob.seq}`, 'id=acme-none', `id=${globexEvents[0]?.id}`]) {
        assert.equal((await get(token, `/v1/log/inclusion?${q}`)).statusCode, 404, q);
      }
      assert.equal(
        (await get(key, `/v1/log/inclusion?seq=${bob.seq}`)).statusCode,
        200,
        'the key proves any',
      );
    });

    it('a live tail sends only events within the filters, and records one view when it opens', async () => {
      const token = await viewer({ actor_id: 'alice' });
      const last = await t.services.store.events.lastSeq('vt-acme');
      // Bounded to the seqs stored now, the stream ends once it has sent them: read whole.
      const range = `min_seq=1&max_seq=${last}`;
      const sent = (res: LightMyRequestResponse) =>
        res.body
          .split('\n')
          .filter((l) => l.startsWith('data: '))
          .map((l) => (JSON.parse(l.slice(6)) as Stored).id);
      const before = (await views()).length;
      const res = await get(token, `/v1/events/stream?${range}`);
      assert.equal(res.statusCode, 200, res.body);
      const alice = (await all()).filter((e) => e.actor?.id === 'alice' && e.seq <= last);
      assert.deepEqual(sent(res), ids(alice));
      const recorded = await views();
      assert.equal(recorded.length, before + 1, 'one view for the stream');
      assert.equal(recorded.at(-1)?.context.route, 'GET /v1/events/stream');
      const asked = await get(token, `/v1/events/stream?${range}&actor_id=bob&actor_id=alice`);
      assert.deepEqual(sent(asked), ids(alice), 'asking for more gets no more');
      assert.deepEqual(sent(await get(token, `/v1/events/stream?${range}&actor_id=bob`)), []);
    });

    it('another tenant is out of reach: its ids are 404, naming it is 403', async () => {
      const token = await viewer();
      assert.ok(!ids(await listed(token)).some((id) => id.startsWith('globex')));
      assert.equal((await get(token, `/v1/events/${globexEvents[0]?.id}`)).statusCode, 404);
      const named = await get(token, '/v1/events', { 'trailkeep-tenant': 'vt-globex' });
      assert.equal(named.statusCode, 403);
      assertEnvelope('native', named, 'named another tenant');
      assert.equal((await get(token, '/v1/events', { 'trailkeep-tenant': 'vt-acme' })).statusCode, 200);
    });
  });

  describe('what a viewer token may not do', () => {
    it('is refused with 403 in the route’s envelope off the viewer routes', async () => {
      const token = await viewer();
      const refused: [string, string, unknown?][] = [
        ['POST', '/v1/events', event()],
        ['POST', '/v1/queries', {}],
        ['GET', '/v1/log/checkpoints'],
        ['GET', '/v1/log/tile/0/000.p/1'],
        ['GET', '/v1/tenants/vt-acme'],
        ['POST', '/v1/viewer-tokens', { actor: ACTOR }],
        ['GET', '/api/v2/audit_logs'],
        ['POST', '/api/v2/audits/query/realtime', {}],
        ['GET', '/v1/audits'],
      ];
      const before = await t.services.store.events.lastSeq('vt-acme');
      for (const [method, url, payload] of refused) {
        const res = await call(token, {
          method: method as 'GET',
          url,
          ...(payload ? { payload: payload as Obj } : {}),
        });
        assert.equal(res.statusCode, 403, `${method} ${url}: ${res.body}`);
        assertEnvelope(dialectOf(method, url), res, `${method} ${url}`);
      }
      assert.equal(
        await t.services.store.events.lastSeq('vt-acme'),
        before,
        'nothing written, no view recorded',
      );
    });

    it('expires: 401 once its lifetime has passed', async () => {
      const token = await viewer();
      const short = await viewer({}, key, { ttl_seconds: 60 });
      try {
        skew = 59_000;
        assert.equal((await get(short, '/v1/events/count')).statusCode, 200);
        skew = 61_000;
        assert.equal((await get(short, '/v1/events/count')).statusCode, 401);
        assert.equal((await get(token, '/v1/events/count')).statusCode, 200);
        skew = 901_000;
        const late = await get(token, '/v1/events/count');
        assert.equal(late.statusCode, 401);
        assertEnvelope('native', late, 'expired');
      } finally {
        skew = 0;
      }
      assert.equal((await get(token, '/v1/events/count')).statusCode, 200, 'the clock, not the token, moved');
    });

    it('dies at once with the credential that minted it', async () => {
      const own = await t.key('vt-acme', ['events:read']);
      const ownId = /^tk_(key_[0-9a-f]{20})_/.exec(own)?.[1] as string;
      const token = await viewer({}, own);
      const other = await viewer();
      assert.equal((await get(token, '/v1/events/count')).statusCode, 200);
      const revoked = await call(ADMIN_TOKEN, { method: 'DELETE', url: `/v1/tenants/vt-acme/keys/${ownId}` });
      assert.equal(revoked.statusCode, 204);
      assert.equal((await get(token, '/v1/events/count')).statusCode, 401);
      assert.equal((await get(other, '/v1/events/count')).statusCode, 200, 'another key’s tokens live on');
    });

    it('an edited token is not a token', async () => {
      const token = await viewer({ actor_id: 'alice' });
      const [h, , s] = token.split('.');
      const claims = { ...claimsOf(token), viewer: { actor: ACTOR, filters: {} } };
      const widened = `${h}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${s}`;
      assert.equal((await get(widened, '/v1/events')).statusCode, 401);
    });
  });

  describe('recorded views', () => {
    it('each read is an audit.log.view event of the tenant: the token’s actor, what was asked, the filters', async () => {
      const token = await viewer({ actor_id: 'alice' });
      const before = (await views()).length;
      const list = await get(token, '/v1/events?action=doc.read&limit=5', { 'user-agent': 'viewer-test/1' });
      assert.equal(list.statusCode, 200);
      const after = await views();
      assert.equal(after.length, before + 1);
      const view = after.at(-1) as Stored & {
        context: Record<string, string>;
        source: Obj;
        client: Obj;
        target: Obj;
      };
      assert.equal(view.action, 'audit.log.view');
      assert.deepEqual(view.actor, { ...ACTOR, type: 'user' });
      assert.deepEqual(view.client, { id: keyId });
      assert.equal(view.source.token_id, claimsOf(token).jti);
      assert.equal(view.source.request_id, list.headers['x-request-id']);
      assert.equal(view.source.user_agent, 'viewer-test/1');
      assert.deepEqual(view.source.ip, ['127.0.0.1']);
      assert.deepEqual(view.target, { type: 'audit_log' });
      assert.equal(view.category, 'data');
      assert.equal(view.context.route, 'GET /v1/events');
      assert.deepEqual(JSON.parse(view.context.request as string), {
        query: { action: ['doc.read'], limit: 5, order: 'desc' },
      });
      assert.deepEqual(JSON.parse(view.context.narrowing as string), { actor_id: 'alice' });
      assert.equal(typeof view.hash, 'string', 'sealed like any event');
      // Each read, one view: count, one event, an export, the log.
      const alice = acmeEvents.find((e) => e.actor?.id === 'alice') as Stored;
      for (const [url, route] of [
        ['/v1/events/count?actor_id=alice', 'GET /v1/events/count'],
        [`/v1/events/${alice.id}`, 'GET /v1/events/:id'],
        ['/v1/events/acme-none', 'GET /v1/events/:id'],
        ['/v1/log/key', 'GET /v1/log/key'],
      ] as const) {
        const n = (await views()).length;
        await get(token, url);
        const recorded = await views();
        assert.equal(recorded.length, n + 1, url);
        assert.equal(recorded.at(-1)?.context.route, route);
      }
      assert.deepEqual(JSON.parse((await views()).at(-3)?.context.request as string), {
        params: { id: 'acme-0' },
      });
    });

    it('an export records what it asked for', async () => {
      const token = await viewer({ actor_id: 'alice' });
      await call(token, {
        method: 'POST',
        url: '/v1/exports',
        payload: { format: 'csv', filters: { action: 'doc.read' } },
      });
      const view = (await views()).at(-1);
      assert.equal(view?.context.route, 'POST /v1/exports');
      assert.deepEqual(JSON.parse(view?.context.request as string), {
        body: { format: 'csv', filters: { action: 'doc.read' } },
      });
    });

    it('a viewer token without filters sees the views, its own included', async () => {
      const token = await viewer();
      const first = await listed(token, '&action=audit.log.view');
      const second = await listed(token, '&action=audit.log.view');
      assert.equal(second.length, first.length + 1, 'the first list is among the second’s');
    });

    it('are not recorded while the tenant has turned recording off, and are again once it turns it on', async () => {
      const token = await viewer();
      const setting = async (record_viewer_reads: boolean) => {
        const res = await call(ADMIN_TOKEN, {
          method: 'PATCH',
          url: '/v1/tenants/vt-acme',
          payload: { record_viewer_reads },
        });
        assert.equal(res.statusCode, 200, res.body);
      };
      try {
        await setting(false);
        const before = await t.services.store.events.lastSeq('vt-acme');
        for (const url of ['/v1/events', '/v1/events/count', '/v1/log/key']) {
          assert.equal((await get(token, url)).statusCode, 200);
        }
        assert.equal(await t.services.store.events.lastSeq('vt-acme'), before, 'nothing recorded');
      } finally {
        await setting(true);
      }
      const before = await t.services.store.events.lastSeq('vt-acme');
      await get(token, '/v1/events/count');
      assert.equal(
        await t.services.store.events.lastSeq('vt-acme'),
        before + 1,
        'the same token records again',
      );
    });

    it('a read whose view cannot be recorded fails, and shows nothing', async () => {
      const token = await viewer();
      const record = t.services.views.record;
      t.services.views.record = async () => {
        throw new Error('the disk is full');
      };
      try {
        const res = await get(token, '/v1/events');
        assert.equal(res.statusCode, 500);
        assertEnvelope('native', res, 'unrecorded read');
        assert.ok(!res.body.includes('acme-'), 'no event in the answer');
      } finally {
        t.services.views.record = record;
      }
    });
  });

  describe('browsers of any origin', () => {
    const ORIGIN = 'https://saas.example';
    const preflight = (url: string, method: string) =>
      t.app.inject({
        method: 'OPTIONS',
        url,
        headers: {
          origin: ORIGIN,
          'access-control-request-method': method,
          'access-control-request-headers': 'authorization',
        },
      });

    it('answer the preflight of a viewer route: any origin, the bearer header, no credentials', async () => {
      for (const [url, method, methods] of [
        ['/v1/events', 'GET', 'GET, HEAD'],
        ['/v1/events/acme-1', 'GET', 'GET, HEAD'],
        ['/v1/exports', 'POST', 'POST'],
        ['/v1/log/inclusion', 'GET', 'GET, HEAD'],
        ['/v1/events/stream', 'GET', 'GET'],
      ] as const) {
        const res = await preflight(url, method);
        assert.equal(res.statusCode, 204, url);
        assert.equal(res.headers['access-control-allow-origin'], '*', url);
        assert.equal(res.headers['access-control-allow-methods'], methods, url);
        assert.match(String(res.headers['access-control-allow-headers']), /\bauthorization\b/);
        assert.equal(res.headers['access-control-allow-credentials'], undefined);
        assert.equal(res.headers['access-control-max-age'], '600');
      }
    });

    it('other routes, and other methods of a viewer route’s path, stay closed', async () => {
      for (const [url, method] of [
        ['/v1/tenants', 'GET'],
        ['/v1/events', 'POST'],
        ['/v1/exports/x', 'DELETE'],
        ['/v1/viewer-tokens', 'POST'],
        ['/api/v2/audit_logs', 'GET'],
      ] as const) {
        const res = await preflight(url, method);
        assert.equal(res.headers['access-control-allow-origin'], undefined, `${method} ${url}`);
        // As an unknown route of the path's dialect: the CORS catch-all's 404 is the dialect's own.
        assert.equal(res.statusCode, 404, `${method} ${url}`);
        assertEnvelope(dialectOf('OPTIONS', url), res, `${method} ${url}`);
      }
      const res = await call(key, {
        method: 'GET',
        url: '/v1/tenants/vt-acme/keys',
        headers: { origin: ORIGIN },
      });
      assert.equal(res.headers['access-control-allow-origin'], undefined);
    });

    it('answer a cross-origin read over a real socket, exposing the headers a client reads', async () => {
      const token = await viewer({ actor_id: 'alice' });
      const address = await t.app.listen({ port: 0, host: '127.0.0.1' });
      const res = await fetch(`${address}/v1/events?limit=2`, {
        headers: { authorization: `Bearer ${token}`, origin: ORIGIN },
      });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('access-control-allow-origin'), '*');
      assert.equal(res.headers.get('access-control-allow-credentials'), null);
      assert.match(String(res.headers.get('access-control-expose-headers')), /x-request-id/);
      assert.equal(res.headers.get('set-cookie'), null);
      const body = (await res.json()) as { data: Stored[] };
      assert.ok(body.data.length > 0 && body.data.every((e) => e.actor?.id === 'alice'));
      // An error is readable cross-origin too: the page can tell an expired token.
      const bad = await fetch(`${address}/v1/events`, {
        headers: { authorization: 'Bearer x.y.z', origin: ORIGIN },
      });
      assert.equal(bad.status, 401);
      assert.equal(bad.headers.get('access-control-allow-origin'), '*');
    });
  });
});

describe('viewer tokens and rate limits', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp({ TRAILKEEP_RATE_LIMIT: '6' });
  });
  after(async () => {
    await t?.close();
  });

  it('count against the credential that minted them, in its tenant: more tokens add no allowance', async () => {
    const key = await t.tenantWithKey('vt-limits');
    const other = await t.key('vt-limits', ['events:read']);
    const mint = async () => {
      const res = await t.call(key, { method: 'POST', url: '/v1/viewer-tokens', payload: { actor: ACTOR } });
      assert.equal(res.statusCode, 201, res.body);
      return res.json<{ token: string }>().token;
    };
    const [a, b] = [await mint(), await mint()];
    const count = (token: string) => t.call(token, { method: 'GET', url: '/v1/events/count' });
    for (const token of [a, a, b, b]) assert.equal((await count(token)).statusCode, 200);
    const over = await count(a);
    assert.equal(over.statusCode, 429, 'six requests of the key and its tokens');
    assertEnvelope('native', over, 'rate limited');
    assert.equal((await count(b)).statusCode, 429);
    assert.equal((await count(key)).statusCode, 429, 'the key itself has used its allowance');
    assert.equal((await count(other)).statusCode, 200, 'another key of the tenant has its own');
  });
});

describe('viewer tokens and the live tail, over real sockets', () => {
  let t: TestApp;
  let base: string;
  let key: string;
  let skew = 0;
  const open: SseClient[] = [];
  const stream = async (token: string, path = '/v1/events/stream') => {
    const c = await openStream(base, token, path);
    open.push(c);
    return c;
  };
  const mint = async (by: string, filters: Obj) => {
    const res = await t.call(by, {
      method: 'POST',
      url: '/v1/viewer-tokens',
      payload: { actor: ACTOR, filters },
    });
    assert.equal(res.statusCode, 201, res.body);
    return res.json<{ token: string }>().token;
  };

  before(async () => {
    t = await startTestApp(
      { TRAILKEEP_STREAM_POLL: '0.05', TRAILKEEP_STREAM_HEARTBEAT: '0.3', TRAILKEEP_RATE_LIMIT: '0' },
      undefined,
      { clock: () => Date.now() + skew },
    );
    base = await t.app.listen({ port: 0, host: '127.0.0.1' });
    key = await t.tenantWithKey('vt-tail');
  });
  afterEach(() => {
    for (const c of open.splice(0)) c.close();
    skew = 0;
  });
  after(async () => {
    await t?.close();
  });

  it('a narrowed tail receives only the new events within its filters', async () => {
    const c = await stream(await mint(key, { actor_id: 'alice' }));
    assert.equal(c.status, 200, c.text);
    await ingest(t, key, [
      event({ actor: { id: 'bob' } }),
      event({ actor: { id: 'alice' }, id: 'tail-a1' }),
      event({ actor: { id: 'bob' } }),
      event({ actor: { id: 'alice' }, id: 'tail-a2' }),
    ]);
    const got = await c.waitFor(2);
    await sleep(300);
    assert.deepEqual(
      c.events.map((e) => dataOf<Stored>(e).id),
      ['tail-a1', 'tail-a2'],
      'nothing of bob’s, nor the view the stream recorded',
    );
    assert.equal(got.length, 2);
  });

  it('ends when the token expires, or when its minting key is revoked', async () => {
    const own = await t.key('vt-tail', ['events:read']);
    const ownId = /^tk_(key_[0-9a-f]{20})_/.exec(own)?.[1] as string;
    const expiring = await stream(await mint(key, {}));
    const revoked = await stream(await mint(own, {}));
    assert.deepEqual([expiring.status, revoked.status], [200, 200]);
    const gone = await t.call(ADMIN_TOKEN, { method: 'DELETE', url: `/v1/tenants/vt-tail/keys/${ownId}` });
    assert.equal(gone.statusCode, 204);
    await within(revoked.ended, 5_000, 'the revoked key’s viewer stream to end');
    assert.ok(revoked.endedByServer());
    await sleep(700);
    assert.ok(!expiring.endedByServer(), 'still open while the token lives');
    skew = 901_000;
    await within(expiring.ended, 5_000, 'the expired token’s stream to end');
    assert.ok(expiring.endedByServer());
  });
});
