// @engines sqlite postgres
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import type { InjectOptions } from 'fastify';
import { JSON_BODY_LIMIT } from '../../src/http/limits.js';
import { COLUMNS } from '../../src/http/liveperson/mapping.js';
import { NDJSON_BODY_LIMIT } from '../../src/http/native/events.js';
import { ADMIN_TOKEN, event, startTestApp, type TestApp } from '../helpers/app.js';
import { checkEnvelope, DIALECTS, type Dialect, type WireResponse } from '../helpers/envelopes.js';
import {
  anyString,
  badValue,
  bigArray,
  deepValue,
  FUZZ_RUNS,
  FUZZ_SEED,
  fromSchema,
  fuzz,
  type Gen,
  garbage,
  graphqlSelection,
  type Hints,
  INJECTIONS,
  isoTime,
  manyKeys,
  nastyString,
  ODD_STRINGS,
  pct,
  queryPairs,
  RAW_URL_PIECES,
  TIMES,
} from '../helpers/fuzz.js';
import { until } from '../helpers/jobs.js';
import { rawRequest, requestBytes } from '../helpers/raw-http.js';
import { type Answer, assertSafe, injectOpening } from '../helpers/requests.js';
import { type JsonSchema, type Operation, operationsOf, pathParams, routeKey } from '../helpers/routes.js';
import { FIXTURE_ENV, HIDDEN, seedTwoTenants, type TenantFixture } from '../helpers/tenants.js';

/**
 * Property-based fuzzing of every route of every dialect, through inject (most cases) and a real
 * socket (bytes inject cannot send). Per response: never a 5xx, an error is always in the
 * envelope of the dialect that owns the path, an error on ingest stores nothing, and nothing of
 * the other tenant (HIDDEN) ever shows. Parameters and bodies come from the routes' own schemas
 * (the OpenAPI document), so a new route or parameter is fuzzed without a change here.
 */

/** Shares of FUZZ_RUNS per property; they add up to 1. */
const SHARE = {
  ingestEvents: 0.15,
  ingestBodies: 0.1,
  routes: 0.42,
  graphql: 0.12,
  graphqlShapes: 0.03,
  paths: 0.15,
  socket: 0.03,
};

/** inject resolves dot segments (`%2e%2e`) and empty ones as a browser would; a socket sends them as they are. */
const INJECT_URL_PIECES = RAW_URL_PIECES.filter((p) => !/\.|%2e|^\/\/$/i.test(p));

const JSON_TYPES = ['application/json', 'application/json; charset=utf-8', 'Application/JSON'];
const OTHER_TYPES = [
  'text/plain',
  'application/x-www-form-urlencoded',
  'application/x-ndjson',
  'application/json; charset=iso-8859-1',
  'multipart/form-data; boundary=x',
  'application/xml',
  '',
];

const WRITER = 'fuzz-writer';

describe(`fuzzing (FUZZ_SEED=${FUZZ_SEED}, FUZZ_RUNS=${FUZZ_RUNS})`, () => {
  let t: TestApp;
  let a: TenantFixture;
  let b: TenantFixture;
  let ops: Operation[];
  /** A key of a third tenant the ingest properties write to, so A's data (read by jobs) stays small. */
  let writer: string;
  /** An OAuth client of A, for the token endpoint. */
  let client: { client_id: string; client_secret: string };
  let cases = 0;
  /** Jobs the fuzzed requests created: none of them may fail. */
  const jobs = new Set<string>();

  before(async () => {
    t = await startTestApp({ ...FIXTURE_ENV, TRAILKEEP_JOB_WORKERS: '1' });
    ({ a, b } = await seedTwoTenants(t, 'fuzz'));
    ops = [...operationsOf(t.app).values()];
    writer = await t.tenantWithKey(WRITER, ['events:write']);
    client = (
      await t.call(ADMIN_TOKEN, {
        method: 'POST',
        url: `/v1/tenants/${a.tenant}/oauth-clients`,
        payload: { name: 'fuzz', scopes: ['events:read'] },
      })
    ).json();
    VALID = { hints, words: words(), chaos: false };
    CHAOS = { ...VALID, chaos: true };
  });
  after(async () => {
    await t?.close();
  });

  const count = (tenant: string) => t.services.events.count(tenant, {});

  /** What every response must be: below 500, the owner's envelope when an error, nothing of B. */
  function check(method: string, url: string, res: WireResponse, sent: string) {
    assert.ok(!sent.includes(HIDDEN), 'the fuzzer never sends the hidden marker');
    assertSafe(method, url, res, HIDDEN);
    if (res.statusCode < 300 && method !== 'HEAD' && /json/.test(String(res.headers['content-type'] ?? ''))) {
      assert.doesNotThrow(
        () => JSON.parse(res.body),
        `${method} ${url}: a 2xx JSON body that does not parse`,
      );
    }
  }

  async function send(opts: InjectOptions & { method: string; url: string }): Promise<Answer> {
    // The live tail's stream never ends: its opening is checked, then the client goes.
    const res = await injectOpening(t.app, opts);
    check(
      opts.method,
      opts.url,
      res,
      `${opts.url} ${JSON.stringify(opts.headers ?? {})} ${String(opts.payload ?? '')}`,
    );
    noteJob(opts.method, opts.url, res);
    return res;
  }

  function noteJob(method: string, url: string, res: WireResponse) {
    if (method !== 'POST' || res.statusCode >= 300) return;
    const location = String(res.headers.location ?? '');
    const fromLocation = /\/v1\/(?:exports|queries)\/([^/?]+)$/.exec(location)?.[1];
    if (fromLocation) jobs.add(fromLocation);
    else if (/^\/api\/v2\/audits\/query\/?(\?|$)/.test(url)) jobs.add(JSON.parse(res.body).id);
  }

  const token = (f: TenantFixture) => new URL(f.downloadUrl).searchParams.get('token') as string;
  const both = (pick: (f: TenantFixture) => string[]) => fc.constantFrom(...[a, b].flatMap(pick));
  const DAY = 86_400_000;
  const recent = fc.integer({ min: 0, max: 20 * DAY }).map((ago) => new Date(Date.now() - ago).toISOString());
  const interval = fc.oneof(
    fc
      .tuple(recent, recent)
      .map(([x, y]) => (x < y ? `${x}/${y}` : `${y}/${new Date(Date.parse(x) + 1000).toISOString()}`)),
    recent.map((x) => `${x}/PT3H`),
    fc.constantFrom(
      'P1D/2030-01-01T00:00:00Z',
      '2026-01-01/2027-01-01',
      '2025-06-01T00:00:00Z/2025-07-01T00:00:00Z',
    ),
  );

  /** Realistic, valid values by parameter or property name: both tenants' ids, cursors, tokens, dates. */
  const hints: Hints = (name) => {
    const bare = name.replace(/^filter\[(.*?)\](\[\])?$/, '$1');
    switch (bare) {
      case 'cursor':
      case 'page[after]':
      case 'page[before]':
        return fc.oneof(
          { weight: 3, arbitrary: fc.constantFrom(...Object.values(a.cursors)) },
          both((f) => Object.values(f.cursors)),
        );
      case 'id':
      case 'transactionId':
      case 'auditId':
        return fc.oneof(
          { weight: 3, arbitrary: fc.constantFrom(a.queryJob, a.exportJob, a.genesysJob, ...a.eventIds) },
          both((f) => [f.queryJob, f.exportJob, f.genesysJob, ...f.eventIds]),
          fc.constantFrom('1', '2', '7', '9', '0', '-1', '01', '9007199254740993', '9999999999999999'),
        );
      case 'token':
        return both((f) => [token(f), `${token(f)}x`]);
      case 'accountId':
      case 'tenant':
        return fc.constantFrom(a.tenant, a.tenant, a.tenant, b.tenant, 'nope');
      case 'org_id':
      case 'trustorOrgId':
        return fc.constantFrom(a.tenant, b.tenant, 'nope', '');
      case 'interval':
        return interval;
      case 'from':
      case 'to':
        return isoTime;
      case 'dt_from':
      case 'dt_to':
        return fc.oneof(
          isoTime,
          fc.constantFrom(
            'now',
            'today',
            'yesterday',
            'now-1day',
            'now-3h',
            'today-1week',
            '2026-03-01',
            '',
            'now+15m',
          ),
        );
      case 'created_at':
        return fc.tuple(recent, recent).map(([x, y]) => (x < y ? [x, y] : [y, x]));
      case 'expand':
        return fc.constantFrom(['user'], 'user', 'user,user');
      case 'q':
        return fc.constantFrom(
          'actor',
          `${a.tenant} target`,
          'zz nothing',
          ...INJECTIONS.filter((i) => i.trim() !== ''),
        );
      case 'scopes':
        return fc.constantFrom(['events:read'], ['events:write', 'events:read'], ['tenant:admin']);
      case 'grant_type':
        return fc.constantFrom('client_credentials', 'client_credentials', 'password');
      case 'client_id':
        return fc.constantFrom(client.client_id, client.client_id, b.clientId, 'cli_0000');
      case 'client_secret':
        return fc.constantFrom(client.client_secret, client.client_secret, `${client.client_secret}x`);
      case 'operationName':
      case 'variables':
        return fc.constant(null);
      case 'query':
        return fc.constantFrom(
          '{ auditData { accountId changeDate } }',
          '{ auditData(first: 2, orderBy: [objectType]) { objectType element } }',
        );
      case 'value':
      case 'actor_id':
      case 'user_id':
      case 'action':
        return both((f) => Object.values(f.values));
      default:
        return undefined;
    }
  };
  /** Plain strings: both tenants' filterable values, injections, Unicode oddities. */
  const words = () =>
    fc.oneof(
      both((f) => Object.values(f.values)),
      fc.constantFrom(...INJECTIONS, ...ODD_STRINGS),
    );
  let VALID: Gen;
  let CHAOS: Gen;

  const credentialFor = (
    op: { path: string; dialect: Dialect },
    bad: boolean,
  ): fc.Arbitrary<string | undefined> => {
    if (bad) {
      return fc.oneof(
        fc.constant(undefined),
        fc.string({ maxLength: 80 }).map((s) => `Bearer ${s}`),
        fc.string({ maxLength: 80 }).map((s) => `Basic ${Buffer.from(s).toString('base64')}`),
        fc.constantFrom(
          'Bearer',
          'Basic',
          'Basic !!!',
          `Bearer ${a.key}x`,
          `bearer   ${a.key}`,
          `Token ${a.key}`,
          `Bearer ${ADMIN_TOKEN}`,
          `Bearer ${a.adminKey}`,
        ),
      );
    }
    if (op.path.startsWith('/v1/tenants'))
      return fc.constantFrom(`Bearer ${ADMIN_TOKEN}`, `Bearer ${a.adminKey}`);
    return fc.oneof(
      { weight: 6, arbitrary: fc.constant(`Bearer ${a.key}`) },
      { weight: 2, arbitrary: fc.constant(`Bearer ${a.token}`) },
      { weight: op.dialect === 'zendesk' ? 3 : 0, arbitrary: fc.constant(a.basic) },
    );
  };

  /** Path parameter text: a valid (hinted) value percent-encoded, or (bad) random text and raw oddities. */
  const pathValue = (name: string, bad: boolean) =>
    bad
      ? fc.oneof(
          anyString(40).map(pct),
          fc.constantFrom(...INJECT_URL_PIECES),
          fc.integer({ min: 400, max: 700 }).map((n) => 'p'.repeat(n)),
          nastyString.map(pct),
        )
      : (hints(name) ?? fc.string({ minLength: 1, maxLength: 20 })).map((v) =>
          pct(typeof v === 'string' ? v : JSON.stringify(v)),
        );

  function bodyFor(op: Operation, bad: boolean): fc.Arbitrary<{ payload?: string; type?: string }> {
    const wantsBody = op.body !== undefined;
    if (!bad) {
      if (!wantsBody) return fc.constant({});
      return fc
        .tuple(fromSchema(op.body as JsonSchema, VALID), fc.constantFrom(...JSON_TYPES))
        .map(([v, type]) => ({ payload: JSON.stringify(v), type }));
    }
    const shaped = op.body ? fromSchema(op.body, CHAOS) : garbage;
    const text = fc.oneof(
      { weight: 6, arbitrary: shaped.map((v) => JSON.stringify(v) ?? 'null') },
      { weight: 1, arbitrary: garbage.map((v) => JSON.stringify(v) ?? 'null') },
      {
        weight: 2,
        arbitrary: fc
          .tuple(
            shaped.map((v) => JSON.stringify(v) ?? 'null'),
            fc.nat(),
            fc.constantFrom('', ',', '}', '\uFEFF', '\u0000', '{"a":1,"a":2}'),
          )
          .map(([t, cut, tail]) => t.slice(0, cut % (t.length + 1)) + tail),
      },
      { weight: 1, arbitrary: anyString(200) },
    );
    return fc.oneof(
      {
        weight: 6,
        arbitrary: fc
          .tuple(text, fc.constantFrom(...JSON_TYPES))
          .map(([payload, type]) => ({ payload, type })),
      },
      {
        weight: 2,
        arbitrary: fc
          .tuple(text, fc.constantFrom(...OTHER_TYPES))
          .map(([payload, type]) => (type ? { payload, type } : { payload })),
      },
      { weight: 1, arbitrary: fc.constant({}) },
    );
  }

  /**
   * Requests to `op`, three kinds mixed: valid in every part (most, so handlers run to the end),
   * exactly one part bad (a parameter, the body or the credential), and chaos in every part.
   */
  function requestsFor(op: Operation) {
    const params = pathParams(op.path);
    const query = op.params.filter((p) => p.in === 'query');
    const build = (gen: Gen, bad: { path?: number; query?: number; body?: boolean; credential?: boolean }) =>
      fc.record({
        method:
          op.method === 'GET' ? fc.constantFrom('GET', 'GET', 'GET', 'GET', 'HEAD') : fc.constant(op.method),
        path: fc
          .tuple(...params.map((n, i) => pathValue(n, bad.path === i || gen.chaos)))
          .map((values) =>
            op.path.replace(/:([A-Za-z_]\w*)/g, (_, n: string) => values[params.indexOf(n)] ?? ''),
          ),
        query: fc.tuple(
          ...query.map((p, i) =>
            bad.query === i
              ? fc.tuple(badValue(p.schema), fc.nat()).map((v) => v as [unknown, number] | null)
              : fc.oneof(
                  { weight: p.required ? 1 : 3, arbitrary: fc.constant(null) },
                  // Valid requests repeat a key for several values; chaos also tries `a=1,2` and `a[]=`.
                  {
                    weight: p.required ? 8 : 1,
                    arbitrary: fc.tuple(
                      fromSchema(p.schema, gen, p.name),
                      gen.chaos ? fc.nat() : fc.constant(0),
                    ),
                  },
                ),
          ),
        ),
        extra: gen.chaos
          ? fc.option(fc.tuple(anyString(12), fc.oneof(nastyString, anyString(20))), { freq: 4 })
          : fc.constant(null),
        raw: gen.chaos ? fc.option(fc.constantFrom(...RAW_URL_PIECES), { freq: 4 }) : fc.constant(null),
        body: bodyFor(op, bad.body === true || gen.chaos),
        authorization: bad.credential
          ? credentialFor(op, true)
          : gen.chaos
            ? fc.oneof(credentialFor(op, false), credentialFor(op, true))
            : credentialFor(op, false),
      });
    const oneBad = [
      ...params.map((_, i) => build(VALID, { path: i })),
      ...query.map((_, i) => build(VALID, { query: i })),
      ...(op.method === 'POST' ? [build(VALID, { body: true })] : []),
      build(VALID, { credential: true }),
    ];
    return fc.oneof(
      { weight: 6, arbitrary: build(VALID, {}) },
      { weight: 3, arbitrary: fc.oneof(...oneBad) },
      { weight: 1, arbitrary: build(CHAOS, {}) },
    );
  }

  type Request = ReturnType<typeof requestsFor> extends fc.Arbitrary<infer R> ? R : never;

  function urlOf(op: Operation, r: Request) {
    const query = op.params.filter((p) => p.in === 'query');
    const pairs: [string, string][] = [];
    r.query.forEach((given, i) => {
      const p = query[i];
      if (p && given) pairs.push(...queryPairs(p.name, given[0], given[1]));
    });
    if (r.extra) pairs.push([r.extra[0], r.extra[1]]);
    const search = pairs.map(([k, v]) => `${pct(k)}=${pct(v)}`);
    if (r.raw) search.push(`x=${r.raw}`);
    return search.length ? `${r.path}?${search.join('&')}` : r.path;
  }

  it('the envelope checkers accept each dialect’s envelope and reject every other', () => {
    const id = 'req-1';
    const samples: Record<Dialect, { status: number; body: unknown }> = {
      native: { status: 404, body: { error: { code: 'not_found', message: 'Not found.' }, request_id: id } },
      oauth: { status: 401, body: { error: 'invalid_client', error_description: 'Unknown client.' } },
      genesys: {
        status: 404,
        body: {
          message: 'Not found.',
          code: 'not.found',
          status: 404,
          contextId: id,
          details: [],
          errors: [],
        },
      },
      zendesk: { status: 404, body: { error: 'RecordNotFound', description: 'Not found' } },
      agilicus: { status: 404, body: { error_code: 'not_found', error_message: 'Not found.' } },
      liveperson: { status: 404, body: { errors: [{ message: 'Not found.' }] } },
    };
    const response = (status: number, body: unknown, headers: Record<string, string> = {}): WireResponse => ({
      statusCode: status,
      headers: {
        'content-type': 'application/json; charset=utf-8',
        'x-request-id': id,
        'www-authenticate': 'Bearer',
        ...headers,
      },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    for (const checker of DIALECTS) {
      for (const [dialect, sample] of Object.entries(samples)) {
        const problems = checkEnvelope(checker, response(sample.status, sample.body));
        if (dialect === checker) assert.deepEqual(problems, [], `${checker} accepts its own envelope`);
        else assert.notDeepEqual(problems, [], `${checker} rejects ${dialect}'s envelope`);
      }
      const own = samples[checker];
      for (const bad of [
        response(200, own.body),
        response(500, 'Internal Server Error'),
        response(own.status, own.body, { 'content-type': 'text/html' }),
        response(own.status, { ...(own.body as object), extra: 1 }),
        response(own.status, {
          error: 'Bad Request',
          code: 'FST_ERR_BAD_URL',
          message: 'x',
          statusCode: 400,
        }),
      ]) {
        assert.notDeepEqual(checkEnvelope(checker, bad), [], `${checker} rejects ${bad.body.slice(0, 60)}`);
      }
    }
    assert.notDeepEqual(
      checkEnvelope('native', response(404, { ...(samples.native.body as object), request_id: 'other' })),
      [],
      'native: request_id must be the x-request-id header',
    );
    assert.notDeepEqual(
      checkEnvelope('native', response(404, { error: { code: 'conflict', message: 'x' }, request_id: id })),
      [],
      'native: the code must have the status',
    );
    assert.notDeepEqual(
      checkEnvelope('native', response(401, samples.native.body, { 'www-authenticate': '' })),
      [],
    );
    const anonymous = response(404, samples.native.body);
    delete anonymous.headers['x-request-id'];
    assert.notDeepEqual(checkEnvelope('native', anonymous), [], 'every error carries the request id header');
    assert.notDeepEqual(
      checkEnvelope('genesys', response(400, samples.genesys.body)),
      [],
      'genesys: status mismatch',
    );
    assert.notDeepEqual(
      checkEnvelope('zendesk', response(401, samples.zendesk.body)),
      [],
      'zendesk: a 401 is bare',
    );
    const named = (field: string) => ({
      [field]: [{ description: `${field} is bad`, error: 'InvalidValue' }],
    });
    assert.deepEqual(
      checkEnvelope(
        'zendesk',
        response(400, { error: 'InvalidValue', description: 'x', details: named('page[size]') }),
      ),
      [],
    );
    assert.notDeepEqual(
      checkEnvelope(
        'zendesk',
        response(400, { error: 'InvalidValue', description: 'x', details: named('["page[size]"]') }),
      ),
      [],
      'zendesk: details name parameters as sent',
    );
  });

  it('ingest: events from the event schema, mutated at every level, as JSON, batches and NDJSON', async () => {
    const op = ops.find((o) => o.method === 'POST' && o.path === '/v1/events');
    assert.ok(op?.body, 'the ingest route documents its body');
    const eventSchema = ((op.body.anyOf as JsonSchema[])[0] ?? {}) as JsonSchema;
    const ingestHints: Hints = (name) =>
      name === 'occurred_at'
        ? fc.oneof({ weight: 4, arbitrary: isoTime }, fc.constantFrom(...TIMES))
        : name === 'id'
          ? fc.oneof(
              fc.constantFrom(...a.eventIds, 'fuzz-1', 'fuzz-2'),
              fc.string({ minLength: 1, maxLength: 10 }),
            )
          : name === 'ip'
            ? fc.constantFrom(
                ['203.0.113.7'],
                ['::1', '10.0.0.1'],
                ['not-an-ip'],
                ['1.2.3.256'],
                ['fe80::1%eth0'],
              )
            : hints(name);
    const one = fc.oneof(
      fromSchema(eventSchema, { ...VALID, hints: ingestHints }),
      fromSchema(eventSchema, { ...CHAOS, hints: ingestHints }),
    );
    const arb = fc.record({
      form: fc.constantFrom('one', 'batch', 'ndjson', 'ndjson', 'batch-garbage'),
      events: fc.array(one, { minLength: 1, maxLength: 3 }),
      big: fc.option(fc.constantFrom(70_000, 9000, 66_000), { freq: 20 }),
      deep: fc.option(deepValue, { freq: 20 }),
    });
    cases += await fuzz('ingest events', SHARE.ingestEvents, 1, arb, async ({ form, events, big, deep }) => {
      const list = events.map((e) =>
        typeof e === 'object' && e !== null && !Array.isArray(e)
          ? { ...e, ...(big ? { description: 'd'.repeat(big) } : {}), ...(deep ? { context: deep } : {}) }
          : e,
      );
      const before = await count(WRITER);
      const [payload, type] =
        form === 'one'
          ? [JSON.stringify(list[0]), 'application/json']
          : form === 'ndjson'
            ? [list.map((e) => JSON.stringify(e)).join('\n'), 'application/x-ndjson']
            : form === 'batch'
              ? [JSON.stringify({ events: list }), 'application/json']
              : [JSON.stringify({ events: list[0] }), 'application/json'];
      const res = await send({
        method: 'POST',
        url: '/v1/events',
        payload,
        headers: { authorization: `Bearer ${writer}`, 'content-type': type },
      });
      const after = await count(WRITER);
      if (res.statusCode < 300) {
        const body = res.json<{ accepted: number; duplicates: number }>();
        assert.equal(body.accepted, form === 'one' ? 1 : list.length);
        assert.equal(
          after,
          before + body.accepted - body.duplicates,
          'every acknowledged new event is stored',
        );
      } else {
        assert.equal(after, before, `a rejected ingest stores nothing: ${res.body.slice(0, 200)}`);
      }
    });
  });

  it('ingest: arbitrary bodies and content types store nothing unless valid', async () => {
    const arb = fc.record({
      body: fc.oneof(
        garbage.map((v) => JSON.stringify(v) ?? ''),
        anyString(300),
        fc.constantFrom(
          '',
          '{',
          '[]',
          '{"events":[]}',
          '{"events":{}}',
          '{"events":null}',
          `{"events":[${Array.from({ length: 1001 }, () => '{}').join(',')}]}`,
          '{"__proto__":{"admin":true},"occurred_at":"2026-01-01T00:00:00Z","action":"x"}',
          '{"constructor":{"prototype":{"x":1}},"occurred_at":"2026-01-01T00:00:00Z","action":"x"}',
          '\n\n\n',
          '{}\n{',
          `${JSON.stringify(event())}\n${'['.repeat(5000)}`,
          `${'['.repeat(100_000)}${']'.repeat(100_000)}`,
          `${'{"a":'.repeat(50_000)}1${'}'.repeat(50_000)}`,
        ),
      ),
      type: fc.constantFrom(...JSON_TYPES, ...OTHER_TYPES, 'application/x-ndjson'),
    });
    cases += await fuzz('ingest bodies', SHARE.ingestBodies, 2, arb, async ({ body, type }) => {
      const before = await count(WRITER);
      const res = await send({
        method: 'POST',
        url: '/v1/events',
        payload: body,
        headers: { authorization: `Bearer ${writer}`, ...(type ? { 'content-type': type } : {}) },
      });
      const after = await count(WRITER);
      if (res.statusCode >= 300) assert.equal(after, before, 'a rejected ingest stores nothing');
    });
  });

  it('every route of every dialect: parameters and bodies from its own schema', async (ctx) => {
    assert.ok(ops.length >= 30, `the OpenAPI document lists the routes (${ops.length})`);
    /** Per route: how many cases it answered with a success and with an error. */
    const answered = new Map(ops.map((op) => [routeKey(op), { ok: 0, error: 0 }]));
    const byKey = new Map(ops.map((op) => [routeKey(op), op]));
    const arb = fc.oneof(...ops.map((op) => requestsFor(op).map((r) => ({ route: routeKey(op), r }))));
    cases += await fuzz('routes', SHARE.routes, 3, arb, async ({ route, r }) => {
      const op = byKey.get(route) as Operation;
      const url = urlOf(op, r);
      const res = await send({
        method: r.method as 'GET',
        url,
        headers: {
          ...(r.authorization ? { authorization: r.authorization } : {}),
          ...(r.body.type ? { 'content-type': r.body.type } : {}),
        },
        ...(r.body.payload !== undefined && r.method !== 'GET' && r.method !== 'HEAD'
          ? { payload: r.body.payload }
          : {}),
      });
      const tally = answered.get(route) as { ok: number; error: number };
      if (res.statusCode < 400) tally.ok++;
      else tally.error++;
    });
    for (const [route, { ok, error }] of answered) {
      ctx.diagnostic(`${route}: ${ok} answered, ${error} refused`);
      assert.ok(ok + error > 0, `${route} was fuzzed`);
    }
  });

  it('LivePerson: generated GraphQL documents, variables and operation names', async () => {
    // The product's own lists: every selectable field is also a column (changeTimestamp only a column).
    const columns = [...COLUMNS, 'nope'];
    const fields = [...COLUMNS.filter((c) => c !== 'changeTimestamp'), '__typename', 'nope'];
    const literal: fc.Arbitrary<string> = fc.letrec<{ v: string }>((tie) => ({
      v: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        fc.oneof(fc.string(), nastyString, fc.constantFrom(...TIMES)).map((s) => JSON.stringify(s)),
        fc.integer().map(String),
        fc.constantFrom(
          '1e400',
          '-1',
          '0',
          '2147483648',
          '1.5',
          'true',
          'false',
          'null',
          'ASC',
          'DESC',
          'changeTimestamp',
          '$v',
          '""',
          '"\\uD800"',
        ),
        fc.array(tie('v'), { maxLength: 3 }).map((l) => `[${l.join(', ')}]`),
        fc.constantFrom(...columns),
      ),
    })).v;
    const args = fc.dictionary(
      fc.constantFrom(
        'fromDate',
        'toDate',
        'first',
        'offset',
        'orderBy',
        'orderDirection',
        'users',
        'componentTypes',
        'language',
        'timezone',
        'lpa',
        'automaticUpdates',
        'nope',
      ),
      literal,
      { maxKeys: 5 },
    );
    const selection = fc.array(
      fc
        .tuple(fc.constantFrom(...fields), fc.option(fc.constantFrom('a', 'b', 'x1'), { freq: 5 }))
        .map(([f, alias]) => (alias ? `${alias}: ${f}` : f)),
      { maxLength: 6 },
    );
    const document = fc
      .tuple(
        args,
        selection,
        fc.nat(9),
        fc.option(fc.nat(), { freq: 6 }),
        fc.constantFrom('', '', '', 'x', '}', '{', '#', '\u0000', '"'),
      )
      .map(([argMap, sel, shape, cut, tail]) => {
        const argText = Object.entries(argMap)
          .map(([k, v]) => `${k}: ${v}`)
          .join(', ');
        const field = `auditData${argText ? `(${argText})` : ''} { ${sel.join(' ')} }`;
        const doc = [
          `{ ${field} }`,
          `query Q { ${field} }`,
          `query Q($v: Int, $s: String) { ${field} }`,
          `{ ...F } fragment F on Query { ${field} }`,
          `{ a: ${field} b: ${field} }`,
          `{ ${field} __typename }`,
          `mutation { ${field} }`,
          `{ ${field} @include(if: true) }`,
          `{ __schema { types { name fields { name } } } }`,
          `query A { ${field} } query B { ${field} }`,
        ][shape] as string;
        return (cut === null ? doc : doc.slice(0, cut % (doc.length + 1))) + tail;
      });
    const arb = fc.record({
      query: fc.oneof({ weight: 9, arbitrary: document }, { weight: 1, arbitrary: garbage }),
      variables: fc.option(fc.oneof(fc.record({ v: garbage, s: garbage }, { requiredKeys: [] }), garbage), {
        freq: 3,
      }),
      operationName: fc.option(fc.oneof(fc.constantFrom('Q', 'A', 'B', 'nope'), garbage), { freq: 4 }),
      account: fc.constantFrom(a.tenant, a.tenant, a.tenant, a.tenant, b.tenant, 'nope', pct('a/b')),
    });
    cases += await fuzz(
      'graphql',
      SHARE.graphql,
      4,
      arb,
      async ({ query, variables, operationName, account }) => {
        await send({
          method: 'POST',
          url: `/api/account/${account}/configuration/metadata/audit`,
          headers: { authorization: `Bearer ${a.key}`, 'content-type': 'application/json' },
          payload: JSON.stringify({
            query,
            ...(variables !== null ? { variables } : {}),
            ...(operationName !== null ? { operationName } : {}),
          }),
        });
      },
    );
  });

  it('LivePerson: aliases, fragments, long lists and many keys', async () => {
    const fields = [...COLUMNS.filter((c) => c !== 'changeTimestamp'), '__typename'];
    const firsts = [0, 1, 50, 312, 313, 1000, 1001, -1, 2147483647];
    const word = fc.oneof(
      { weight: 3, arbitrary: fc.constantFrom(a.values.actor, a.values.targetType, b.values.actor, 'u1') },
      { weight: 1, arbitrary: nastyString },
      { weight: 1, arbitrary: anyString(12) },
    );
    /** An argument given as a literal, as a variable, or not at all. */
    const given = <T>(value: fc.Arbitrary<T>) =>
      fc.oneof(
        fc.constant({ how: 'none' as const }),
        value.map((v) => ({ how: 'literal' as const, v })),
        value.map((v) => ({ how: 'variable' as const, v })),
      );
    const arb = fc.record({
      selection: graphqlSelection('AuditData', fields),
      first: given(fc.oneof(fc.constantFrom(...firsts), fc.nat(2000))),
      // Literal lists past 2,000 tokens are a syntax error; variables take any length.
      users: given(bigArray(word, 1500)),
      componentTypes: given(bigArray(word, 3000)),
      // Through a Query fragment, twice under one key (merged), twice under two, or once.
      shape: fc.nat(3),
      // Light values: the point is the number of keys.
      extra: fc.option(manyKeys(fc.oneof(nastyString, fc.jsonValue({ maxDepth: 1 })), 3000), { freq: 2 }),
      operationName: fc.constantFrom(undefined, undefined, undefined, 'Q', 'Q', 'nope'),
    });
    const TYPES = { first: 'Int', users: '[String!]', componentTypes: '[String!]' };
    cases += await fuzz('graphql shapes', SHARE.graphqlShapes, 7, arb, async (c) => {
      const args: string[] = [];
      const definitions: string[] = [];
      const variables: Record<string, unknown> = { ...c.extra };
      for (const name of ['first', 'users', 'componentTypes'] as const) {
        const arg = c[name];
        if (arg.how === 'literal') args.push(`${name}: ${JSON.stringify(arg.v)}`);
        if (arg.how === 'variable') {
          args.push(`${name}: $${name}`);
          definitions.push(`$${name}: ${TYPES[name]}`);
          variables[name] = arg.v;
        }
      }
      const field = `auditData${args.length ? `(${args.join(', ')})` : ''} { ${c.selection.selection} }`;
      const body = [
        `{ ...Root } fragment Root on Query { ${field} }`,
        `{ ${field} ${field} }`,
        `{ r: ${field} s: ${field} }`,
        `{ ${field} }`,
      ][c.shape] as string;
      const head = definitions.length ? `query Q(${definitions.join(', ')})` : 'query Q';
      const res = await send({
        method: 'POST',
        url: `/api/account/${a.tenant}/configuration/metadata/audit`,
        headers: { authorization: `Bearer ${a.key}`, 'content-type': 'application/json' },
        payload: JSON.stringify({
          query: `${head} ${body} ${c.selection.fragments}`,
          variables,
          ...(c.operationName ? { operationName: c.operationName } : {}),
        }),
      });
      if (res.statusCode === 200) {
        assert.ok(res.rawPayload.length <= t.config.TRAILKEEP_ANSWER_BYTES, 'the answer is within its bytes');
        const data = res.json<{ data: Record<string, unknown[]> }>().data;
        for (const rows of Object.values(data)) assert.ok(rows.length <= 1000, 'at most 1,000 rows');
      } else {
        // Refused as the query's fault (or the body's size), never as the server's.
        assert.ok([400, 413].includes(res.statusCode), `${res.statusCode} ${res.body.slice(0, 300)}`);
      }
    });
  });

  it('unknown paths, methods and broken URLs under every prefix answer in that prefix’s envelope', async () => {
    const prefixes = [
      '',
      '/v1',
      '/v1/events',
      '/v1/audits',
      '/oauth',
      '/oauth/token',
      '/api',
      '/api/v2',
      '/api/v2/audits',
      '/api/v2/audits/query',
      '/api/v2/audit_logs',
      '/api/account',
      '/api/account/fuzz-a',
      '/docs',
      '/healthz',
    ];
    const arb = fc.record({
      method: fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD'),
      prefix: fc.constantFrom(...prefixes),
      segments: fc.array(
        fc.oneof(
          fc.string({ maxLength: 12 }).map(pct),
          fc.constantFrom(...INJECT_URL_PIECES),
          fc.constantFrom('audits', 'query', 'events', 'x.json', '1', 'configuration', 'metadata'),
        ),
        { maxLength: 4 },
      ),
      slash: fc.boolean(),
      authorization: fc.constantFrom(`Bearer ${a.key}`, a.basic, undefined),
    });
    cases += await fuzz(
      'paths',
      SHARE.paths,
      5,
      arb,
      async ({ method, prefix, segments, slash, authorization }) => {
        const url = `${prefix}/${segments.join('/')}${slash ? '/' : ''}`.replace(/^\/\//, '/');
        await send({
          method: method as 'GET',
          url,
          headers: authorization ? { authorization } : {},
          ...(method === 'POST' || method === 'PUT'
            ? {
                payload: '{}',
                headers: { ...(authorization ? { authorization } : {}), 'content-type': 'application/json' },
              }
            : {}),
        });
      },
    );
  });

  describe('over a real socket', () => {
    let port: number;
    before(async () => {
      await t.app.listen({ port: 0, host: '127.0.0.1' });
      port = (t.app.server.address() as AddressInfo).port;
    });

    const raw = async (
      method: string,
      path: string,
      headers: Record<string, string | Buffer>,
      body?: Buffer,
    ) => {
      const res = await rawRequest(port, requestBytes(method, path, headers, body));
      check(
        method,
        path,
        res,
        `${path} ${JSON.stringify(headers)} ${body?.toString('latin1').slice(0, 10_000) ?? ''}`,
      );
      return res;
    };

    const INVALID_UTF8 = [
      [0xff],
      [0xfe, 0xff],
      [0xc0, 0x80],
      [0xed, 0xa0, 0x80],
      [0x80],
      [0xe2, 0x82],
      [0xf8, 0x88, 0x80, 0x80, 0x80],
      [0xf4, 0x90, 0x80, 0x80],
    ];

    it('invalid UTF-8 in bodies: every JSON route answers in its envelope; ingest stores nothing', async () => {
      const posts = ops.filter((o) => o.method === 'POST');
      const arb = fc.record({
        route: fc.constantFrom(...posts.map(routeKey)),
        bad: fc.constantFrom(...INVALID_UTF8),
        before: fc.string({ maxLength: 5 }),
      });
      cases += await fuzz('invalid utf-8', SHARE.socket / 3, 6, arb, async ({ route, bad, before }) => {
        const op = posts.find((o) => routeKey(o) === route) as Operation;
        const marker = '@@BAD@@';
        const sample: Record<string, unknown> =
          op.path === '/v1/events'
            ? event({ action: `${before}${marker}` })
            : op.path.startsWith('/api/account')
              ? { query: `{ auditData(users: ["${marker}"]) { accountId } }` }
              : op.path === '/api/v2/audits/query/realtime/related'
                ? { auditId: `${before}${marker}` }
                : {
                    interval: `${before}${marker}`,
                    format: 'csv',
                    id: `t${marker}`,
                    name: marker,
                    scopes: ['events:read'],
                  };
        const text = Buffer.from(JSON.stringify(sample));
        const at = text.indexOf(marker);
        const body = Buffer.concat([
          text.subarray(0, at),
          Buffer.from(bad),
          text.subarray(at + marker.length),
        ]);
        const path = op.path.replace(/:([A-Za-z_]\w*)/g, (_, n: string) =>
          n === 'accountId' ? a.tenant : n === 'tenant' ? a.tenant : 'x',
        );
        const authorization = path.startsWith('/v1/tenants') ? `Bearer ${ADMIN_TOKEN}` : `Bearer ${a.key}`;
        const stored = await count(a.tenant);
        const res = await raw('POST', path, { authorization, 'content-type': 'application/json' }, body);
        if (op.path === '/v1/events') {
          assert.equal(res.statusCode, 400, `invalid UTF-8 is rejected: ${res.body}`);
          assert.equal(await count(a.tenant), stored, 'and nothing is stored');
        }
      });
    });

    it('raw duplicate keys: the last one wins, deterministically', async () => {
      const arb = fc.tuple(
        fc.string({ minLength: 1, maxLength: 20 }),
        fc.string({ minLength: 1, maxLength: 20 }),
      );
      cases += await fuzz('duplicate keys', SHARE.socket / 3, 7, arb, async ([first, second]) => {
        const body = Buffer.from(
          `{"occurred_at":"2026-03-01T12:00:00Z","action":${JSON.stringify(first)},"action":${JSON.stringify(second)}}`,
        );
        const res = await raw(
          'POST',
          '/v1/events',
          { authorization: `Bearer ${a.key}`, 'content-type': 'application/json' },
          body,
        );
        if (res.statusCode < 300) {
          const id = (JSON.parse(res.body) as { events: { id: string }[] }).events[0]?.id as string;
          const stored = await t.call(a.key, { method: 'GET', url: `/v1/events/${encodeURIComponent(id)}` });
          assert.equal(stored.json<{ action: string }>().action, second);
        }
        const genesys = Buffer.from(
          `{"interval":"2026-03-01T00:00:00Z/2026-03-02T00:00:00Z","interval":${JSON.stringify(first)}}`,
        );
        await raw(
          'POST',
          '/api/v2/audits/query',
          { authorization: `Bearer ${a.key}`, 'content-type': 'application/json' },
          genesys,
        );
      });
    });

    it('oversized bodies are 413 in the route’s envelope, and nothing is stored', async () => {
      const posts = ops.filter((o) => o.method === 'POST');
      const big = Buffer.alloc(JSON_BODY_LIMIT + 1, 'x');
      big.write('{"x":"', 0);
      big.write('"}', big.length - 2);
      const stored = await count(a.tenant);
      for (const op of posts) {
        const path = op.path.replace(/:([A-Za-z_]\w*)/g, (_, n: string) =>
          n === 'accountId' || n === 'tenant' ? a.tenant : 'x',
        );
        const authorization = path.startsWith('/v1/tenants') ? `Bearer ${ADMIN_TOKEN}` : `Bearer ${a.key}`;
        const res = await raw('POST', path, { authorization, 'content-type': 'application/json' }, big);
        assert.equal(res.statusCode, 413, `POST ${path}: ${res.statusCode} ${res.body.slice(0, 200)}`);
        // Announced but never sent: refused from the header alone.
        const announced = await raw('POST', path, {
          authorization,
          'content-type': 'application/json',
          'content-length': String(JSON_BODY_LIMIT * 4),
        });
        assert.equal(announced.statusCode, 413, `POST ${path} (announced): ${announced.statusCode}`);
        cases += 2;
      }
      const ndjson = Buffer.alloc(NDJSON_BODY_LIMIT + 1, '\n');
      const res = await raw(
        'POST',
        '/v1/events',
        { authorization: `Bearer ${a.key}`, 'content-type': 'application/x-ndjson' },
        ndjson,
      );
      assert.equal(res.statusCode, 413);
      const anonymous = await raw('POST', '/v1/events', { 'content-type': 'application/json' }, big);
      assert.equal(anonymous.statusCode, 401, 'no credential: refused before the body is read');
      cases += 2;
      assert.equal(await count(a.tenant), stored);
    });

    it('odd Host headers never break absolute links; malformed HTTP is refused without harm', async () => {
      const host = fc
        .uint8Array({ minLength: 1, maxLength: 40 })
        .map((bytes) => Buffer.from(bytes.map((c) => (c < 0x21 || c === 0x7f ? 0x61 : c))));
      const arb = fc.record({
        host,
        path: fc.constantFrom(
          '/api/v2/audit_logs?page[size]=1',
          '/api/v2/audit_logs?per_page=1',
          `/v1/exports/${a.exportJob}`,
          `/api/v2/audits/query/${a.genesysJob}/results?allowRedirect=true`,
          '/api/v2/audit_logs/1.json',
        ),
      });
      cases += await fuzz('host headers', SHARE.socket / 3, 8, arb, async ({ host, path }) => {
        const authorization = path.startsWith('/api/v2/audit_logs') ? a.basic : `Bearer ${a.key}`;
        await raw('GET', path, { host, authorization });
      });
      for (const bytes of [
        'GET /v1/events HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n',
        'GET /v1/events HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\n',
        'POST /v1/events HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
        'GET /v1/events\u0000 HTTP/1.1\r\nHost: x\r\n\r\n',
        'GET /v1/events HTTP/1.1\r\nHost: x\r\nX: a\u0000b\r\n\r\n',
        `GET /v1/events?${'a'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`,
        `GET /v1/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${'a'.repeat(20_000)}\r\n\r\n`,
        'BREW /v1/events HTTP/1.1\r\nHost: x\r\n\r\n',
        'GET /v1/events HTTP/9.9\r\nHost: x\r\n\r\n',
      ]) {
        const res = await rawRequest(port, Buffer.from(bytes, 'latin1'));
        assert.ok(
          res.statusCode >= 400 && res.statusCode < 500,
          `${JSON.stringify(bytes.slice(0, 60))}: ${res.statusCode}`,
        );
        cases++;
      }
      for (const path of [
        '/api/account/%2e%2e',
        '/api/v2/audits/..%2f..%2fv1/events',
        '/v1/events/%2e%2e',
        '//v1/events',
        '/api/v2//audit_logs',
      ]) {
        await raw('GET', path, { authorization: `Bearer ${a.key}` });
        cases++;
      }
      const health = await rawRequest(port, requestBytes('GET', '/healthz', {}));
      assert.equal(health.statusCode, 200, 'the server is still up');
    });
  });

  it(`ran at least FUZZ_RUNS cases, every job they started ended well, and the server is healthy`, async () => {
    assert.ok(cases >= FUZZ_RUNS * 0.99, `${cases} cases for FUZZ_RUNS=${FUZZ_RUNS}`);
    const ended = await until(async () => {
      const all = await Promise.all([...jobs].map((id) => t.services.store.jobs.get(a.tenant, id)));
      return all.every((j) => j && ['succeeded', 'failed', 'cancelled'].includes(j.state)) ? all : null;
    }, 120_000);
    for (const job of ended) {
      assert.notEqual(
        job?.state,
        'failed',
        `job ${job?.id} (${JSON.stringify(job?.params)}) failed: ${job?.error}`,
      );
    }
    assert.equal((await t.app.inject({ method: 'GET', url: '/readyz' })).statusCode, 200);
  });
});
