// @engines sqlite postgres
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { leafHash } from '../../src/core/log/merkle.js';
import { ADMIN_TOKEN, event, startTestApp, type TestApp } from '../helpers/app.js';
import { type Dialect, dialectOf } from '../helpers/envelopes.js';
import { DAY, HOUR, interval } from '../helpers/intervals.js';
import { ingest, type JobJson, parseCsv, settled, until } from '../helpers/jobs.js';
import { assertSafe, checkedClient } from '../helpers/requests.js';
import { fillPath, pathParams, type Route, routeKey, routesOf } from '../helpers/routes.js';
import { FIXTURE_ENV, HIDDEN, seedTwoTenants, type TenantFixture } from '../helpers/tenants.js';

/**
 * Tenant isolation, route by route, generated from the app's own route table: every route is
 * either probed here with tenant A's credentials against tenant B's ids, cursors, job ids,
 * download links and filter values (answer: 400 or 404 in the dialect's envelope, or an empty
 * result; never B's data), or listed as tenant-free with the reason. A route that is neither
 * fails the first test, so a new route cannot skip isolation.
 */

/** Routes that hold no tenant data, and why. */
const TENANT_FREE: Record<string, string> = {
  'GET /healthz': 'liveness: a constant',
  'GET /readyz': 'readiness of the store: a constant',
  'GET /metrics': 'process and HTTP metrics labelled by method, route pattern and status only',
  'GET /openapi.json': 'the API description',
  'GET /openapi/:dialect.json': 'the API description of one dialect',
  'GET /docs': 'Swagger UI: static pages and the API description',
  'GET /docs/static/index.html': 'Swagger UI: static pages and the API description',
  'GET /docs/static/swagger-initializer.js': 'Swagger UI: static pages and the API description',
  'GET /docs/static/*': 'Swagger UI: static pages and the API description',
  'GET /docs/json': 'Swagger UI: static pages and the API description',
  'GET /docs/yaml': 'Swagger UI: static pages and the API description',
  // The viewer's static files: the page and the element hold no data; they read the API with
  // the credential their user gives them, and those routes are probed here like any client's.
  'GET /': 'redirects to the viewer',
  'GET /viewer': 'the viewer page (static; the router ignores the trailing slash of /viewer/)',
  'GET /viewer/*': 'the viewer’s static files',
  'POST /oauth/token':
    "exchanges a client's own id and secret for a token of the client's tenant; returns no tenant data",
  'POST /v1/tenants': 'admin token only (a tenant credential is refused, checked below); creates a tenant',
  'GET /v1/tenants': 'admin token only (a tenant credential is refused, checked below); lists tenant ids',
  'POST /v1/keys':
    'admin token only (a tenant credential is refused, checked below); creates an operator key',
  'GET /v1/keys': 'admin token only (a tenant credential is refused, checked below); lists operator keys',
  'DELETE /v1/keys/:id': 'admin token only (a tenant credential is refused, checked below); revokes one',
  'OPTIONS *': 'CORS preflights of every other path: headers only, no body',
  // One preflight route per path of the routes open to viewer tokens (VIEWER_ROUTES).
  ...Object.fromEntries(
    [
      '/v1/events',
      '/v1/events/count',
      '/v1/events/:id',
      '/v1/events/stream',
      '/v1/exports',
      '/v1/exports/:id',
      '/v1/exports/:id/download',
      '/v1/log/key',
      '/v1/log/checkpoint',
      '/v1/log/inclusion',
    ].map((path) => [`OPTIONS ${path}`, 'the CORS preflight of a viewer route: headers only, no body']),
  ),
};

/**
 * The routes open to viewer tokens (docs/embedding.md), written here apart from src/: every
 * other route must refuse one (checked below), and these read only within its filters
 * (test/http/viewer-tokens.test.ts).
 */
const VIEWER_ROUTES = [
  'GET /v1/events',
  'GET /v1/events/count',
  'GET /v1/events/:id',
  'GET /v1/events/stream',
  'POST /v1/exports',
  'GET /v1/exports/:id',
  'GET /v1/exports/:id/download',
  'GET /v1/log/key',
  'GET /v1/log/checkpoint',
  'GET /v1/log/inclusion',
];

/** Routes that take no bearer credential, where a viewer token is as good as none, and why. */
const NO_BEARER: Record<string, string> = {
  'GET /healthz': 'public',
  'GET /readyz': 'public',
  'GET /metrics': 'public',
  'GET /openapi.json': 'public',
  'GET /openapi/:dialect.json': 'public',
  'GET /docs': 'public',
  'GET /docs/static/index.html': 'public',
  'GET /docs/static/swagger-initializer.js': 'public',
  'GET /docs/static/*': 'public',
  'GET /docs/json': 'public',
  'GET /docs/yaml': 'public',
  'GET /': 'public: redirects to the viewer',
  'GET /viewer': 'public: the viewer page, which holds no data',
  'GET /viewer/*': 'public: the viewer’s static files',
  'POST /oauth/token': 'authenticates the client id and secret in its body',
  'GET /api/v2/audits/query/:transactionId/download':
    'opened by its presigned link, never a bearer credential',
};

describe('tenant isolation', () => {
  let t: TestApp;
  let a: TenantFixture;
  let b: TenantFixture;
  /** Hashes of B's events: values no request carries, so finding one in a response is a leak. */
  let bHashes: string[];

  before(async () => {
    t = await startTestApp(FIXTURE_ENV);
    ({ a, b } = await seedTwoTenants(t, 'iso'));
    const page = await t.call(b.key, { method: 'GET', url: '/v1/events?limit=1000' });
    bHashes = page.json<{ data: { hash: string }[] }>().data.map((e) => e.hash);
    assert.equal(bHashes.length, b.eventIds.length);
  });
  after(async () => {
    await t?.close();
  });

  /** A's credentials as each dialect takes them. */
  const credentials = (dialect: Dialect): string[] => [
    `Bearer ${a.key}`,
    `Bearer ${a.token}`,
    ...(dialect === 'zendesk' ? [a.basic] : []),
  ];

  /** Fails when `res` carries anything of B's events. */
  function noLeak(res: LightMyRequestResponse, what: string) {
    const text = `${res.body} ${JSON.stringify(res.headers)}`;
    assert.ok(!text.includes(HIDDEN), `${what}: B's data in the response: ${res.body.slice(0, 300)}`);
    for (const h of bHashes) assert.ok(!text.includes(h), `${what}: B's event (hash ${h}) in the response`);
  }

  /** Requests checked for 5xx, envelopes and leaks (HIDDEN, B's hashes). */
  const client = () => checkedClient(t.app, HIDDEN, noLeak);
  const as: ReturnType<typeof checkedClient>['send'] = (...args) => client().send(...args);
  const expectStatus: ReturnType<typeof checkedClient>['expect'] = (...args) => client().expect(...args);

  /** Every credential of A, for a dialect. */
  async function eachA(dialect: Dialect, run: (auth: string) => Promise<void>) {
    for (const auth of credentials(dialect)) await run(auth);
  }

  const STREAM_SECRET = `whsec_${Buffer.alloc(32, 1).toString('base64')}`;
  let bStreamId: string | undefined;
  /** B's one stream, made (and paused, so it sends nothing) by the first probe that needs it. */
  const bStream = async (): Promise<string> => {
    if (bStreamId) return bStreamId;
    const made = await t.call(b.adminKey, {
      method: 'POST',
      url: '/v1/streams',
      payload: {
        name: 'b-siem',
        destination: { type: 'webhook', url: 'https://siem.example/b', secret: STREAM_SECRET },
      },
    });
    assert.equal(made.statusCode, 201, made.body);
    bStreamId = made.json<{ id: string }>().id;
    await t.call(b.adminKey, { method: 'POST', url: `/v1/streams/${bStreamId}/pause` });
    return bStreamId;
  };
  /** B's stream as its admin set it (what the worker writes, lease and last attempt, left out). */
  const streamOfB = async (id: string) => {
    const s = await t.services.store.streams.get(b.tenant, id);
    if (!s) return null;
    const {
      lease_owner: _o,
      lease_until: _u,
      last_error: _e,
      last_error_at: _a,
      next_attempt_at: _n,
      ...set
    } = s;
    return set;
  };

  /** Seqs B has and A does not (A's own seqs answer A's events). */
  const bOnlySeqs = async () => {
    const last = await t.services.store.events.lastSeq(a.tenant);
    const seqs = b.seqs.filter((s) => s > last);
    assert.ok(seqs.length > 0, 'B has seqs A lacks');
    return seqs;
  };

  /** Native list/count filters, each naming a value only B's events have. */
  const nativeFilters = () =>
    Object.entries({
      actor_id: b.values.actor,
      action: b.values.action,
      target_id: b.values.target,
      target_type: b.values.targetType,
      service: b.values.service,
      client_id: b.values.client,
      ip: b.values.ip,
      session_id: b.values.session,
      trace_id: b.values.trace,
      transaction_id: b.values.transaction,
      auth_event: b.values.authEvent,
      attribute_type: b.values.attribute,
    });

  /** A's answer to GET `path` (which may carry a query of its own) filtered by each of B's values in turn. */
  async function eachBFilter(
    auth: string,
    path: string,
    check: (res: LightMyRequestResponse, name: string) => void,
  ) {
    const join = path.includes('?') ? '&' : '?';
    for (const [name, value] of nativeFilters()) {
      check(
        await expectStatus([200], auth, 'GET', `${path}${join}${name}=${encodeURIComponent(value)}`),
        name,
      );
    }
  }

  /** A succeeded job of A's, created by `start` (a POST answering the job). */
  async function aJob(path: string, id: string) {
    const job = await settled(t, a.key, `${path}/${id}`);
    assert.equal(job.state, 'succeeded');
    return job;
  }

  /** A's log once its latest checkpoint covers all of A's events: the size, and A's event hashes by seq. */
  async function aLog(): Promise<{ size: number; hashes: string[] }> {
    const size = await t.services.store.events.lastSeq(a.tenant);
    await until(async () => (await t.services.store.log.latest(a.tenant))?.size === size, 10_000);
    const page = await t.call(a.key, { method: 'GET', url: '/v1/events?limit=1000&order=asc' });
    const events = page.json<{ data: { seq: number; hash: string }[] }>().data.sort((x, y) => x.seq - y.seq);
    assert.deepEqual(
      events.map((e) => e.seq),
      Array.from({ length: size }, (_, i) => i + 1),
    );
    return { size, hashes: events.map((e) => e.hash) };
  }

  const allBIds = () => [b.queryJob, b.exportJob, b.genesysJob, ...b.eventIds];

  /**
   * The matrix: per route, A against B. Keys are the routes as the router lists them; the
   * coverage test below fails for any route of the app that is in neither this nor TENANT_FREE.
   */
  const MATRIX: Record<string, () => Promise<void>> = {
    // --- native events ---
    'POST /v1/events': async () => {
      // The same client id in another tenant is another event: no 409, no duplicate, B's untouched.
      const id = 'iso-shared-id';
      const theirs = await t.call(b.key, {
        method: 'POST',
        url: '/v1/events',
        payload: event({ id, description: HIDDEN }),
      });
      bHashes.push(theirs.json<{ events: { hash: string }[] }>().events[0]?.hash as string);
      const before = await t.call(b.key, { method: 'GET', url: `/v1/events/${id}` });
      const res = await expectStatus(
        [201],
        `Bearer ${a.key}`,
        'POST',
        '/v1/events',
        event({ id, action: 'a.own' }),
      );
      assert.equal(res.json<{ duplicates: number }>().duplicates, 0);
      const mine = await expectStatus([200], `Bearer ${a.key}`, 'GET', `/v1/events/${id}`);
      assert.equal(mine.json<{ tenant: string }>().tenant, a.tenant);
      const after = await t.call(b.key, { method: 'GET', url: `/v1/events/${id}` });
      assert.equal(after.body, before.body, "B's event with that id is unchanged");
    },
    'GET /v1/events': async () => {
      await eachA('native', async (auth) => {
        await eachBFilter(auth, '/v1/events', (res, name) => {
          assert.deepEqual(res.json<{ data: unknown[] }>().data, [], `filter ${name}`);
        });
        for (const cursor of Object.values(b.cursors)) {
          await expectStatus([400], auth, 'GET', `/v1/events?cursor=${encodeURIComponent(cursor)}`);
        }
        const all = await expectStatus([200], auth, 'GET', '/v1/events?limit=1000');
        for (const e of all.json<{ data: { tenant: string }[] }>().data) assert.equal(e.tenant, a.tenant);
      });
    },
    'GET /v1/events/stream': async () => {
      // Bounded to A's seqs (min_seq 1, max_seq A's last), a live tail ends once sent: read whole.
      const last = await t.services.store.events.lastSeq(a.tenant);
      const range = `min_seq=1&max_seq=${last}`;
      const tenantsOf = (res: LightMyRequestResponse) =>
        res.body
          .split('\n')
          .filter((l) => l.startsWith('data: '))
          .map((l) => (JSON.parse(l.slice(6)) as { tenant: string }).tenant);
      await eachA('native', async (auth) => {
        await eachBFilter(auth, `/v1/events/stream?${range}`, (res, name) => {
          assert.deepEqual(tenantsOf(res), [], `filter ${name}`);
        });
        const all = await expectStatus([200], auth, 'GET', `/v1/events/stream?${range}`);
        assert.deepEqual(tenantsOf(all), new Array(last).fill(a.tenant), 'A’s events, each once');
        const headers = { authorization: auth };
        // B's seqs past A's last: resuming after one is past A's log, a 400; never B's events.
        for (const seq of await bOnlySeqs()) {
          const res = await t.app.inject({
            method: 'GET',
            url: `/v1/events/stream?${range}`,
            headers: { ...headers, 'last-event-id': String(seq) },
          });
          assertSafe('GET', '/v1/events/stream', res, HIDDEN);
          noLeak(res, `Last-Event-ID ${seq}`);
          assert.equal(res.statusCode, 400);
        }
        const naming = await t.app.inject({
          method: 'GET',
          url: `/v1/events/stream?${range}`,
          headers: { ...headers, 'trailkeep-tenant': b.tenant },
        });
        noLeak(naming, 'naming B');
        assert.equal(naming.statusCode, 403);
      });
    },
    'GET /v1/events/count': async () => {
      await eachA('native', async (auth) => {
        await eachBFilter(auth, '/v1/events/count', (res, name) => {
          assert.equal(res.json<{ count: number }>().count, 0, `filter ${name}`);
        });
      });
    },
    'GET /v1/events/:id': async () => {
      await eachA('native', async (auth) => {
        for (const id of b.eventIds) await expectStatus([404], auth, 'GET', `/v1/events/${id}`);
        for (const seq of await bOnlySeqs()) await expectStatus([404], auth, 'GET', `/v1/events/${seq}`);
        for (const seq of a.seqs) {
          const own = await expectStatus([200], auth, 'GET', `/v1/events/${seq}`);
          assert.equal(own.json<{ tenant: string }>().tenant, a.tenant, 'a shared seq is A’s own event');
        }
        await expectStatus([404], auth, 'HEAD', `/v1/events/${b.eventIds[0]}`);
      });
    },
    // --- native log: A's log holds A's events only, and knows no size or event of B's ---
    'GET /v1/log/key': async () => {
      await eachA('native', async (auth) => {
        const key = await expectStatus([200], auth, 'GET', '/v1/log/key');
        assert.equal(key.json<{ origin: string }>().origin, `trailkeep/${a.tenant}`);
      });
    },
    'GET /v1/log/checkpoint': async () => {
      const { size } = await aLog();
      await eachA('native', async (auth) => {
        const res = await expectStatus([200], auth, 'GET', '/v1/log/checkpoint');
        assert.ok(res.body.startsWith(`trailkeep/${a.tenant}\n${size}\n`), res.body);
      });
    },
    'GET /v1/log/checkpoints': async () => {
      await aLog();
      await eachA('native', async (auth) => {
        const res = await expectStatus([200], auth, 'GET', '/v1/log/checkpoints?limit=1000');
        const listed = res.json<{ checkpoints: { checkpoint: string }[] }>().checkpoints;
        assert.ok(listed.length > 0);
        for (const c of listed) assert.ok(c.checkpoint.startsWith(`trailkeep/${a.tenant}\n`));
      });
    },
    'GET /v1/log/tile/entries/*': async () => {
      const { size, hashes } = await aLog();
      await eachA('native', async (auth) => {
        const res = await expectStatus([200], auth, 'GET', `/v1/log/tile/entries/000.p/${size}`);
        const entries = Array.from({ length: size }, (_, i) =>
          res.rawPayload.subarray(i * 34 + 2, i * 34 + 34).toString('hex'),
        );
        assert.deepEqual(entries, hashes);
        for (const h of bHashes) assert.ok(!res.rawPayload.includes(Buffer.from(h, 'hex')), 'B’s entry');
        // B's log is longer; A's has nothing past its own size.
        await expectStatus([404], auth, 'GET', `/v1/log/tile/entries/000.p/${size + 1}`);
      });
    },
    'GET /v1/log/tile/*': async () => {
      const { size, hashes } = await aLog();
      await eachA('native', async (auth) => {
        const res = await expectStatus([200], auth, 'GET', `/v1/log/tile/0/000.p/${size}`);
        assert.deepEqual(
          Array.from({ length: size }, (_, i) =>
            res.rawPayload.subarray(i * 32, i * 32 + 32).toString('hex'),
          ),
          hashes.map((h) => leafHash(Buffer.from(h, 'hex')).toString('hex')),
        );
        await expectStatus([404], auth, 'GET', `/v1/log/tile/0/000.p/${size + 1}`);
      });
    },
    'GET /v1/log/inclusion': async () => {
      const { size } = await aLog();
      await eachA('native', async (auth) => {
        for (const id of b.eventIds) await expectStatus([404], auth, 'GET', `/v1/log/inclusion?id=${id}`);
        for (const seq of (await bOnlySeqs()).filter((s) => s > size)) {
          await expectStatus([400], auth, 'GET', `/v1/log/inclusion?seq=${seq}`);
        }
        await expectStatus([200], auth, 'GET', `/v1/log/inclusion?seq=${size}`);
      });
    },
    'GET /v1/log/consistency': async () => {
      const { size } = await aLog();
      await eachA('native', async (auth) => {
        await expectStatus([400], auth, 'GET', `/v1/log/consistency?from=1&to=${size + 1}`);
        await expectStatus([200], auth, 'GET', `/v1/log/consistency?from=1&to=${size}`);
      });
    },
    // --- native jobs ---
    'POST /v1/queries': async () => {
      for (const [name, value] of nativeFilters()) {
        const made = await expectStatus([202], `Bearer ${a.key}`, 'POST', '/v1/queries', {
          filters: { [name]: value },
        });
        const id = made.json<JobJson>().id;
        assert.equal((await aJob('/v1/queries', id)).rows, 0, `filter ${name}`);
        const results = await expectStatus([200], `Bearer ${a.key}`, 'GET', `/v1/queries/${id}/results`);
        assert.deepEqual(results.json<{ data: unknown[] }>().data, []);
      }
    },
    'GET /v1/queries/:id/results': async () => {
      await eachA('native', async (auth) => {
        for (const id of allBIds()) await expectStatus([404], auth, 'GET', `/v1/queries/${id}/results`);
        for (const cursor of Object.values(b.cursors)) {
          await expectStatus(
            [400],
            auth,
            'GET',
            `/v1/queries/${a.queryJob}/results?cursor=${encodeURIComponent(cursor)}`,
          );
        }
      });
    },
    'POST /v1/exports': async () => {
      const made = await expectStatus([202], `Bearer ${a.key}`, 'POST', '/v1/exports', {
        format: 'csv',
        filters: { actor_id: b.values.actor },
      });
      const id = made.json<JobJson>().id;
      assert.equal((await aJob('/v1/exports', id)).rows, 0);
      const file = await expectStatus([200], `Bearer ${a.key}`, 'GET', `/v1/exports/${id}/download`);
      assert.equal(parseCsv(file.body).length, 1, 'the header alone');
    },
    'GET /v1/exports/:id/download': async () => {
      await eachA('native', async (auth) => {
        for (const id of allBIds()) await expectStatus([404], auth, 'GET', `/v1/exports/${id}/download`);
        // B's download URL as the API gave it to B.
        await expectStatus([404], auth, 'GET', new URL(b.exportUrl).pathname);
      });
    },
    ...Object.fromEntries(
      (['queries', 'exports'] as const).flatMap((kind) => {
        const bJob = () => (kind === 'queries' ? b.queryJob : b.exportJob);
        return [
          [
            `GET /v1/${kind}/:id`,
            async () => {
              await eachA('native', async (auth) => {
                for (const id of allBIds()) await expectStatus([404], auth, 'GET', `/v1/${kind}/${id}`);
              });
            },
          ],
          [
            `DELETE /v1/${kind}/:id`,
            async () => {
              await eachA('native', async (auth) => {
                for (const id of allBIds()) await expectStatus([404], auth, 'DELETE', `/v1/${kind}/${id}`);
              });
              const still = await t.call(b.key, { method: 'GET', url: `/v1/${kind}/${bJob()}` });
              assert.equal(still.json<JobJson>().state, 'succeeded', "B's job is untouched");
            },
          ],
        ];
      }),
    ),
    // --- credentials of a tenant (tenant:admin) ---
    ...Object.fromEntries(
      (['keys', 'oauth-clients'] as const).flatMap((kind) => {
        const bId = () => (kind === 'keys' ? b.keyId : b.clientId);
        /** B's credential of this kind still works. */
        const bStillWorks = async () => {
          const auth = kind === 'keys' ? b.key : b.token;
          assert.equal((await t.call(auth, { method: 'GET', url: '/v1/events/count' })).statusCode, 200);
        };
        return [
          [
            `GET /v1/tenants/:tenant/${kind}`,
            async () => {
              for (const auth of [`Bearer ${a.adminKey}`, `Bearer ${a.key}`]) {
                await expectStatus([404], auth, 'GET', `/v1/tenants/${b.tenant}/${kind}`);
              }
              await expectStatus([403], `Bearer ${a.key}`, 'GET', `/v1/tenants/${a.tenant}/${kind}`);
              const own = await expectStatus(
                [200],
                `Bearer ${a.adminKey}`,
                'GET',
                `/v1/tenants/${a.tenant}/${kind}`,
              );
              assert.ok(!own.body.includes(bId()), "A's list does not show B's credential");
            },
          ],
          [
            `POST /v1/tenants/:tenant/${kind}`,
            async () => {
              const before = await t.call(ADMIN_TOKEN, {
                method: 'GET',
                url: `/v1/tenants/${b.tenant}/${kind}`,
              });
              for (const auth of [`Bearer ${a.adminKey}`, `Bearer ${a.key}`]) {
                await expectStatus([404], auth, 'POST', `/v1/tenants/${b.tenant}/${kind}`, {
                  name: 'intruder',
                  scopes: ['events:read'],
                });
              }
              const after = await t.call(ADMIN_TOKEN, {
                method: 'GET',
                url: `/v1/tenants/${b.tenant}/${kind}`,
              });
              assert.equal(after.body, before.body, 'no credential was made for B');
            },
          ],
          [
            `DELETE /v1/tenants/:tenant/${kind}/:id`,
            async () => {
              for (const auth of [`Bearer ${a.adminKey}`, `Bearer ${a.key}`]) {
                await expectStatus([404], auth, 'DELETE', `/v1/tenants/${b.tenant}/${kind}/${bId()}`);
              }
              // B's credential id under A's own tenant: not A's to revoke.
              await expectStatus(
                [404],
                `Bearer ${a.adminKey}`,
                'DELETE',
                `/v1/tenants/${a.tenant}/${kind}/${bId()}`,
              );
              await bStillWorks();
            },
          ],
        ];
      }),
    ),
    // --- viewer tokens and tenant settings ---
    'POST /v1/viewer-tokens': async () => {
      await eachA('native', async (auth) => {
        await expectStatus(
          [403],
          auth,
          'POST',
          '/v1/viewer-tokens',
          { actor: { id: 'x' } },
          {
            'trailkeep-tenant': b.tenant,
          },
        );
        const made = await expectStatus([201], auth, 'POST', '/v1/viewer-tokens', { actor: { id: 'x' } });
        const claims = JSON.parse(
          Buffer.from(made.json<{ token: string }>().token.split('.')[1] as string, 'base64url').toString(),
        ) as { tnt: string };
        assert.equal(claims.tnt, a.tenant);
      });
    },
    // --- streams to SIEMs: A's admin credential never reaches B's stream, by id or by naming B ---
    ...Object.fromEntries(
      (
        [
          ['GET', '/v1/streams/:id', ''],
          ['PATCH', '/v1/streams/:id', ''],
          ['DELETE', '/v1/streams/:id', ''],
          ['POST', '/v1/streams/:id/pause', '/pause'],
          ['POST', '/v1/streams/:id/resume', '/resume'],
          ['POST', '/v1/streams/:id/test', '/test'],
          ['POST', '/v1/streams/:id/replay', '/replay'],
          ['GET', '/v1/streams/:id/deliveries', '/deliveries'],
        ] as const
      ).map(([method, route, suffix]) => [
        `${method} ${route}`,
        async () => {
          const id = await bStream();
          const before = await streamOfB(id);
          const payload =
            method === 'PATCH'
              ? { name: 'intruder' }
              : suffix === '/replay'
                ? { from_seq: 1, to_seq: 1 }
                : undefined;
          for (const auth of [`Bearer ${a.adminKey}`]) {
            await expectStatus([404], auth, method, `/v1/streams/${id}${suffix}`, payload);
            await expectStatus([403], auth, method, `/v1/streams/${id}${suffix}`, payload, {
              'trailkeep-tenant': b.tenant,
            });
          }
          // Without tenant:admin, A's data credentials reach no stream at all, A's own included.
          await expectStatus([403], `Bearer ${a.key}`, method, `/v1/streams/${id}${suffix}`, payload);
          assert.deepEqual(await streamOfB(id), before, "B's stream is unchanged");
        },
      ]),
    ),
    ...Object.fromEntries(
      (['GET', 'POST'] as const).map((method) => [
        `${method} /v1/streams`,
        async () => {
          const id = await bStream();
          const payload =
            method === 'POST'
              ? {
                  name: 'a',
                  destination: { type: 'webhook', url: 'https://siem.example/a', secret: STREAM_SECRET },
                }
              : undefined;
          await expectStatus([403], `Bearer ${a.adminKey}`, method, '/v1/streams', payload, {
            'trailkeep-tenant': b.tenant,
          });
          await expectStatus([403], `Bearer ${a.key}`, method, '/v1/streams', payload);
          // A's own list shows none of B's. A stream is made by a tenant like A in its own tenant
          // (made in A, its recorded event would give A as many seqs as B for the viewer probes).
          const own = await expectStatus([200], `Bearer ${a.adminKey}`, 'GET', '/v1/streams');
          assert.ok(!own.body.includes(id), "A does not see B's stream");
          if (method === 'POST') {
            const other = await t.tenantWithKey('iso-streams-own', ['tenant:admin']);
            const made = await expectStatus([201], `Bearer ${other}`, 'POST', '/v1/streams', payload);
            const stored = await t.services.store.streams.get(
              'iso-streams-own',
              made.json<{ id: string }>().id,
            );
            assert.equal(stored?.tenant, 'iso-streams-own');
          }
          const listed = await t.services.store.streams.list(b.tenant);
          assert.deepEqual(
            listed.map((s) => s.id),
            [id],
            'nothing was made for B',
          );
        },
      ]),
    ),
    ...Object.fromEntries(
      (['GET', 'PATCH'] as const).map((method) => [
        `${method} /v1/tenants/:tenant`,
        async () => {
          const before = await t.call(ADMIN_TOKEN, { method: 'GET', url: `/v1/tenants/${b.tenant}` });
          const payload = method === 'PATCH' ? { record_viewer_reads: false, name: 'intruder' } : undefined;
          for (const auth of [`Bearer ${a.adminKey}`, `Bearer ${a.key}`, `Bearer ${a.token}`]) {
            await expectStatus([404], auth, method, `/v1/tenants/${b.tenant}`, payload);
          }
          const after = await t.call(ADMIN_TOKEN, { method: 'GET', url: `/v1/tenants/${b.tenant}` });
          assert.equal(after.body, before.body, "B's settings are untouched");
          const own = await expectStatus([200], `Bearer ${a.adminKey}`, 'GET', `/v1/tenants/${a.tenant}`);
          assert.equal(own.json<{ id: string }>().id, a.tenant);
        },
      ]),
    ),
    // --- Agilicus ---
    ...Object.fromEntries(
      (['audits', 'auth_audits'] as const).map((list) => [
        `GET /v1/${list}`,
        async () => {
          const filters =
            list === 'audits'
              ? {
                  user_id: b.values.actor,
                  action: b.values.action,
                  target_id: b.values.target,
                  api_name: b.values.service,
                  target_resource_type: b.values.targetType,
                  attribute_type: b.values.attribute,
                  org_id: b.tenant,
                }
              : {
                  user_id: b.values.actor,
                  session_id: b.values.session,
                  trace_id: b.values.trace,
                  source_ip: b.values.ip,
                  client_id: b.values.client,
                  event: b.values.authEvent,
                  event_name: b.values.action,
                  org_id: b.tenant,
                };
          await eachA('agilicus', async (auth) => {
            for (const [name, value] of Object.entries(filters)) {
              const res = await expectStatus(
                [200],
                auth,
                'GET',
                `/v1/${list}?${name}=${encodeURIComponent(value)}`,
              );
              assert.deepEqual(res.json<Record<string, unknown[]>>()[list], [], `filter ${name}`);
            }
            const all = await expectStatus([200], auth, 'GET', `/v1/${list}`);
            const rows = all.json<Record<string, { org_id: string }[]>>()[list] ?? [];
            assert.ok(rows.length > 0);
            for (const row of rows) assert.equal(row.org_id, a.tenant);
          });
        },
      ]),
    ),
    // --- Genesys ---
    'POST /api/v2/audits/query': async () => {
      const made = await expectStatus([200], `Bearer ${a.token}`, 'POST', '/api/v2/audits/query', {
        interval: interval(Date.now() - 30 * DAY, Date.now() + HOUR),
        serviceName: b.values.service,
      });
      const id = made.json<{ id: string }>().id;
      await until(
        async () =>
          (await as(`Bearer ${a.token}`, 'GET', `/api/v2/audits/query/${id}`)).json<{ state: string }>()
            .state === 'Succeeded',
      );
      const results = await expectStatus(
        [200],
        `Bearer ${a.token}`,
        'GET',
        `/api/v2/audits/query/${id}/results`,
      );
      assert.deepEqual(results.json<{ entities: unknown[] }>().entities, []);
    },
    'GET /api/v2/audits/query/:transactionId': async () => {
      await eachA('genesys', async (auth) => {
        for (const id of [b.genesysJob, b.queryJob, b.exportJob]) {
          await expectStatus([404], auth, 'GET', `/api/v2/audits/query/${id}`);
        }
      });
    },
    'GET /api/v2/audits/query/:transactionId/results': async () => {
      await eachA('genesys', async (auth) => {
        for (const id of [b.genesysJob, b.queryJob]) {
          await expectStatus([404], auth, 'GET', `/api/v2/audits/query/${id}/results`);
          await expectStatus([404], auth, 'GET', `/api/v2/audits/query/${id}/results?allowRedirect=true`);
        }
        for (const cursor of Object.values(b.cursors)) {
          await expectStatus(
            [400],
            auth,
            'GET',
            `/api/v2/audits/query/${a.genesysJob}/results?cursor=${encodeURIComponent(cursor)}`,
          );
        }
      });
    },
    'GET /api/v2/audits/query/:transactionId/download': async () => {
      const aToken = new URL(a.downloadUrl).searchParams.get('token') as string;
      // A's presigned link, pointed at B's job: the link is bound to A's job.
      await expectStatus([403], null, 'GET', `/api/v2/audits/query/${b.genesysJob}/download?token=${aToken}`);
      await expectStatus([403], null, 'GET', `/api/v2/audits/query/${b.queryJob}/download?token=${aToken}`);
      // A's bearer credentials do not open a download: only a link's token does.
      await eachA('genesys', async (auth) => {
        await expectStatus([401], auth, 'GET', `/api/v2/audits/query/${b.genesysJob}/download`);
      });
    },
    'POST /api/v2/audits/query/realtime': async () => {
      const recent = interval(Date.now() - 13 * DAY, Date.now() + HOUR);
      await eachA('genesys', async (auth) => {
        for (const [property, value] of [
          ['UserId', b.values.actor],
          ['Action', b.values.action],
          ['EntityType', b.values.targetType],
          ['EntityId', b.values.target],
          ['ClientId', b.values.client],
        ] as const) {
          const res = await expectStatus([200], auth, 'POST', '/api/v2/audits/query/realtime?expand=user', {
            interval: recent,
            filters: [{ property, value }],
          });
          assert.equal(res.json<{ total: number }>().total, 0, property);
        }
        const all = await expectStatus([200], auth, 'POST', '/api/v2/audits/query/realtime?expand=user', {
          interval: recent,
          pageSize: 500,
        });
        assert.ok(all.json<{ total: number }>().total > 0, "A's own audits are there");
      });
    },
    'POST /api/v2/audits/query/realtime/related': async () => {
      await eachA('genesys', async (auth) => {
        for (const auditId of b.eventIds) {
          await expectStatus([404], auth, 'POST', '/api/v2/audits/query/realtime/related', { auditId });
        }
        await expectStatus([404], auth, 'POST', '/api/v2/audits/query/realtime/related', {
          auditId: a.eventIds[0],
          trustorOrgId: b.tenant,
        });
      });
    },
    ...Object.fromEntries(
      ['/api/v2/audits/query/servicemapping', '/api/v2/audits/query/realtime/servicemapping'].map((path) => [
        `GET ${path}`,
        async () => {
          await eachA('genesys', async (auth) => {
            const res = await expectStatus([200], auth, 'GET', path);
            for (const v of Object.values(b.values))
              assert.ok(!res.body.includes(v), `B's ${v} in the mapping`);
            assert.ok(res.body.includes(a.values.service), "A's own service is there");
          });
        },
      ]),
    ),
    // --- Zendesk ---
    ...Object.fromEntries(
      ['', '.json'].flatMap((suffix) => [
        [
          `GET /api/v2/audit_logs${suffix}`,
          async () => {
            await eachA('zendesk', async (auth) => {
              for (const filter of [
                `filter[actor_id]=${b.values.actor}`,
                `filter[action]=${b.values.action}`,
                `filter[source_type]=${b.values.targetType}`,
                `filter[source_type]=${b.values.targetType}&filter[source_id]=${b.values.target}`,
                `filter[ip_address]=${b.values.ip}`,
              ]) {
                for (const paging of ['', '&page[size]=100']) {
                  const res = await expectStatus(
                    [200],
                    auth,
                    'GET',
                    `/api/v2/audit_logs${suffix}?${filter}${paging}`,
                  );
                  assert.deepEqual(res.json<{ audit_logs: unknown[] }>().audit_logs, [], filter);
                }
              }
              for (const cursor of Object.values(b.cursors)) {
                for (const side of ['after', 'before']) {
                  await expectStatus(
                    [400],
                    auth,
                    'GET',
                    `/api/v2/audit_logs${suffix}?page[${side}]=${encodeURIComponent(cursor)}`,
                  );
                }
              }
            });
          },
        ],
        [
          `GET /api/v2/audit_logs/:id${suffix}`,
          async () => {
            await eachA('zendesk', async (auth) => {
              for (const seq of await bOnlySeqs()) {
                await expectStatus([404], auth, 'GET', `/api/v2/audit_logs/${seq}${suffix}`);
              }
              for (const id of b.eventIds)
                await expectStatus([404], auth, 'GET', `/api/v2/audit_logs/${id}${suffix}`);
              const own = await expectStatus([200], auth, 'GET', `/api/v2/audit_logs/1${suffix}`);
              assert.equal(
                own.json<{ audit_log: { actor_id: string } }>().audit_log.actor_id,
                a.values.actor,
              );
            });
          },
        ],
        [
          `POST /api/v2/audit_logs/export${suffix}`,
          async () => {
            // One export a minute per tenant, and A exported when it was seeded: a tenant like A
            // (events of its own) that has not exported yet, one per route, so each probe reaches
            // the export and its file.
            const tenant = `iso-zendesk-export${suffix.replace('.', '-')}`;
            const key = await t.tenantWithKey(tenant);
            await ingest(t, key, [event({ actor: { id: `${tenant}-actor` } }), event()]);
            const basic = `Basic ${Buffer.from(`reader@${tenant}.example/token:${key}`).toString('base64')}`;
            const res = await expectStatus(
              [202],
              basic,
              'POST',
              `/api/v2/audit_logs/export${suffix}?filter[actor_id]=${b.values.actor}`,
            );
            const id = new URL(res.headers.location as string).pathname.split('/').pop() as string;
            const job = await settled(t, key, `/v1/exports/${id}`);
            assert.equal(job.state, 'succeeded');
            assert.equal(job.rows, 0);
            const file = await expectStatus([200], `Bearer ${key}`, 'GET', `/v1/exports/${id}/download`);
            assert.equal(parseCsv(file.body).length, 1, 'the header alone');
          },
        ],
      ]),
    ),
    // --- LivePerson ---
    'POST /api/account/:accountId/configuration/metadata/audit': async () => {
      const query = '{ auditData { accountId originator objectName element oldValue newValue } }';
      await eachA('liveperson', async (auth) => {
        await expectStatus([400], auth, 'POST', `/api/account/${b.tenant}/configuration/metadata/audit`, {
          query,
        });
        for (const args of [`users: ["${b.values.actor}"]`, `componentTypes: ["${b.values.targetType}"]`]) {
          const res = await expectStatus(
            [200],
            auth,
            'POST',
            `/api/account/${a.tenant}/configuration/metadata/audit`,
            {
              query: `{ auditData(${args}, lpa: true, automaticUpdates: true) { accountId } }`,
            },
          );
          assert.deepEqual(res.json<{ data: { auditData: unknown[] } }>().data.auditData, [], args);
          assert.equal(res.headers['x-total-count'], '0');
        }
        const all = await expectStatus(
          [200],
          auth,
          'POST',
          `/api/account/${a.tenant}/configuration/metadata/audit`,
          {
            query: '{ auditData(first: 1000) { accountId } }',
          },
        );
        for (const row of all.json<{ data: { auditData: { accountId: string }[] } }>().data.auditData) {
          assert.equal(row.accountId, a.tenant);
        }
      });
    },
  };

  /** Routes of `app` neither probed nor listed as tenant-free. */
  const unlisted = (app: string[]) => app.filter((r) => !(r in MATRIX) && !(r in TENANT_FREE));

  it('every route of the app is probed here or listed as tenant-free, with a reason', () => {
    const app = routesOf(t.app).map(routeKey);
    assert.deepEqual(unlisted(app), [], 'routes neither isolation-tested nor listed as tenant-free');
    assert.deepEqual(unlisted([...app, 'GET /v1/new']), ['GET /v1/new'], 'a new route would fail this test');
    assert.ok(app.length >= 45, `the router lists the routes (${app.length})`);
    const stale = [...Object.keys(MATRIX), ...Object.keys(TENANT_FREE)].filter((r) => !app.includes(r));
    assert.deepEqual(stale, [], 'listed routes the app does not have');
    const both = Object.keys(MATRIX).filter((r) => r in TENANT_FREE);
    assert.deepEqual(both, [], 'routes listed twice');
  });

  describe('each tenant-scoped route: A’s credentials against B’s ids, cursors, jobs, links and filters', () => {
    for (const [route, probe] of Object.entries(MATRIX)) it(route, probe);
  });

  it('the leak check recognises B’s data', async () => {
    const theirs = await t.app.inject({
      method: 'GET',
      url: `/v1/events/${b.eventIds[0]}`,
      headers: { authorization: `Bearer ${b.key}` },
    });
    assert.throws(() => noLeak(theirs, 'B reading its own event'), /B's data/);
    const listed = await t.app.inject({
      method: 'GET',
      url: '/api/v2/audit_logs',
      headers: { authorization: b.basic },
    });
    assert.throws(() => noLeak(listed, 'B listing its own audit logs'), /B's data/);
  });

  it('tenant-free routes show nothing of B, and the admin-only ones refuse tenant credentials', async () => {
    for (const key of Object.keys(TENANT_FREE)) {
      const [method, path] = key.split(' ') as [string, string];
      if (method !== 'GET') continue;
      await as(`Bearer ${a.key}`, method, path.replace('*', '/index.css'));
    }
    for (const auth of [`Bearer ${a.key}`, `Bearer ${a.adminKey}`, `Bearer ${a.token}`]) {
      await expectStatus([403], auth, 'GET', '/v1/tenants');
      await expectStatus([403], auth, 'POST', '/v1/tenants', { id: 'iso-intruder' });
      await expectStatus([403], auth, 'GET', '/v1/keys');
      await expectStatus([403], auth, 'POST', '/v1/keys', { name: 'intruder', scopes: ['events:read'] });
    }
    await expectStatus([401], null, 'POST', '/oauth/token', {
      grant_type: 'client_credentials',
      client_id: b.clientId,
      client_secret: a.key,
    });
  });

  it('every route, every path parameter set to each of B’s identifiers: never B’s data', async () => {
    const bIds = [...allBIds(), ...b.seqs.map(String), b.tenant, b.keyId, b.clientId];
    const routes: Route[] = routesOf(t.app).filter((r) => pathParams(r.path).length > 0);
    assert.ok(routes.length >= 15);
    for (const route of routes) {
      const dialect = dialectOf(route.method, route.path);
      for (const id of bIds) {
        const url = fillPath(
          route.path,
          Object.fromEntries(pathParams(route.path).map((p) => [p, encodeURIComponent(id)])),
        );
        for (const auth of [...credentials(dialect), `Bearer ${a.adminKey}`]) {
          const payload =
            route.method === 'POST'
              ? { query: '{ auditData { accountId } }', name: 'x', scopes: ['events:read'] }
              : undefined;
          await as(auth, route.method, url, payload);
        }
      }
    }
  });

  describe('viewer tokens', () => {
    /** A's viewer token, without filters: its tenant is all that bounds it. */
    let viewer: string;
    const setRecording = async (tenant: string, record_viewer_reads: boolean) => {
      const res = await t.call(ADMIN_TOKEN, {
        method: 'PATCH',
        url: `/v1/tenants/${tenant}`,
        payload: { record_viewer_reads },
      });
      assert.equal(res.statusCode, 200, res.body);
    };
    before(async () => {
      const made = await t.call(a.key, {
        method: 'POST',
        url: '/v1/viewer-tokens',
        payload: { actor: { id: 'iso' } },
      });
      viewer = `Bearer ${made.json<{ token: string }>().token}`;
      // The probes' recorded views would give A the seqs only B has (bOnlySeqs).
      await setRecording(a.tenant, false);
    });
    after(async () => {
      await setRecording(a.tenant, true);
    });

    it('the routes open to viewer tokens are the app’s routes', () => {
      const app = routesOf(t.app).map(routeKey);
      assert.deepEqual(
        VIEWER_ROUTES.filter((r) => !app.includes(r)),
        [],
      );
      assert.deepEqual(
        Object.keys(NO_BEARER).filter((r) => !app.includes(r)),
        [],
      );
    });

    it('every other route refuses a viewer token with 403, in its dialect’s envelope', async () => {
      const refused = routesOf(t.app).filter(
        (r) => !VIEWER_ROUTES.includes(routeKey(r)) && !(routeKey(r) in NO_BEARER) && r.method !== 'OPTIONS',
      );
      assert.ok(refused.length >= 40, `${refused.length} routes`);
      for (const route of refused) {
        const url = fillPath(
          route.path.replace('*', 'x'),
          Object.fromEntries(
            pathParams(route.path).map((p) => [p, encodeURIComponent(a.eventIds[0] as string)]),
          ),
        );
        const payload = ['POST', 'PUT', 'PATCH'].includes(route.method) ? {} : undefined;
        const res = await expectStatus([403], viewer, route.method, url, payload);
        assert.equal(res.statusCode, 403, `${routeKey(route)}`);
      }
      // A new route is refused unless it is listed open: this test fails for one that is not.
      assert.ok(!VIEWER_ROUTES.includes('GET /v1/new'));
    });

    it('on the routes open to it, A’s viewer token finds nothing of B’s', async () => {
      await eachBFilter(viewer, '/v1/events', (res, name) => {
        assert.deepEqual(res.json<{ data: unknown[] }>().data, [], `filter ${name}`);
      });
      await eachBFilter(viewer, '/v1/events/count', (res, name) => {
        assert.equal(res.json<{ count: number }>().count, 0, `filter ${name}`);
      });
      for (const cursor of Object.values(b.cursors)) {
        await expectStatus([400], viewer, 'GET', `/v1/events?cursor=${encodeURIComponent(cursor)}`);
      }
      for (const id of b.eventIds) {
        await expectStatus([404], viewer, 'GET', `/v1/events/${id}`);
        await expectStatus([404], viewer, 'GET', `/v1/log/inclusion?id=${id}`);
      }
      for (const seq of await bOnlySeqs()) await expectStatus([404], viewer, 'GET', `/v1/events/${seq}`);
      for (const id of allBIds()) {
        await expectStatus([404], viewer, 'GET', `/v1/exports/${id}`);
        await expectStatus([404], viewer, 'GET', `/v1/exports/${id}/download`);
      }
      await expectStatus([404], viewer, 'GET', new URL(b.exportUrl).pathname);
      // A live tail bounded to A's seqs ends once sent: B's filters find nothing in it.
      const range = `min_seq=1&max_seq=${await t.services.store.events.lastSeq(a.tenant)}`;
      await eachBFilter(viewer, `/v1/events/stream?${range}`, (res, name) => {
        assert.ok(!res.body.includes('data: '), `stream filtered by ${name}`);
      });
      await expectStatus([403], viewer, 'GET', `/v1/events/stream?${range}`, undefined, {
        'trailkeep-tenant': b.tenant,
      });
      const key = await expectStatus([200], viewer, 'GET', '/v1/log/key');
      assert.equal(key.json<{ origin: string }>().origin, `trailkeep/${a.tenant}`);
      await expectStatus([403], viewer, 'GET', '/v1/events', undefined, { 'trailkeep-tenant': b.tenant });
      const made = await expectStatus([202], viewer, 'POST', '/v1/exports', {
        format: 'csv',
        filters: { actor_id: b.values.actor },
      });
      const job = await settled(t, viewer.slice('Bearer '.length), `/v1/exports/${made.json<JobJson>().id}`);
      assert.equal(job.rows, 0);
    });
  });
});
