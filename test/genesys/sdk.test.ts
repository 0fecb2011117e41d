// @engines sqlite postgres
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { ADMIN_TOKEN, startTestApp, type TestApp } from '../helpers/app.js';
import { ingest } from '../helpers/jobs.js';
import { until } from '../helpers/wait.js';
import { DAY, expectedMessage, type Input, interval, oldEvents, ordered, recentEvents } from './fixtures.js';
import { loadGenesysSdk } from './sdk.js';

/**
 * The Genesys dialect driven by the official JavaScript SDK (purecloud-platform-client-v2),
 * over real HTTP to a listening server. The SDK's ApiClient is a process-wide singleton, so
 * this file runs one server and its tests in sequence.
 */
const { pc, client, home } = loadGenesysSdk();

type Obj = Record<string, unknown>;
type Call = (...args: unknown[]) => Promise<Obj>;
/** The AuditApi methods used here, as the SDK resolves them: plain parsed JSON. */
interface AuditApi {
  postAuditsQuery: Call;
  getAuditsQueryTransactionId: Call;
  getAuditsQueryTransactionIdResults: Call;
  postAuditsQueryRealtime: Call;
  postAuditsQueryRealtimeRelated: Call;
  getAuditsQueryServicemapping: Call;
  getAuditsQueryRealtimeServicemapping: Call;
}
const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** The SDK rejects with the parsed ErrorBody; this returns it (and fails if the call succeeded). */
async function rejection(p: Promise<unknown>): Promise<Obj> {
  try {
    await p;
  } catch (err) {
    return err as Obj;
  }
  assert.fail('the call succeeded');
}

function assertErrorBody(body: Obj, status: number, code: string, message?: RegExp) {
  assert.equal(body.status, status, JSON.stringify(body));
  assert.equal(body.code, code, JSON.stringify(body));
  assert.equal(typeof body.message, 'string');
  assert.match(body.contextId as string, /^[0-9a-f-]{36}$/);
  assert.deepEqual(Object.keys(body).sort(), ['code', 'contextId', 'details', 'errors', 'message', 'status']);
  if (message) assert.match(body.message as string, message);
}

describe('Genesys AuditApi through the official JS SDK', () => {
  let t: TestApp;
  let audit: AuditApi;
  let oauth: { client_id: string; client_secret: string };
  let token: string;
  const now = Date.now();
  const recent: Input[] = recentEvents(now);
  const old: Input[] = oldEvents(now);
  const all = [...old, ...recent];
  const everything = interval(now - 30 * DAY, now + DAY);

  before(async () => {
    t = await startTestApp({ TRAILKEEP_GENESYS_REDIRECT_ROWS: '10' });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = t.app.server.address() as AddressInfo;
    client.setGateway({ host: '127.0.0.1', protocol: 'http', port });
    const key = await t.tenantWithKey('acme');
    await ingest(t, key, all);
    // Another tenant's data must never show.
    const otherKey = await t.tenantWithKey('globex');
    await ingest(t, otherKey, [...recentEvents(now, 'gx'), ...oldEvents(now, 'gxold')]);
    const res = await t.call(ADMIN_TOKEN, {
      method: 'POST',
      url: '/v1/tenants/acme/oauth-clients',
      payload: { name: 'genesys sdk', scopes: ['events:read'] },
    });
    assert.equal(res.statusCode, 201, res.body);
    oauth = res.json();
    audit = new pc.AuditApi();
  });
  after(async () => {
    client.config.setConfigPath('');
    await t.close();
    home.remove();
  });

  /** Polls the status through the SDK until it has ended. */
  const settled = (id: string) =>
    until(async () => {
      const s = await audit.getAuditsQueryTransactionId(id);
      return ['Succeeded', 'Failed', 'Cancelled'].includes(s.state as string) ? s : null;
    });

  /** Pages the results through the SDK until a page has no cursor. */
  async function allPages(id: string, opts: Obj): Promise<{ pages: Obj[]; entities: Obj[] }> {
    const pages: Obj[] = [];
    let cursor: string | undefined;
    do {
      const page = await audit.getAuditsQueryTransactionIdResults(id, {
        ...opts,
        ...(cursor ? { cursor } : {}),
      });
      pages.push(page);
      cursor = page.cursor as string | undefined;
      assert.ok(pages.length < 100, 'paging does not end');
    } while (cursor);
    return { pages, entities: pages.flatMap((p) => p.entities as Obj[]) };
  }

  test('loginClientCredentialsGrant gets an access token from /oauth/token', async () => {
    const before = Date.now();
    const auth = await client.loginClientCredentialsGrant(oauth.client_id, oauth.client_secret);
    assert.equal(typeof auth.accessToken, 'string');
    assert.equal(auth.accessToken.split('.').length, 3);
    const lifetime = auth.tokenExpiryTime - before;
    const ttl = t.config.TRAILKEEP_TOKEN_TTL * 1000;
    assert.ok(lifetime > ttl - 5000 && lifetime <= ttl + 5000, `expiry ${lifetime} ms`);
    token = auth.accessToken;
  });

  test('a wrong client secret is refused by /oauth/token with 401', async () => {
    const err = await rejection(client.loginClientCredentialsGrant(oauth.client_id, 'wrong'));
    assert.equal((err.response as Obj).status, 401);
    assert.equal(((err.response as Obj).data as Obj).error, 'invalid_client');
    client.setAccessToken(token);
  });

  test('postAuditsQuery → Succeeded; paging with pageSize 2 yields the filtered set, newest first', async () => {
    const body = {
      interval: everything,
      serviceName: 'Architect',
      filters: [{ property: 'Action', value: 'Create' }],
      sort: [{ name: 'Timestamp', sortOrder: 'descending' }],
    };
    const created = await audit.postAuditsQuery(body);
    assert.ok(['Queued', 'Running', 'Succeeded'].includes(created.state as string));
    assert.match(created.id as string, /^[0-9a-f-]{36}$/);
    assert.match(created.startDate as string, ISO_MS);
    const done = await settled(created.id as string);
    assert.equal(done.state, 'Succeeded');
    assert.deepEqual(
      { interval: done.interval, serviceName: done.serviceName, filters: done.filters, sort: done.sort },
      body,
    );
    const { pages, entities } = await allPages(created.id as string, { pageSize: 2 });
    const want = ordered(
      all.filter((e) => e.service === 'Architect' && e.action === 'Create'),
      'descending',
    );
    assert.ok(want.length >= 4);
    assert.deepEqual(
      entities,
      want.map((e) => expectedMessage(e, false)),
    );
    assert.equal(pages.length, Math.ceil(want.length / 2));
    for (const p of pages) {
      assert.equal(p.id, created.id);
      assert.equal(p.pageSize, 2);
    }
  });

  test('every field of every event, ascending, ties in ingest order; expand=user adds user.name', async () => {
    const created = await audit.postAuditsQuery({
      interval: everything,
      sort: [{ name: 'Timestamp', sortOrder: 'ascending' }],
    });
    await settled(created.id as string);
    const plain = await allPages(created.id as string, { pageSize: 7 });
    assert.deepEqual(
      plain.entities,
      ordered(all, 'ascending').map((e) => expectedMessage(e, false)),
    );
    for (const e of plain.entities) assert.equal((e.user as Obj).name, undefined);
    const expanded = await allPages(created.id as string, { pageSize: 500, expand: ['user'] });
    assert.equal(expanded.pages.length, 1);
    assert.deepEqual(
      expanded.entities,
      ordered(all, 'ascending').map((e) => expectedMessage(e, true)),
    );
    // The three old events come first; the fourth entity is the first recent one.
    assert.equal(((expanded.entities[3] as Obj).user as Obj).name, 'User 0');
  });

  test('filters: properties AND, repeated properties OR; interval start inclusive, end exclusive', async () => {
    const from = Date.parse((recent[2] as Input).occurred_at);
    const to = Date.parse((recent[20] as Input).occurred_at);
    const created = await audit.postAuditsQuery({
      interval: interval(from, to),
      filters: [
        { property: 'UserId', value: 'u-1' },
        { property: 'UserId', value: 'u-2' },
        { property: 'EntityType', value: 'Queue' },
      ],
    });
    await settled(created.id as string);
    const { entities } = await allPages(created.id as string, { pageSize: 3 });
    const want = recent.filter((e, i) => {
      const actor = (e.actor as Obj).id;
      return i >= 2 && i < 20 && (actor === 'u-1' || actor === 'u-2') && (e.target as Obj).type === 'Queue';
    });
    assert.ok(want.length > 0);
    assert.deepEqual(
      entities.map((e) => e.id),
      ordered(want, 'descending').map((e) => e.id),
    );
  });

  test('allowRedirect: a large result answers a downloadUrl that streams the whole result', async () => {
    const created = await audit.postAuditsQuery({ interval: everything });
    await settled(created.id as string);
    const large = await audit.getAuditsQueryTransactionIdResults(created.id, {
      pageSize: 5,
      allowRedirect: true,
      expand: ['user'],
    });
    assert.equal(large.id, created.id);
    assert.equal(large.pageSize, 5);
    assert.equal(large.entities, undefined);
    assert.equal(large.cursor, undefined);
    assert.match(large.downloadUrl as string, /^http:\/\/127\.0\.0\.1:\d+\/api\/v2\/audits\/query\//);
    // A presigned URL: fetched with no credential at all.
    const res = await fetch(large.downloadUrl as string);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
    const doc = (await res.json()) as Obj;
    assert.equal(doc.id, created.id);
    assert.deepEqual(
      doc.entities,
      ordered(all, 'descending').map((e) => expectedMessage(e, true)),
    );

    // A small result (at most TRAILKEEP_GENESYS_REDIRECT_ROWS = 10) is an ordinary page.
    const small = await audit.postAuditsQuery({ interval: everything, serviceName: 'Telephony' });
    await settled(small.id as string);
    const page = await audit.getAuditsQueryTransactionIdResults(small.id, { allowRedirect: true });
    assert.equal(page.downloadUrl, undefined);
    assert.equal((page.entities as Obj[]).length, 3);
    assert.equal(page.pageSize, 25);
  });

  test('results before Succeeded are a 400 saying so; then the query runs', async () => {
    await t.worker.stop();
    try {
      const created = await audit.postAuditsQuery({ interval: everything });
      assert.equal(created.state, 'Queued');
      assert.equal((await audit.getAuditsQueryTransactionId(created.id)).state, 'Queued');
      const err = await rejection(audit.getAuditsQueryTransactionIdResults(created.id, {}));
      assertErrorBody(err, 400, 'bad.request', /Queued.*Succeeded/);
      t.worker.start();
      assert.equal((await settled(created.id as string)).state, 'Succeeded');
    } finally {
      t.worker.start();
    }
  });

  test('postAuditsQueryRealtime: page numbers, total and pageCount', async () => {
    const body = { interval: interval(now - 3 * DAY, now), pageSize: 5 };
    const want = ordered(recent, 'descending').map((e) => expectedMessage(e, false));
    const first = await audit.postAuditsQueryRealtime({ ...body, pageNumber: 1 });
    assert.equal(first.total, 24);
    assert.equal(first.pageCount, 5);
    assert.equal(first.pageSize, 5);
    assert.equal(first.pageNumber, 1);
    const pages = [first];
    for (let n = 2; n <= 5; n++) pages.push(await audit.postAuditsQueryRealtime({ ...body, pageNumber: n }));
    pages.forEach((p, i) => {
      assert.equal(p.pageNumber, i + 1);
      assert.deepEqual(p.entities, want.slice(i * 5, i * 5 + 5));
    });
    const beyond = await audit.postAuditsQueryRealtime({ ...body, pageNumber: 6 });
    assert.deepEqual(beyond.entities, []);
    assert.equal(beyond.total, 24);

    const filtered = await audit.postAuditsQueryRealtime(
      {
        interval: interval(now - 3 * DAY, now),
        filters: [{ property: 'TrusteeOrganizationId', value: 'org-trustee' }],
        sort: [{ name: 'Timestamp', sortOrder: 'ascending' }],
      },
      { expand: ['user'] },
    );
    const trustee = recent.filter((e) => (e.actor as Obj).home_org_id === 'org-trustee');
    assert.equal(filtered.total, trustee.length);
    assert.equal(filtered.pageSize, 25);
    assert.equal(filtered.pageCount, 1);
    assert.deepEqual(
      filtered.entities,
      ordered(trustee, 'ascending').map((e) => expectedMessage(e, true)),
    );
  });

  test('postAuditsQueryRealtime outside the 14-day window is a 400 pointing to /api/v2/audits/query', async () => {
    const err = await rejection(audit.postAuditsQueryRealtime({ interval: interval(now - 15 * DAY, now) }));
    assertErrorBody(err, 400, 'invalid.value', /\/api\/v2\/audits\/query/);
    assert.deepEqual(err.details, [{ errorCode: 'invalid.value', fieldName: 'interval' }]);
  });

  test('postAuditsQueryRealtimeRelated: the audits of the same transaction', async () => {
    const res = await audit.postAuditsQueryRealtimeRelated({
      auditId: 'ev-08',
      sort: [{ name: 'Timestamp', sortOrder: 'ascending' }],
    });
    const tx = recent.filter((e) => e.transaction_id === 'tx-1');
    assert.equal(tx.length, 6);
    assert.deepEqual(
      res.entities,
      ordered(tx, 'ascending').map((e) => expectedMessage(e, false)),
    );
    const err = await rejection(audit.postAuditsQueryRealtimeRelated({ auditId: 'no-such-audit' }));
    assertErrorBody(err, 404, 'not.found');
  });

  test('service mappings: all data, and the realtime window only', async () => {
    const full = await audit.getAuditsQueryServicemapping();
    assert.deepEqual(full, {
      services: [
        {
          name: 'Architect',
          entities: [
            { name: 'Flow', actions: ['Update'] },
            { name: 'Queue', actions: ['Create'] },
          ],
        },
        {
          name: 'Directory',
          entities: [
            { name: 'Flow', actions: ['Update'] },
            { name: 'Queue', actions: ['Create'] },
          ],
        },
        {
          name: 'Routing',
          entities: [
            { name: 'Flow', actions: ['Update'] },
            { name: 'Queue', actions: ['Create'] },
          ],
        },
        { name: 'Telephony', entities: [{ name: 'Trunk', actions: ['Delete'] }] },
      ],
    });
    const realtime = await audit.getAuditsQueryRealtimeServicemapping();
    assert.deepEqual(realtime.services, (full.services as Obj[]).slice(0, 3));
  });

  test('errors arrive as ErrorBody: unknown transaction, pageSize, interval, filter property', async () => {
    assertErrorBody(await rejection(audit.getAuditsQueryTransactionId('no-such-query')), 404, 'not.found');
    assertErrorBody(
      await rejection(audit.getAuditsQueryTransactionIdResults('no-such-query', {})),
      404,
      'not.found',
    );
    const created = await audit.postAuditsQuery({ interval: everything });
    await settled(created.id as string);
    const big = await rejection(audit.getAuditsQueryTransactionIdResults(created.id, { pageSize: 501 }));
    assertErrorBody(big, 400, 'invalid.value', /pageSize/);
    assert.deepEqual(big.details, [{ errorCode: 'invalid.value', fieldName: 'pageSize' }]);
    const badInterval = await rejection(audit.postAuditsQuery({ interval: 'last week' }));
    assertErrorBody(badInterval, 400, 'invalid.value', /interval/);
    const property = await rejection(
      audit.postAuditsQuery({ interval: everything, filters: [{ property: 'Colour', value: 'red' }] }),
    );
    assertErrorBody(property, 400, 'invalid.value', /filters\[0\]\.property/);
    assert.deepEqual(property.details, [{ errorCode: 'invalid.value', fieldName: 'filters[0].property' }]);
  });

  test('no, bad or under-scoped credentials: 401 bad.credentials, 403 missing.permissions', async () => {
    try {
      client.setAccessToken('');
      assertErrorBody(await rejection(audit.getAuditsQueryServicemapping()), 401, 'bad.credentials');
      client.setAccessToken('not-a-token');
      assertErrorBody(
        await rejection(audit.postAuditsQuery({ interval: everything })),
        401,
        'bad.credentials',
      );
      const res = await t.call(ADMIN_TOKEN, {
        method: 'POST',
        url: '/v1/tenants/acme/oauth-clients',
        payload: { name: 'writer', scopes: ['events:write'] },
      });
      const writer = res.json<{ client_id: string; client_secret: string }>();
      await client.loginClientCredentialsGrant(writer.client_id, writer.client_secret);
      assertErrorBody(
        await rejection(audit.postAuditsQueryRealtime({ interval: interval(now - DAY, now) })),
        403,
        'missing.permissions',
        /events:read/,
      );
    } finally {
      client.setAccessToken(token);
    }
  });
});
