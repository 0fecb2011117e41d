// @engines sqlite postgres
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Type } from 'typebox';
import { LinkSigner } from '../../src/core/links.js';
import {
  AuditQueryExecutionLargeResultsResponse,
  AuditQueryExecutionResultsResponse,
} from '../../src/http/genesys/schemas.js';
import { deriveKey } from '../../src/services/auth/secrets.js';
import { ResultLinks } from '../../src/services/jobs/links.js';
import {
  DAY,
  expectedMessage,
  type Input,
  interval,
  oldEvents,
  ordered,
  recentEvents,
} from '../genesys/fixtures.js';
import { ADMIN_TOKEN, startTestApp, type TestApp } from '../helpers/app.js';
import { ingest, until } from '../helpers/jobs.js';
import { matchesSchema } from '../helpers/schema.js';

/** The Genesys dialect on the wire, as raw HTTP: what the JS SDK does not check. Runs on both engines. */

type Obj = Record<string, unknown>;
const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const ERROR_KEYS = ['code', 'contextId', 'details', 'errors', 'message', 'status'];

function assertError(res: { statusCode: number; headers: Obj; json(): Obj }, status: number, code: string) {
  assert.equal(res.statusCode, status);
  const body = res.json();
  assert.deepEqual(Object.keys(body).sort(), ERROR_KEYS);
  assert.equal(body.status, status);
  assert.equal(body.code, code);
  assert.equal(body.contextId, res.headers['x-request-id']);
  assert.ok(Array.isArray(body.errors));
  assert.ok(Array.isArray(body.details));
  return body;
}

describe('Genesys dialect over raw HTTP', () => {
  let t: TestApp;
  let key: string;
  let otherKey: string;
  let writeOnly: string;
  const now = Date.now();
  const recent = recentEvents(now);
  const old = oldEvents(now);
  const everything = interval(now - 30 * DAY, now + DAY);

  before(async () => {
    t = await startTestApp({ TRAILKEEP_GENESYS_REDIRECT_ROWS: '3' });
    key = await t.tenantWithKey('acme');
    otherKey = await t.tenantWithKey('globex');
    writeOnly = await t.key('acme', ['events:write']);
    await ingest(t, key, [...old, ...recent]);
    await ingest(t, otherKey, [
      {
        id: 'gx-1',
        occurred_at: new Date(now - DAY).toISOString(),
        action: 'Leak',
        service: 'Secret',
        target: { type: 'Vault' },
        transaction_id: 'tx-1',
      },
    ]);
  });
  after(() => t.close());

  const post = (token: string | null, url: string, payload: unknown) =>
    t.call(token, { method: 'POST', url, payload: payload as object });
  const get = (token: string | null, url: string) => t.call(token, { method: 'GET', url });

  async function succeededQuery(token: string, body: Obj): Promise<string> {
    const res = await post(token, '/api/v2/audits/query', body);
    assert.equal(res.statusCode, 200, res.body);
    const id = res.json<{ id: string }>().id;
    await until(
      async () => (await get(token, `/api/v2/audits/query/${id}`)).json<Obj>().state === 'Succeeded',
    );
    return id;
  }

  test('enum spellings and dates exactly as the Python SDK expects', async () => {
    const res = await post(key, '/api/v2/audits/query/realtime', {
      interval: interval(now - 3 * DAY, now),
      pageSize: 100,
    });
    assert.equal(res.statusCode, 200, res.body);
    const entities = res.json<{ entities: Obj[] }>().entities;
    assert.deepEqual(new Set(entities.map((e) => e.level)), new Set(['USER', 'SYSTEM']));
    assert.deepEqual(new Set(entities.map((e) => e.status)), new Set(['SUCCESS', 'FAILURE', 'WARNING']));
    for (const e of entities) assert.match(e.eventDate as string, ISO_MS);

    await t.worker.stop();
    try {
      const created = await post(key, '/api/v2/audits/query', { interval: everything });
      const status = created.json<Obj>();
      assert.equal(status.state, 'Queued');
      assert.match(status.startDate as string, ISO_MS);
      // Cancelled through the native API: the same job, shown in Genesys spelling.
      await t.call(key, { method: 'DELETE', url: `/v1/queries/${status.id}` });
      assert.equal((await get(key, `/api/v2/audits/query/${status.id}`)).json<Obj>().state, 'Cancelled');
    } finally {
      t.worker.start();
    }
    const id = await succeededQuery(key, { interval: everything });
    assert.equal((await get(key, `/api/v2/audits/query/${id}`)).json<Obj>().state, 'Succeeded');
  });

  test('a full event maps field by field; a minimal one leaves absent fields out', async () => {
    const full = recent[0] as Input;
    const res = await post(key, '/api/v2/audits/query/realtime/related?expand=user', { auditId: full.id });
    const mine = res.json<{ entities: Obj[] }>().entities.find((e) => e.id === full.id);
    assert.deepEqual(mine, expectedMessage(full, true));
    assert.deepEqual(mine, {
      id: 'ev-00',
      level: 'USER',
      eventDate: full.occurred_at,
      action: 'Update',
      status: 'SUCCESS',
      userHomeOrgId: 'org-trustee',
      user: { id: 'u-0', name: 'User 0', selfUri: '/api/v2/users/u-0' },
      client: { id: 'c-0', selfUri: '/api/v2/oauth/clients/c-0' },
      application: 'App 0',
      remoteIp: ['203.0.113.5', '2001:db8::1'],
      serviceName: 'Architect',
      message: { message: 'Event 0 happened' },
      entity: { id: 't-0', name: 'Target 0' },
      entityType: 'Flow',
      initiatingAction: { transactionId: 'tx-0' },
      transactionInitiator: true,
      propertyChanges: [
        { property: 'name', oldValues: ['a'], newValues: ['b'] },
        { property: 'added', oldValues: [], newValues: ['x'] },
      ],
      context: { version: '0' },
    });
    await ingest(t, key, [{ id: 'bare', occurred_at: new Date(now - DAY).toISOString(), action: 'Ping' }]);
    const bare = await post(key, '/api/v2/audits/query/realtime/related', { auditId: 'bare' });
    assert.deepEqual(bare.json<Obj>().entities, [
      {
        id: 'bare',
        level: 'USER',
        eventDate: new Date(now - DAY).toISOString(),
        action: 'Ping',
        status: 'SUCCESS',
      },
    ]);
    const withMessage = recent[1] as Input;
    const m = await post(key, '/api/v2/audits/query/realtime/related', { auditId: withMessage.id });
    const one = m.json<{ entities: Obj[] }>().entities.find((e) => e.id === withMessage.id);
    assert.deepEqual(one?.message, {
      localizableMessageCode: 'FlowPublished',
      messageWithParams: 'Flow {name} published',
      messageParams: { name: 'F1' },
    });
  });

  test('each filter property maps to its field; serviceName to service', async () => {
    const cases: [Obj[], (e: Input) => boolean][] = [
      [[{ property: 'UserId', value: 'u-3' }], (e) => (e.actor as Obj).id === 'u-3'],
      [[{ property: 'ClientId', value: 'c-1' }], (e) => (e.client as Obj | undefined)?.id === 'c-1'],
      [[{ property: 'Action', value: 'Create' }], (e) => e.action === 'Create'],
      [[{ property: 'EntityType', value: 'Flow' }], (e) => (e.target as Obj).type === 'Flow'],
      [[{ property: 'EntityId', value: 't-4' }], (e) => (e.target as Obj).id === 't-4'],
      [
        [{ property: 'TrusteeOrganizationId', value: 'org-trustee' }],
        (e) => (e.actor as Obj).home_org_id === 'org-trustee',
      ],
      [
        [
          { property: 'EntityId', value: 't-1' },
          { property: 'EntityId', value: 't-2' },
          { property: 'Action', value: 'Create' },
        ],
        (e) => ['t-1', 't-2'].includes((e.target as Obj).id as string) && e.action === 'Create',
      ],
    ];
    for (const [filters, keep] of cases) {
      const res = await post(key, '/api/v2/audits/query/realtime', {
        interval: interval(now - 3 * DAY, now),
        serviceName: 'Directory',
        filters,
        pageSize: 500,
      });
      assert.equal(res.statusCode, 200, res.body);
      const want = recent.filter((e) => e.service === 'Directory' && keep(e));
      assert.ok(want.length > 0, JSON.stringify(filters));
      assert.deepEqual(
        res.json<{ entities: Obj[] }>().entities.map((e) => e.id),
        ordered(want, 'descending').map((e) => e.id),
        JSON.stringify(filters),
      );
    }
  });

  test('interval: start inclusive, end exclusive; durations; bad intervals are 400 invalid.value', async () => {
    const at = (i: number) => Date.parse((recent[i] as Input).occurred_at);
    const ids = async (iv: string) =>
      (
        await post(key, '/api/v2/audits/query/realtime', {
          interval: iv,
          sort: [{ name: 'Timestamp', sortOrder: 'ascending' }],
        })
      )
        .json<{ entities: Obj[] }>()
        .entities.map((e) => e.id);
    assert.deepEqual(await ids(interval(at(3), at(6))), ['ev-03', 'ev-04', 'ev-05']);
    const start = new Date(at(3)).toISOString();
    assert.deepEqual(await ids(`${start}/PT3M`), ['ev-03', 'ev-04', 'ev-05']);
    assert.deepEqual(await ids(`PT2M/${new Date(at(6)).toISOString()}`), ['ev-04', 'ev-05']);
    for (const bad of [
      'yesterday',
      `${start}`,
      `${start}/${start}`,
      '2026-02-30T00:00:00Z/2026-03-02T00:00:00Z',
      `${new Date(at(6)).toISOString()}/${start}`,
    ]) {
      const res = await post(key, '/api/v2/audits/query', { interval: bad });
      const body = assertError(res, 400, 'invalid.value');
      assert.deepEqual(body.details, [{ errorCode: 'invalid.value', fieldName: 'interval' }], bad);
    }
    const missing = assertError(await post(key, '/api/v2/audits/query', {}), 400, 'invalid.value');
    assert.deepEqual(missing.details, [{ errorCode: 'invalid.value', fieldName: 'interval' }]);
  });

  test('bad input: unknown filter property, bad sort, pageSize out of range, bad JSON, unknown expand', async () => {
    const prop = assertError(
      await post(key, '/api/v2/audits/query', {
        interval: everything,
        filters: [{ property: 'userid', value: 'x' }],
      }),
      400,
      'invalid.value',
    );
    assert.match(prop.message as string, /filters\[0\]\.property must be one of "UserId"/);
    assertError(
      await post(key, '/api/v2/audits/query', {
        interval: everything,
        sort: [{ name: 'Timestamp', sortOrder: 'DESC' }],
      }),
      400,
      'invalid.value',
    );
    for (const pageSize of [0, 501]) {
      const body = assertError(
        await post(key, '/api/v2/audits/query/realtime', { interval: interval(now - DAY, now), pageSize }),
        400,
        'invalid.value',
      );
      assert.deepEqual(body.details, [{ errorCode: 'invalid.value', fieldName: 'pageSize' }]);
    }
    const id = await succeededQuery(key, { interval: everything });
    for (const q of ['pageSize=0', 'pageSize=501', 'pageSize=abc', 'expand=users', 'cursor=forged.cursor']) {
      const res = await get(key, `/api/v2/audits/query/${id}/results?${q}`);
      assertError(res, 400, q.startsWith('cursor') ? 'bad.request' : 'invalid.value');
    }
    const json = await t.call(key, {
      method: 'POST',
      url: '/api/v2/audits/query',
      headers: { 'content-type': 'application/json' },
      payload: '{"interval":',
    });
    assertError(json, 400, 'bad.request');
    assertError(await get(key, '/api/v2/audits/nothing-here'), 404, 'not.found');
  });

  test('credentials: none or bad → 401 bad.credentials; no events:read → 403 missing.permissions', async () => {
    const none = assertError(await get(null, '/api/v2/audits/query/servicemapping'), 401, 'bad.credentials');
    assert.equal(typeof none.message, 'string');
    assertError(
      await get('tk_key_00000000000000000000_nope', '/api/v2/audits/query/servicemapping'),
      401,
      'bad.credentials',
    );
    const res = await get(writeOnly, '/api/v2/audits/query/servicemapping');
    const body = assertError(res, 403, 'missing.permissions');
    assert.match(body.message as string, /events:read/);
    assertError(
      await post(ADMIN_TOKEN, '/api/v2/audits/query', { interval: everything }),
      403,
      'missing.permissions',
    );
    assertError(
      await post(writeOnly, '/api/v2/audits/query/realtime/related', { auditId: 'ev-00' }),
      403,
      'missing.permissions',
    );
  });

  test('tenant isolation: another tenant’s transaction and audit are 404; mappings show only one’s own', async () => {
    const id = await succeededQuery(key, { interval: everything });
    assertError(await get(otherKey, `/api/v2/audits/query/${id}`), 404, 'not.found');
    assertError(await get(otherKey, `/api/v2/audits/query/${id}/results`), 404, 'not.found');
    assertError(
      await post(key, '/api/v2/audits/query/realtime/related', { auditId: 'gx-1' }),
      404,
      'not.found',
    );
    assertError(
      await post(key, '/api/v2/audits/query/realtime/related', { auditId: 'ev-00', trustorOrgId: 'globex' }),
      404,
      'not.found',
    );
    // The shared transaction id tx-1 does not pull in the other tenant's event.
    const related = await post(otherKey, '/api/v2/audits/query/realtime/related', { auditId: 'gx-1' });
    assert.deepEqual(
      related.json<{ entities: Obj[] }>().entities.map((e) => e.id),
      ['gx-1'],
    );
    const mapping = (await get(otherKey, '/api/v2/audits/query/servicemapping')).json();
    assert.deepEqual(mapping, {
      services: [{ name: 'Secret', entities: [{ name: 'Vault', actions: ['Leak'] }] }],
    });
    const mine = (await get(key, '/api/v2/audits/query/servicemapping')).json<{
      services: { name: string }[];
    }>();
    assert.ok(!mine.services.some((s) => s.name === 'Secret'));
  });

  test('results before Succeeded: 400 saying so (no worker running)', async () => {
    await t.worker.stop();
    try {
      const res = await post(key, '/api/v2/audits/query', { interval: everything });
      assert.equal(res.json<Obj>().state, 'Queued');
      const body = assertError(
        await get(key, `/api/v2/audits/query/${res.json<Obj>().id}/results`),
        400,
        'bad.request',
      );
      assert.match(body.message as string, /Queued.*Succeeded/);
    } finally {
      t.worker.start();
    }
  });

  describe('download URLs', () => {
    let id: string;
    let url: URL;
    before(async () => {
      id = await succeededQuery(key, { interval: everything });
      const res = await get(key, `/api/v2/audits/query/${id}/results?allowRedirect=true&expand=user`);
      assert.equal(res.statusCode, 200, res.body);
      url = new URL(res.json<{ downloadUrl: string }>().downloadUrl);
    });
    const fetchPath = (path: string) => t.call(null, { method: 'GET', url: path });

    test('the URL streams the whole result, and needs no credential', async () => {
      const res = await fetchPath(url.pathname + url.search);
      assert.equal(res.statusCode, 200);
      const doc = res.json<{ id: string; entities: Obj[] }>();
      assert.equal(doc.id, id);
      assert.equal(doc.entities.length, recent.length + old.length + 1);
      // The same entities as paging the results with expand=user, in the same order.
      const paged = await get(key, `/api/v2/audits/query/${id}/results?pageSize=500&expand=user`);
      assert.deepEqual(doc.entities, paged.json<{ entities: Obj[] }>().entities);
      assert.ok(doc.entities.some((e) => (e.user as Obj | undefined)?.name === 'User 3'));
    });

    test('tampering is 401/403, never data', async () => {
      const token = url.searchParams.get('token') as string;
      const [payload, mac] = token.split('.') as [string, string];
      const flipped = `${mac.slice(0, -2)}${mac.endsWith('AA') ? 'BB' : 'AA'}`;
      const variants: [string, number][] = [
        [`/api/v2/audits/query/${id}/download`, 401],
        [`/api/v2/audits/query/${id}/download?token=garbage`, 401],
        [`/api/v2/audits/query/${id}/download?token=${payload}.${flipped}&expand=user`, 403],
        [`/api/v2/audits/query/${id}/download?token=${token}`, 403], // expand stripped
        [
          `/api/v2/audits/query/00000000-0000-0000-0000-000000000000/download?token=${token}&expand=user`,
          403,
        ],
        [
          `/api/v2/audits/query/${id}/download?token=${Buffer.from(`${Date.now() + 3_600_000}.acme`).toString('base64url')}.${mac}&expand=user`,
          403,
        ],
        [
          `/api/v2/audits/query/${id}/download?token=${Buffer.from(`${Date.now() + 60_000}.globex`).toString('base64url')}.${mac}&expand=user`,
          403,
        ],
      ];
      for (const [path, status] of variants) {
        const res = await fetchPath(path);
        assertError(res, status, status === 401 ? 'bad.credentials' : 'missing.permissions');
        assert.ok(!res.body.includes('ev-00'), path);
      }
    });

    test('an expired link is 403; a valid link to a job that is gone is 404', async () => {
      const signer = new LinkSigner(deriveKey(t.services.secrets.serverSecret, 'download-link'));
      const job = await t.services.jobs.get('acme', 'query', id);
      const past = new ResultLinks(signer, t.services.jobs, () => Date.now() - 60 * 60_000);
      const expired = past.create(job, 'user').token;
      const res = await fetchPath(`/api/v2/audits/query/${id}/download?token=${expired}&expand=user`);
      const body = assertError(res, 403, 'missing.permissions');
      assert.match(body.message as string, /expired/);
      const gone = new ResultLinks(signer, t.services.jobs).create({ ...job, id: 'no-such-job' }, '').token;
      assertError(
        await fetchPath(`/api/v2/audits/query/no-such-job/download?token=${gone}`),
        404,
        'not.found',
      );
    });
  });

  test('results pages are sent as JSON text that matches the route’s response schema exactly', async () => {
    const id = await succeededQuery(key, { interval: everything });
    const page = matchesSchema(AuditQueryExecutionResultsResponse);
    const either = matchesSchema(
      Type.Union([AuditQueryExecutionResultsResponse, AuditQueryExecutionLargeResultsResponse]),
    );
    let cursor: string | undefined;
    let pages = 0;
    do {
      const q = `pageSize=2&expand=user${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const res = await get(key, `/api/v2/audits/query/${id}/results?${q}`);
      assert.equal(res.statusCode, 200, res.body);
      assert.match(String(res.headers['content-type']), /^application\/json/);
      const body = res.json<{ cursor?: string; entities: Obj[] }>();
      page(body, `page ${pages}`);
      either(body);
      assert.ok(body.entities.length > 0);
      cursor = body.cursor;
      pages++;
    } while (cursor);
    assert.ok(pages > 2);
    const large = await get(key, `/api/v2/audits/query/${id}/results?allowRedirect=true`);
    matchesSchema(AuditQueryExecutionLargeResultsResponse)(large.json(), 'the large-results answer');
    either(large.json());
  });

  test('the OpenAPI document lists the dialect’s routes under the genesys tag', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json<{
      paths: Record<string, Record<string, { tags?: string[] }>>;
    }>();
    for (const [path, method] of [
      ['/api/v2/audits/query', 'post'],
      ['/api/v2/audits/query/{transactionId}', 'get'],
      ['/api/v2/audits/query/{transactionId}/results', 'get'],
      ['/api/v2/audits/query/realtime', 'post'],
      ['/api/v2/audits/query/realtime/related', 'post'],
      ['/api/v2/audits/query/servicemapping', 'get'],
      ['/api/v2/audits/query/realtime/servicemapping', 'get'],
    ] as const) {
      assert.deepEqual(doc.paths[path]?.[method]?.tags, ['genesys'], `${method} ${path}`);
    }
  });
});
