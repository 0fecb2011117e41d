// @engines sqlite postgres
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ADMIN_TOKEN, event, startTestApp, type TestApp } from '../helpers/app.js';
import { ingest } from '../helpers/jobs.js';

/** The Agilicus AuditsApi dialect over raw HTTP (inject): mapping, every filter, times, limits, auth. */
type Obj = Record<string, unknown>;
type Row = Obj & { time: string };

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$/;

/** Fixed events of tenant acme, labelled by their time. */
const AT: Record<string, string> = {
  a1: '2026-03-01T10:00:00.000Z',
  a2: '2026-03-02T10:00:00.000Z',
  a3: '2026-03-03T10:00:00.000Z',
  x4: '2026-03-04T10:00:00.000Z',
  h1: '2026-03-05T10:00:00.000Z',
  h2: '2026-03-06T10:00:00.000Z',
  h3: '2026-03-07T10:00:00.000Z',
  h4: '2026-03-08T10:00:00.000Z',
};
const LABEL = Object.fromEntries(Object.entries(AT).map(([k, v]) => [v, k]));

const FIXED = [
  event({
    occurred_at: AT.a1,
    category: 'admin',
    action: 'CREATE',
    service: 'applications',
    actor: { id: 'u1', name: 'Ada' },
    target: {
      type: 'application',
      id: 't1',
      parents: [
        { type: 'org', id: 'p1' },
        { type: 'org', id: 'g1' },
      ],
    },
    source: { ip: ['203.0.113.5', '10.0.0.1'], token_id: 'jti-1', trace_id: 'tr-1', session_id: 's1' },
    attributes: [
      { type: 'user', id: 'at1', org_id: 'ao1', name: 'Attr one' },
      { type: 'group', id: 'at2' },
    ],
  }),
  event({
    occurred_at: AT.a2,
    category: 'data',
    action: 'UPDATE',
    service: 'users',
    actor: { id: 'u2' },
    target: { type: 'user', id: 't2' },
    source: { token_id: 'jti-2' },
    attributes: [{ type: 'group', id: 'at3', org_id: 'ao2' }],
  }),
  event({
    occurred_at: AT.a3,
    category: 'system',
    action: 'DELETE',
    service: 'applications',
    actor: { id: 'u1' },
    target: { type: 'application', id: 't3' },
  }),
  // An auth event that shares every audit field: it is never an audit.
  event({
    occurred_at: AT.x4,
    category: 'auth',
    action: 'CREATE',
    service: 'applications',
    actor: { id: 'u1' },
    target: { type: 'application', id: 't1' },
    source: { token_id: 'jti-1' },
    attributes: [{ type: 'user', id: 'at1', org_id: 'ao1' }],
    auth: { event: 'Other', stage: 'Other' },
  }),
  event({
    occurred_at: AT.h1,
    category: 'auth',
    action: 'Token',
    actor: { id: 'u1', user_agent: 'actor-agent' },
    client: { id: 'c1', name: 'App one' },
    source: {
      ip: ['192.0.2.3'],
      session_id: 's1',
      trace_id: 'tr-9',
      token_id: 'jti-9',
      request_id: 'r1',
      user_agent: 'curl/8',
    },
    auth: {
      event: 'Success',
      stage: 'Login',
      result: 'Success',
      issuer: 'https://auth.example',
      upstream_idp: 'google',
      upstream_user_id: 'g-1',
      login_org_id: 'lo1',
      login_org_name: 'Login Org',
    },
  }),
  event({
    occurred_at: AT.h2,
    category: 'auth',
    outcome: 'failure',
    action: 'Policy Evaluation',
    actor: { id: 'u2', user_agent: 'actor-agent' },
    client: { id: 'c2' },
    source: { ip: ['192.0.2.4'], session_id: 's2', trace_id: 'tr-2', request_id: 'r2' },
    auth: {
      event: 'Failure',
      stage: 'Policy',
      upstream_idp: 'azure',
      upstream_user_id: 'a-2',
      login_org_id: 'lo2',
      application_name: 'Portal',
    },
  }),
  event({
    occurred_at: AT.h3,
    category: 'auth',
    action: 'Token',
    actor: { id: 'u3' },
    auth: { result: 'Denied', stage: 'Login', upstream_idp: 'google' },
  }),
  event({ occurred_at: AT.h4, category: 'auth', action: 'Token', actor: { id: 'u3' } }),
];

describe('Agilicus AuditsApi over HTTP', () => {
  let t: TestApp;
  let key: string;
  let other: string;
  const get = (url: string, token: string | null = key, headers: Record<string, string> = {}) =>
    t.call(token, { method: 'GET', url, headers });
  /** The labels of a list's rows, in order; asserts 200 and the envelope's keys. */
  const labels = async (url: string, token = key) => {
    const res = await get(url, token);
    assert.equal(res.statusCode, 200, `${url}: ${res.body}`);
    const body = res.json<Obj>();
    const list = (url.startsWith('/v1/audits') ? body.audits : body.auth_audits) as Row[];
    assert.deepEqual(Object.keys(body), ['limit', url.startsWith('/v1/audits') ? 'audits' : 'auth_audits']);
    for (const r of list) assert.match(r.time, RFC3339, url);
    return list.map((r) => LABEL[r.time] ?? r.time);
  };

  before(async () => {
    t = await startTestApp();
    key = await t.tenantWithKey('acme');
    other = await t.tenantWithKey('other');
    await ingest(t, key, FIXED);
    // The other tenant's events match every filter used below, and must never show.
    await ingest(
      t,
      other,
      FIXED.map((e) => ({ ...e, occurred_at: (e.occurred_at as string).replace('T10', 'T11') })),
    );
  });
  after(() => t.close());

  it('maps audits exactly, newest first, with limit 500 by default', async () => {
    const res = await get('/v1/audits');
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers['content-type']), /^application\/json/);
    assert.deepEqual(res.json(), {
      limit: 500,
      audits: [
        {
          user_id: 'u1',
          org_id: 'acme',
          time: AT.a3,
          action: 'DELETE',
          target_id: 't3',
          target_resource_type: 'application',
          api_name: 'applications',
        },
        {
          user_id: 'u2',
          org_id: 'acme',
          time: AT.a2,
          action: 'UPDATE',
          target_id: 't2',
          target_resource_type: 'user',
          api_name: 'users',
          token_id: 'jti-2',
          attributes: [{ attribute_type: 'group', attribute_id: 'at3', attribute_org_id: 'ao2' }],
        },
        {
          user_id: 'u1',
          org_id: 'acme',
          time: AT.a1,
          action: 'CREATE',
          source_ip: '203.0.113.5',
          target_id: 't1',
          target_resource_type: 'application',
          api_name: 'applications',
          token_id: 'jti-1',
          trace_id: 'tr-1',
          session: 's1',
          parent_id: 'p1',
          grandparent_id: 'g1',
          attributes: [
            {
              attribute_type: 'user',
              attribute_id: 'at1',
              attribute_org_id: 'ao1',
              attribute_name: 'Attr one',
            },
            { attribute_type: 'group', attribute_id: 'at2' },
          ],
        },
      ],
    });
  });

  it('maps auth audits exactly, newest first, result from auth.result or the outcome', async () => {
    const res = await get('/v1/auth_audits');
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json(), {
      limit: 500,
      auth_audits: [
        { user_id: 'u3', org_id: 'acme', time: AT.h4, event_name: 'Token', result: 'Success' },
        {
          user_id: 'u3',
          org_id: 'acme',
          time: AT.h3,
          event_name: 'Token',
          upstream_idp: 'google',
          stage: 'Login',
          result: 'Denied',
        },
        {
          user_id: 'u2',
          org_id: 'acme',
          time: AT.h2,
          event: 'Failure',
          event_name: 'Policy Evaluation',
          source_ip: '192.0.2.4',
          trace_id: 'tr-2',
          session: 's2',
          client_id: 'c2',
          application_name: 'Portal',
          login_org_id: 'lo2',
          upstream_idp: 'azure',
          upstream_user_id: 'a-2',
          stage: 'Policy',
          result: 'Failure',
          user_agent: 'actor-agent',
          request_id: 'r2',
        },
        {
          user_id: 'u1',
          org_id: 'acme',
          time: AT.h1,
          event: 'Success',
          event_name: 'Token',
          source_ip: '192.0.2.3',
          token_id: 'jti-9',
          trace_id: 'tr-9',
          session: 's1',
          issuer: 'https://auth.example',
          client_id: 'c1',
          application_name: 'App one',
          login_org_id: 'lo1',
          login_org_name: 'Login Org',
          upstream_idp: 'google',
          upstream_user_id: 'g-1',
          stage: 'Login',
          result: 'Success',
          user_agent: 'curl/8',
          request_id: 'r1',
        },
        {
          user_id: 'u1',
          org_id: 'acme',
          time: AT.x4,
          event: 'Other',
          event_name: 'CREATE',
          token_id: 'jti-1',
          stage: 'Other',
          result: 'Success',
        },
      ],
    });
  });

  it('filters audits by every parameter, alone and combined', async () => {
    const cases: [string, string[]][] = [
      ['', ['a3', 'a2', 'a1']],
      ['user_id=u1', ['a3', 'a1']],
      ['user_id=nobody', []],
      ['action=UPDATE', ['a2']],
      ['target_id=t1', ['a1']],
      ['token_id=jti-2', ['a2']],
      ['api_name=applications', ['a3', 'a1']],
      ['target_resource_type=user', ['a2']],
      ['attribute_type=group', ['a2', 'a1']],
      ['attribute_type=user', ['a1']],
      ['attribute_id=at1', ['a1']],
      ['attribute_id=at2', ['a1']],
      ['attribute_org_id=ao2', ['a2']],
      ['attribute_type_list=user', ['a1']],
      ['attribute_type_list=user&attribute_type_list=group', ['a2', 'a1']],
      ['attribute_type=user&attribute_type_list=group', ['a2', 'a1']],
      ['attribute_type=nope&attribute_type_list=user', ['a1']],
      ['attribute_id_list=at1&attribute_id_list=at3', ['a2', 'a1']],
      ['attribute_id_list=at3', ['a2']],
      ['attribute_id=at1&attribute_id_list=at3', ['a2', 'a1']],
      ['org_id=acme', ['a3', 'a2', 'a1']],
      ['org_id=other', []],
      ['org_id=nope&user_id=u1', []],
      ['org_id=', ['a3', 'a2', 'a1']],
      ['resources_behind_connector_id=conn-1', ['a3', 'a2', 'a1']],
      ['user_id=&action=&target_id=&api_name=&target_resource_type=&dt_from=&dt_to=', ['a3', 'a2', 'a1']],
      ['user_id=u1&api_name=applications&target_resource_type=application', ['a3', 'a1']],
      ['user_id=u1&target_id=t1&token_id=jti-1&attribute_type=group', ['a1']],
      ['user_id=u1&action=UPDATE', []],
      ['api_name=applications&attribute_org_id=ao1&attribute_id=at1', ['a1']],
      ['attribute_type=group&attribute_org_id=ao1', ['a1']],
      ['user_id=u1&dt_from=2026-03-02', ['a3']],
      ['api_name=users&org_id=acme&limit=1', ['a2']],
    ];
    for (const [q, expected] of cases) {
      assert.deepEqual(await labels(`/v1/audits?${q}`), expected, q);
    }
  });

  it('filters auth audits by every parameter, alone and combined', async () => {
    const cases: [string, string[]][] = [
      ['', ['h4', 'h3', 'h2', 'h1', 'x4']],
      ['user_id=u1', ['h1', 'x4']],
      ['session_id=s2', ['h2']],
      ['trace_id=tr-9', ['h1']],
      ['upstream_user_id=a-2', ['h2']],
      ['upstream_idp=google', ['h3', 'h1']],
      ['login_org_id=lo1', ['h1']],
      ['source_ip=192.0.2.4', ['h2']],
      ['client_id=c1', ['h1']],
      ['event=Failure', ['h2']],
      ['stage=Login', ['h3', 'h1']],
      ['request_id=r1', ['h1']],
      ['result=Success', ['h4', 'h1', 'x4']],
      ['result=Failure', ['h2']],
      ['result=Denied', ['h3']],
      ['result=InProgress', []],
      ['event_name=Token', ['h4', 'h3', 'h1']],
      ['event_name=Token&result=Success', ['h4', 'h1']],
      ['event_name=Token&result=Success&limit=1', ['h4']],
      ['upstream_idp=google&stage=Login&result=Denied', ['h3']],
      ['user_id=u1&session_id=s1&client_id=c1&source_ip=192.0.2.3&request_id=r1&login_org_id=lo1', ['h1']],
      ['user_id=u2&event=Success', []],
      ['org_id=acme&user_id=u2', ['h2']],
      ['org_id=other', []],
      ['org_id=other&result=Success', []],
      ['session_id=&trace_id=&result=&event=&stage=', ['h4', 'h3', 'h2', 'h1', 'x4']],
      ['dt_from=2026-03-06&dt_to=2026-03-08&upstream_idp=google', ['h3']],
    ];
    for (const [q, expected] of cases) {
      assert.deepEqual(await labels(`/v1/auth_audits?${q}`), expected, q);
    }
  });

  it('bounds by fixed times: dt_from inclusive, dt_to exclusive, any ISO form', async () => {
    const cases: [string, string[]][] = [
      [`dt_from=${AT.a2}`, ['a3', 'a2']],
      [`dt_to=${AT.a2}`, ['a1']],
      [`dt_from=${AT.a2}&dt_to=${AT.a3}`, ['a2']],
      ['dt_from=2026-03-02&dt_to=2026-03-03', ['a2']],
      ['dt_from=2026-03-02T12%3A00%3A00%2B02%3A00', ['a3', 'a2']],
      // An unencoded `+` arrives as a space.
      ['dt_from=2026-03-02T12:00:00+02:00', ['a3', 'a2']],
      ['dt_from=2026-03-02T10:00:00.001Z', ['a3']],
      ['dt_from=2026-03-03&dt_to=2026-03-02', []],
    ];
    for (const [q, expected] of cases) {
      assert.deepEqual(await labels(`/v1/audits?${q}`), expected, q);
    }
    assert.deepEqual(await labels(`/v1/auth_audits?dt_from=${AT.h2}&dt_to=${AT.h4}`), ['h3', 'h2']);
  });

  it('rejects unparseable times with 400 naming the parameter and the forms', async () => {
    for (const path of ['/v1/audits', '/v1/auth_audits']) {
      for (const [name, value] of [
        ['dt_from', 'soon'],
        ['dt_to', 'now-1y'],
        ['dt_from', '2026-02-30'],
        ['dt_to', 'now-1.5h'],
      ] as const) {
        const res = await get(`${path}?${name}=${value}`);
        assert.equal(res.statusCode, 400, `${path} ${name}=${value}`);
        const body = res.json<{ error_code: string; error_message: string }>();
        assert.deepEqual(Object.keys(body), ['error_code', 'error_message']);
        assert.equal(body.error_code, 'invalid_request');
        assert.match(body.error_message, new RegExp(`^${name} must be`));
        assert.match(body.error_message, /now-1day/);
        assert.match(body.error_message, /RFC 3339/);
      }
    }
  });

  it('validates limit: 1..500, integers only', async () => {
    assert.deepEqual(await labels('/v1/audits?limit=2'), ['a3', 'a2']);
    assert.deepEqual(await labels('/v1/audits?limit=1'), ['a3']);
    assert.deepEqual(await labels('/v1/auth_audits?limit=3'), ['h4', 'h3', 'h2']);
    const max = await get('/v1/audits?limit=500');
    assert.equal(max.json<{ limit: number }>().limit, 500);
    assert.equal((await get('/v1/audits?limit=2')).json<{ limit: number }>().limit, 2);
    for (const path of ['/v1/audits', '/v1/auth_audits']) {
      for (const limit of ['0', '501', 'abc', '1.5', '-1', '']) {
        const res = await get(`${path}?limit=${limit}`);
        assert.equal(res.statusCode, 400, `${path} limit=${limit}`);
        const body = res.json<{ error_code: string; error_message: string }>();
        assert.deepEqual(Object.keys(body), ['error_code', 'error_message']);
        assert.equal(body.error_code, 'invalid_request');
        assert.match(body.error_message, /^limit /);
      }
    }
  });

  it('401 without or with a bad credential, 403 without events:read, in the Agilicus envelope', async () => {
    for (const path of ['/v1/audits', '/v1/auth_audits']) {
      for (const headers of [{}, { authorization: 'Bearer nope' }, { authorization: `Basic ${key}` }]) {
        const res = await t.app.inject({ method: 'GET', url: path, headers });
        assert.equal(res.statusCode, 401, `${path} ${JSON.stringify(headers)}`);
        assert.equal(res.headers['www-authenticate'], 'Bearer');
        const body = res.json<{ error_code: string; error_message: string }>();
        assert.deepEqual(Object.keys(body), ['error_code', 'error_message']);
        assert.equal(body.error_code, 'unauthorized');
      }
      const writer = await t.key('acme', ['events:write']);
      for (const token of [writer, ADMIN_TOKEN]) {
        const res = await get(path, token);
        assert.equal(res.statusCode, 403);
        assert.deepEqual(Object.keys(res.json()), ['error_code', 'error_message']);
        assert.equal(res.json().error_code, 'forbidden');
      }
    }
  });

  it('accepts an OAuth access token with events:read', async () => {
    const token = await t.accessToken('acme', ['events:read']);
    assert.deepEqual(await labels('/v1/audits?user_id=u2', token), ['a2']);
    assert.deepEqual(await labels('/v1/auth_audits?user_id=u2', token), ['h2']);
  });

  it('never shows another tenant’s events, whatever org_id says', async () => {
    const mine = (await get('/v1/audits')).json<{ audits: Row[] }>().audits;
    assert.ok(mine.length > 0 && mine.every((r) => r.org_id === 'acme'));
    const theirs = await get('/v1/audits', other);
    const rows = theirs.json<{ audits: Row[] }>().audits;
    assert.deepEqual(
      rows.map((r) => [r.org_id, r.time]),
      [
        ['other', '2026-03-03T11:00:00.000Z'],
        ['other', '2026-03-02T11:00:00.000Z'],
        ['other', '2026-03-01T11:00:00.000Z'],
      ],
    );
    for (const path of ['/v1/audits', '/v1/auth_audits']) {
      assert.deepEqual(await labels(`${path}?org_id=acme`, other), []);
      const auth = (await get(`${path}?org_id=other&limit=500`, other)).json<Obj>();
      const list = (auth.audits ?? auth.auth_audits) as Row[];
      assert.ok(list.length > 0 && list.every((r) => r.org_id === 'other'), path);
    }
  });

  it('shares /v1 with the native API: each route keeps its own envelope, unknown paths the native 404', async () => {
    const native = await get('/v1/events?limit=1');
    assert.equal(native.statusCode, 200);
    assert.ok(Array.isArray(native.json().data));
    const nativeBad = await get('/v1/events?limit=0');
    assert.equal(nativeBad.statusCode, 400);
    assert.equal(nativeBad.json().error.code, 'invalid_request');
    assert.equal(typeof nativeBad.json().request_id, 'string');
    const nativeAnon = await get('/v1/events', null);
    assert.equal(nativeAnon.statusCode, 401);
    assert.equal(nativeAnon.json().error.code, 'unauthorized');
    for (const [method, url] of [
      ['GET', '/v1/nothing_here'],
      ['GET', '/v1/audits/1'],
      ['GET', '/v1/auth_audits/x'],
      ['POST', '/v1/audits'],
      ['DELETE', '/v1/auth_audits'],
    ] as const) {
      for (const token of [key, null]) {
        const res = await t.call(token, { method, url });
        assert.equal(res.statusCode, 404, `${method} ${url}`);
        const body = res.json();
        assert.equal(body.error.code, 'not_found', `${method} ${url}`);
        assert.equal(typeof body.request_id, 'string');
        assert.equal(body.error_code, undefined);
      }
    }
    const agilicus = await get('/v1/audits?limit=0');
    assert.deepEqual(Object.keys(agilicus.json()), ['error_code', 'error_message']);
  });
});

describe('Agilicus human-friendly times against the real clock', () => {
  let t: TestApp;
  let key: string;
  const H = 3_600_000;
  const D = 24 * H;
  /** Offsets from the clock at ingest; wide margins, so a slow run cannot cross a bound. */
  const OFFSETS: Record<string, number> = {
    r1: -3 * D,
    r2: -D + 10 * 60_000,
    r3: -2 * H,
    r4: -5 * 60_000,
    r5: 5 * 60_000,
    r6: D + H,
  };
  let label: Record<string, string>;
  let midnight: number;

  const labels = async (path: string, q: string) => {
    const res = await t.call(key, { method: 'GET', url: `${path}?${q}` });
    assert.equal(res.statusCode, 200, `${q}: ${res.body}`);
    const body = res.json<Obj>();
    const list = (body.audits ?? body.auth_audits) as Row[];
    for (const r of list) assert.match(r.time, RFC3339, q);
    return list.map((r) => label[r.time] ?? r.time);
  };

  before(async () => {
    t = await startTestApp();
    key = await t.tenantWithKey('clock');
    const now = Date.now();
    midnight = Math.floor(now / D) * D;
    const at: Record<string, number> = Object.fromEntries(
      Object.entries(OFFSETS).map(([k, off]) => [k, now + off]),
    );
    // Around today's and yesterday's midnight, on the auth list so both lists stay apart.
    Object.assign(at, {
      m1: midnight - D - 1,
      m2: midnight - D,
      m3: midnight - 1,
      m4: midnight,
    });
    label = Object.fromEntries(Object.entries(at).map(([k, ms]) => [new Date(ms).toISOString(), k]));
    await ingest(
      t,
      key,
      Object.entries(at).map(([k, ms]) =>
        event({ occurred_at: new Date(ms).toISOString(), category: k.startsWith('m') ? 'auth' : 'admin' }),
      ),
    );
  });
  after(() => t.close());

  it('resolves now, steps and units at request time', async () => {
    const cases: [string, string[]][] = [
      ['dt_from=now-1day', ['r6', 'r5', 'r4', 'r3', 'r2']],
      ['dt_from=now-1day&dt_to=now', ['r4', 'r3', 'r2']],
      ['dt_from=now-1d&dt_to=now', ['r4', 'r3', 'r2']],
      ['dt_from=now-24hours&dt_to=NOW', ['r4', 'r3', 'r2']],
      ['dt_from=now-3h&dt_to=now-1h', ['r3']],
      ['dt_from=now-3hours&dt_to=now-60minutes', ['r3']],
      ['dt_from=now-10800s&dt_to=now-3600seconds', ['r3']],
      ['dt_from=now-180m&dt_to=now-1hour', ['r3']],
      ['dt_from=now-15m&dt_to=now%2B15m', ['r5', 'r4']],
      // Unencoded, the `+` arrives as a space and still means plus.
      ['dt_from=now-15m&dt_to=now+15m', ['r5', 'r4']],
      ['dt_from=now%2B15minutes', ['r6']],
      ['dt_from=now%2B1day&dt_to=now%2B2days', ['r6']],
      ['dt_to=now-2d', ['r1']],
      ['dt_to=now-2days&dt_from=now-1w', ['r1']],
      ['dt_from=now-1week', ['r6', 'r5', 'r4', 'r3', 'r2', 'r1']],
      ['dt_from=now-1weeks&dt_to=now-2weeks', []],
      ['dt_from=&dt_to=', ['r6', 'r5', 'r4', 'r3', 'r2', 'r1']],
    ];
    for (const [q, expected] of cases) {
      assert.deepEqual(await labels('/v1/audits', q), expected, q);
    }
  });

  it('today and yesterday are 00:00 UTC; today-1week steps from it', async (ctx) => {
    // The rare run whose UTC day changes between ingest and request cannot know which day is meant.
    if (Math.floor(Date.now() / D) * D !== midnight) return ctx.skip('the UTC day changed mid-test');
    const cases: [string, string[]][] = [
      ['dt_from=today', ['m4']],
      ['dt_to=today', ['m3', 'm2', 'm1']],
      ['dt_from=yesterday&dt_to=today', ['m3', 'm2']],
      ['dt_from=today-1day&dt_to=today', ['m3', 'm2']],
      ['dt_to=yesterday', ['m1']],
      ['dt_from=today-1week&dt_to=yesterday', ['m1']],
      ['dt_from=today-1s&dt_to=today%2B1s', ['m4', 'm3']],
    ];
    for (const [q, expected] of cases) {
      assert.deepEqual(await labels('/v1/auth_audits', q), expected, q);
    }
  });
});
