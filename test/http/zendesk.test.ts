// @engines sqlite postgres
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  CursorPage as CursorPageSchema,
  OffsetPage as OffsetPageSchema,
} from '../../src/http/zendesk/schemas.js';
import { event, startTestApp, type TestApp } from '../helpers/app.js';
import { ingest } from '../helpers/jobs.js';
import { matchesSchema } from '../helpers/schema.js';

/** The Zendesk dialect over raw HTTP (inject): encodings, envelopes, paging, limits, isolation. */
type Obj = Record<string, unknown>;
type Log = Obj & { id: number };
type CursorPage = {
  audit_logs: Log[];
  meta: Obj & { has_more: boolean };
  links: { next: string | null; prev: string | null };
};

const basic = (email: string, token: string) =>
  `Basic ${Buffer.from(`${email}/token:${token}`).toString('base64')}`;

describe('Zendesk audit logs over HTTP', () => {
  let t: TestApp;
  let key: string;
  let other: string;
  let seqs: number[];
  const get = (url: string, auth?: string) =>
    t.app.inject({
      method: 'GET',
      url,
      headers: { authorization: auth ?? basic('ada@example.com', key), host: 'zd.test' },
    });

  before(async () => {
    t = await startTestApp();
    key = await t.tenantWithKey('acme');
    other = await t.tenantWithKey('other');
    const evs = Array.from({ length: 7 }, (_, i) =>
      event({
        occurred_at: `2026-03-0${i + 1}T10:00:00.250Z`,
        action: i % 2 === 0 ? 'update' : 'create',
        actor: { id: String(100 + (i % 3)), name: `Actor ${i % 3}` },
        target: { type: i < 4 ? 'user' : 'rule', id: String(500 + i), name: `Target ${i}` },
        source: { ip: [`10.0.0.${i}`] },
        ...(i === 0
          ? { changes: [{ field: 'role', old: ['admin'], new: ['agent'] }] }
          : { description: `d${i}` }),
      }),
    );
    seqs = await ingest(t, key, evs);
    assert.deepEqual(seqs, [1, 2, 3, 4, 5, 6, 7]);
    await ingest(t, other, [event({ action: 'update' })]);
  });
  after(() => t.close());

  it('maps an event to an audit_log (show, both path forms)', async () => {
    for (const url of ['/api/v2/audit_logs/1', '/api/v2/audit_logs/1.json']) {
      const res = await get(url);
      assert.equal(res.statusCode, 200, res.body);
      assert.deepEqual(res.json(), {
        audit_log: {
          id: 1,
          url: 'http://zd.test/api/v2/audit_logs/1.json',
          action: 'update',
          action_label: 'Updated',
          actor_id: 100,
          actor_name: 'Actor 0',
          source_id: 500,
          source_type: 'user',
          source_label: 'Target 0',
          change_description: 'role changed from admin to agent',
          ip_address: '10.0.0.0',
          created_at: '2026-03-01T10:00:00Z',
        },
      });
    }
  });

  it('404s an unknown id, another tenant’s id and unknown paths with RecordNotFound', async () => {
    for (const [url, auth] of [
      ['/api/v2/audit_logs/99', undefined],
      ['/api/v2/audit_logs/5.json', basic('x@y', other)],
      ['/api/v2/audit_logs/abc', undefined],
      ['/api/v2/nothing_here', undefined],
    ] as const) {
      const res = await get(url, auth);
      assert.equal(res.statusCode, 404, url);
      assert.deepEqual(res.json(), { error: 'RecordNotFound', description: 'Not found' });
    }
  });

  it('authenticates Basic token and Bearer; 401 and 403 in Zendesk’s envelope', async () => {
    assert.equal((await get('/api/v2/audit_logs.json', `Bearer ${key}`)).statusCode, 200);
    for (const auth of [basic('ada@example.com', 'tk_nope_nope'), 'Basic Zm9vOmJhcg==', 'Bearer nope', '']) {
      const res = await get('/api/v2/audit_logs.json', auth);
      assert.equal(res.statusCode, 401, auth);
      assert.deepEqual(res.json(), { error: "Couldn't authenticate you" });
    }
    const writer = await t.key('acme', ['events:write']);
    const res = await get('/api/v2/audit_logs.json', basic('w@example.com', writer));
    assert.equal(res.statusCode, 403);
    assert.equal(res.json().error, 'Forbidden');
    assert.equal(typeof res.json().description, 'string');
  });

  it('reads created_at in all three encodings, and the same set from each', async () => {
    const A = '2026-03-02T00:00:00Z';
    const B = '2026-03-04T23:59:59Z';
    const forms = [
      `filter%5Bcreated_at%5D=${A}&filter%5Bcreated_at%5D=${B}`,
      `filter%5Bcreated_at%5D%5B%5D=${A}&filter%5Bcreated_at%5D%5B%5D=${B}`,
      `filter[created_at]=${encodeURIComponent(`${A},${B}`)}`,
    ];
    for (const f of forms) {
      const res = await get(`/api/v2/audit_logs.json?${f}`);
      assert.equal(res.statusCode, 200, res.body);
      assert.deepEqual(
        res.json<{ audit_logs: Log[] }>().audit_logs.map((l) => l.id),
        [4, 3, 2],
        f,
      );
    }
    const one = await get(`/api/v2/audit_logs.json?filter[created_at]=${A}`);
    assert.equal(one.statusCode, 400);
    assert.equal(one.json().error, 'InvalidValue');
    assert.ok(one.json().details['filter[created_at]']);
    const bad = await get('/api/v2/audit_logs.json?filter[created_at][]=nope&filter[created_at][]=never');
    assert.equal(bad.statusCode, 400);
  });

  it('ORs multi-value filters and ANDs fields; source_id needs source_type', async () => {
    const ids = async (qs: string) => {
      const res = await get(`/api/v2/audit_logs?${qs}`);
      assert.equal(res.statusCode, 200, res.body);
      return res.json<{ audit_logs: Log[] }>().audit_logs.map((l) => l.id);
    };
    assert.deepEqual(await ids('filter[action]=create'), [6, 4, 2]);
    assert.deepEqual(await ids('filter[actor_id][]=100&filter[actor_id][]=102'), [7, 6, 4, 3, 1]);
    assert.deepEqual(await ids('filter[actor_id]=100,102&filter[action]=update'), [7, 3, 1]);
    assert.deepEqual(await ids('filter[source_type]=rule'), [7, 6, 5]);
    assert.deepEqual(await ids('filter[source_type]=user&filter[source_id]=502'), [3]);
    assert.deepEqual(await ids('filter[ip_address]=10.0.0.4'), [5]);
    const res = await get('/api/v2/audit_logs?filter[source_id]=502');
    assert.equal(res.statusCode, 400);
    assert.equal(res.json().error, 'InvalidValue');
    assert.match(res.json().description, /source_type/);
  });

  it('pages by cursor both ways with absolute links, and refuses mixed or foreign cursors', async () => {
    const first = await get(
      '/api/v2/audit_logs.json?page[size]=3&filter[action][]=update&filter[action][]=create',
    );
    const p1 = first.json<CursorPage>();
    assert.deepEqual(
      p1.audit_logs.map((l) => l.id),
      [7, 6, 5],
    );
    assert.equal(p1.meta.has_more, true);
    assert.equal(p1.links.prev, null);
    assert.ok(p1.links.next?.startsWith('http://zd.test/api/v2/audit_logs.json?'));
    assert.match(p1.links.next ?? '', /filter%5Baction%5D%5B%5D=update/);
    const p2 = (await get(p1.links.next?.slice('http://zd.test'.length) ?? '')).json<CursorPage>();
    assert.deepEqual(
      p2.audit_logs.map((l) => l.id),
      [4, 3, 2],
    );
    assert.ok(p2.links.prev);
    const p3 = (await get(p2.links.next?.slice('http://zd.test'.length) ?? '')).json<CursorPage>();
    assert.deepEqual(
      p3.audit_logs.map((l) => l.id),
      [1],
    );
    assert.equal(p3.meta.has_more, false);
    assert.equal(p3.links.next, null);
    // page[before] walks back to the same pages.
    const back = (await get(p3.links.prev?.slice('http://zd.test'.length) ?? '')).json<CursorPage>();
    assert.deepEqual(
      back.audit_logs.map((l) => l.id),
      [4, 3, 2],
    );
    assert.equal(back.meta.has_more, true);
    const back2 = (
      await get(`/api/v2/audit_logs?page[size]=3&page[before]=${back.meta.before_cursor}`)
    ).json<CursorPage>();
    assert.deepEqual(
      back2.audit_logs.map((l) => l.id),
      [7, 6, 5],
    );
    assert.equal(back2.meta.has_more, false);
    assert.equal(back2.links.prev, null);
    assert.ok(back2.links.next);
    // Ascending.
    const asc = (await get('/api/v2/audit_logs?sort=created_at&page[size]=2')).json<CursorPage>();
    assert.deepEqual(
      asc.audit_logs.map((l) => l.id),
      [1, 2],
    );
    const cursor = String(p1.meta.after_cursor);
    for (const [qs, auth] of [
      [`page[after]=${cursor}&page[before]=${cursor}`, undefined],
      [`page[after]=${cursor}`, basic('x@y', other)],
      [`page[after]=${cursor}x`, undefined],
      [`page[after]=${cursor}&sort=created_at`, undefined],
      ['page[size]=101', undefined],
      ['page[size]=0', undefined],
      ['sort=name', undefined],
      ['page[size]=2&page=2', undefined],
    ] as const) {
      const res = await get(`/api/v2/audit_logs.json?${qs}`, auth);
      assert.equal(res.statusCode, 400, qs);
      assert.equal(typeof res.json().error, 'string', qs);
      assert.equal(typeof res.json().description, 'string', qs);
    }
  });

  it('pages by offset with count and links, and refuses pages past 10,000 records', async () => {
    const res = await get('/api/v2/audit_logs.json?per_page=2&page=2');
    const body = res.json<{ audit_logs: Log[]; next_page: string; previous_page: string; count: number }>();
    assert.deepEqual(
      body.audit_logs.map((l) => l.id),
      [5, 4],
    );
    assert.equal(body.count, 7);
    assert.equal(body.next_page, 'http://zd.test/api/v2/audit_logs.json?per_page=2&page=3');
    assert.equal(body.previous_page, 'http://zd.test/api/v2/audit_logs.json?per_page=2&page=1');
    const last = (await get('/api/v2/audit_logs?per_page=2&page=4&sort_order=asc')).json<{
      audit_logs: Log[];
      next_page: null;
    }>();
    assert.deepEqual(
      last.audit_logs.map((l) => l.id),
      [7],
    );
    assert.equal(last.next_page, null);
    assert.equal((await get('/api/v2/audit_logs?per_page=100&page=100')).statusCode, 200);
    for (const qs of ['per_page=100&page=101', 'page=10001', 'per_page=101', 'page=0', 'sort_by=id']) {
      const r = await get(`/api/v2/audit_logs?${qs}`);
      assert.equal(r.statusCode, 400, qs);
      assert.equal(r.json().error, 'InvalidValue', qs);
    }
  });

  it('sends list pages as JSON text that matches the route’s response schema exactly', async () => {
    const cursorPage = matchesSchema(CursorPageSchema);
    const offsetPage = matchesSchema(OffsetPageSchema);
    const either = matchesSchema({ anyOf: [CursorPageSchema, OffsetPageSchema] });
    let url: string | null = '/api/v2/audit_logs.json?page[size]=3';
    let pages = 0;
    while (url) {
      const res = await get(url);
      assert.equal(res.statusCode, 200, res.body);
      assert.match(String(res.headers['content-type']), /^application\/json/);
      const body = res.json<CursorPage>();
      cursorPage(body, `cursor page ${pages}`);
      either(body);
      url = body.links.next && new URL(body.links.next).pathname + new URL(body.links.next).search;
      pages++;
    }
    assert.equal(pages, 3);
    for (const page of [1, 2, 3]) {
      const res = await get(`/api/v2/audit_logs?per_page=3&page=${page}&filter[action][]=update`);
      assert.equal(res.statusCode, 200, res.body);
      offsetPage(res.json(), `offset page ${page}`);
      either(res.json());
    }
  });

  it('starts a CSV export job once a minute per tenant, with Zendesk’s rate-limit headers', async () => {
    const post = (url: string, token: string) =>
      t.app.inject({
        method: 'POST',
        url,
        headers: {
          authorization: basic('ada@example.com', token),
          'content-type': 'application/json',
          host: 'zd.test',
        },
      });
    const bad = await post('/api/v2/audit_logs/export?filter[source_id]=1', key);
    assert.equal(bad.statusCode, 400);
    const ok = await post('/api/v2/audit_logs/export.json?filter[action]=create', key);
    assert.equal(ok.statusCode, 202, ok.body);
    assert.equal(ok.body, '');
    assert.match(
      ok.headers['zendesk-ratelimit-audit-logs-export'] as string,
      /^total=1; remaining=0; resets=60$/,
    );
    assert.equal(ok.headers['retry-after'], undefined);
    const location = String(ok.headers.location);
    assert.match(location, /^http:\/\/zd\.test\/v1\/exports\/[0-9a-f-]{36}$/);
    const again = await post('/api/v2/audit_logs/export', key);
    assert.equal(again.statusCode, 429);
    assert.equal(again.json().error, 'TooManyRequests');
    assert.match(again.json().description, /Rate limit for Audit log CSV Export exceeded/);
    const retry = Number(again.headers['retry-after']);
    assert.ok(retry >= 1 && retry <= 60, String(retry));
    assert.equal(
      again.headers['zendesk-ratelimit-audit-logs-export'],
      `total=1; remaining=0; resets=${retry}`,
    );
    // Another tenant has its own minute.
    assert.equal((await post('/api/v2/audit_logs/export', other)).statusCode, 202);
    // The job is the native export job.
    const job = await t.call(key, { method: 'GET', url: new URL(location).pathname });
    assert.equal(job.statusCode, 200);
    assert.equal(job.json().format, 'csv');
  });
});
