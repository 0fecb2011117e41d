// @engines sqlite postgres
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { verifyEvent } from '../../src/core/event/seal.js';
import { ADMIN_TOKEN, event, startTestApp, type TestApp } from '../helpers/app.js';

interface Written {
  id: string;
  tenant?: string;
  seq: number;
  hash: string;
  duplicate?: boolean;
}
type Obj = Record<string, unknown>;

/** Operator keys: one credential that writes and reads for many tenants, and mints tenant-bound tokens. */
describe('operator keys', () => {
  let t: TestApp;
  /** events:write, events:read and tenants:manage. */
  let full: string;
  /** events:write and events:read, no tenants:manage. */
  let writer: string;
  let readOnly: string;
  let fullId: string;
  /** Tenant keys (write and read) of acme and globex. */
  let acme: string;
  let globex: string;
  const recent = () => new Date(Date.now() - 3_600_000).toISOString();

  const operatorKey = async (scopes: string[]) => {
    const res = await t.call(ADMIN_TOKEN, {
      method: 'POST',
      url: '/v1/keys',
      payload: { name: 'saas', scopes },
    });
    assert.equal(res.statusCode, 201, res.body);
    return res.json<{ id: string; secret: string }>();
  };
  const post = (token: string, payload: unknown, headers: Record<string, string> = {}) =>
    t.call(token, { method: 'POST', url: '/v1/events', payload: payload as Obj, headers });
  const get = (token: string, url: string, headers: Record<string, string> = {}) =>
    t.call(token, { method: 'GET', url, headers });
  const as = (tenant: string) => ({ 'trailkeep-tenant': tenant });
  const written = (res: { json: <T>() => T }) => res.json<{ events: Written[] }>().events;
  /** A tenant's events, oldest first, as an operator key reads them. */
  const stored = async (tenant: string) => {
    const res = await get(full, '/v1/events?order=asc&limit=1000', as(tenant));
    assert.equal(res.statusCode, 200, res.body);
    return res.json<{ data: Obj[] }>().data;
  };
  const lastSeq = async (tenant: string) => (await t.services.store.events.lastSeq(tenant)) as number;
  const code = (res: { json: <T>() => T }) => res.json<{ error: { code: string } }>().error.code;
  const token = (payload: Obj | string, headers: Record<string, string> = {}) =>
    t.app.inject({ method: 'POST', url: '/oauth/token', payload, headers });
  const grant = (client_id: string, client_secret: string, more: Obj = {}) =>
    token({ grant_type: 'client_credentials', client_id, client_secret, ...more });
  const mint = async (tenant: string, secret = full, id = fullId, scope?: string) => {
    const res = await grant(id, secret, { tenant, ...(scope ? { scope } : {}) });
    assert.equal(res.statusCode, 200, res.body);
    return res.json<{ access_token: string; scope: string }>();
  };

  before(async () => {
    t = await startTestApp();
    acme = await t.tenantWithKey('acme');
    globex = await t.tenantWithKey('globex');
    await t.call(ADMIN_TOKEN, { method: 'POST', url: '/v1/tenants', payload: { id: 'initech' } });
    // Each tenant has history, so a batch's seqs continue each tenant's own count.
    assert.equal((await post(acme, event({ id: 'before' }))).statusCode, 201);
    assert.equal((await post(acme, event({ id: 'before-2' }))).statusCode, 201);
    assert.equal((await post(globex, event({ id: 'before' }))).statusCode, 201);
    const made = await operatorKey(['events:write', 'events:read', 'tenants:manage']);
    full = made.secret;
    fullId = made.id;
    writer = (await operatorKey(['events:write', 'events:read'])).secret;
    readOnly = (await operatorKey(['events:read'])).secret;
  });
  after(() => t.close());

  describe('POST, GET and DELETE /v1/keys (admin token)', () => {
    it('creates an operator key whose secret is shown once, lists it, and revokes it at once', async () => {
      const res = await t.call(ADMIN_TOKEN, {
        method: 'POST',
        url: '/v1/keys',
        payload: { name: 'tmp', scopes: ['events:read', 'tenants:manage'] },
      });
      assert.equal(res.statusCode, 201, res.body);
      const key = res.json<{ id: string; tenant: null; scopes: string[]; secret: string }>();
      assert.match(key.secret, /^tk_opk_[0-9a-f]{20}_[A-Za-z0-9_-]{43}$/);
      assert.equal(key.tenant, null);
      assert.deepEqual(key.scopes, ['events:read', 'tenants:manage']);
      const list = await get(ADMIN_TOKEN, '/v1/keys');
      assert.equal(list.statusCode, 200);
      const listed = list.json<{ data: Obj[] }>().data.find((k) => k.id === key.id);
      assert.deepEqual(listed?.scopes, key.scopes);
      assert.equal(listed?.revoked_at, null);
      assert.ok(!list.body.includes(key.secret), 'never shown again');
      const stored = await t.services.store.credentials.find(key.id);
      assert.ok(stored && !JSON.stringify(stored).includes(key.secret), 'only a hash is stored');
      assert.equal((await get(key.secret, '/v1/events', as('acme'))).statusCode, 200);
      assert.equal(
        (await t.call(ADMIN_TOKEN, { method: 'DELETE', url: `/v1/keys/${key.id}` })).statusCode,
        204,
      );
      assert.equal((await get(key.secret, '/v1/events', as('acme'))).statusCode, 401);
      assert.equal(
        (await t.call(ADMIN_TOKEN, { method: 'DELETE', url: `/v1/keys/${key.id}` })).statusCode,
        404,
      );
      const revoked = (await get(ADMIN_TOKEN, '/v1/keys'))
        .json<{ data: Obj[] }>()
        .data.find((k) => k.id === key.id);
      assert.ok(revoked?.revoked_at);
    });

    it('keeps operator keys and tenant keys apart', async () => {
      const operatorIds = (await get(ADMIN_TOKEN, '/v1/keys')).json<{ data: Obj[] }>().data.map((k) => k.id);
      const acmeKeys = (await get(ADMIN_TOKEN, '/v1/tenants/acme/keys')).json<{ data: Obj[] }>().data;
      assert.ok(operatorIds.includes(fullId));
      assert.ok(!acmeKeys.some((k) => operatorIds.includes(k.id)));
      const acmeKey = acmeKeys[0]?.id as string;
      assert.equal(
        (await t.call(ADMIN_TOKEN, { method: 'DELETE', url: `/v1/keys/${acmeKey}` })).statusCode,
        404,
      );
      assert.equal(
        (await t.call(ADMIN_TOKEN, { method: 'DELETE', url: `/v1/tenants/acme/keys/${fullId}` })).statusCode,
        404,
      );
    });

    it('grants only operator scopes, and tenant credentials only tenant scopes', async () => {
      for (const scopes of [['tenant:admin'], ['events:delete'], []]) {
        const res = await t.call(ADMIN_TOKEN, {
          method: 'POST',
          url: '/v1/keys',
          payload: { name: 'x', scopes },
        });
        assert.equal(res.statusCode, 400, JSON.stringify(scopes));
      }
      const tenantKey = await t.call(ADMIN_TOKEN, {
        method: 'POST',
        url: '/v1/tenants/acme/keys',
        payload: { name: 'x', scopes: ['tenants:manage'] },
      });
      assert.equal(tenantKey.statusCode, 400);
    });

    it('is for the admin token only; an operator key manages no credentials or tenants', async () => {
      const tenantAdmin = await t.key('acme', ['tenant:admin']);
      for (const who of [full, tenantAdmin, acme]) {
        assert.equal((await get(who, '/v1/keys')).statusCode, 403);
        const res = await t.call(who, {
          method: 'POST',
          url: '/v1/keys',
          payload: { name: 'x', scopes: ['events:read'] },
        });
        assert.equal(res.statusCode, 403);
        assert.equal((await t.call(who, { method: 'DELETE', url: `/v1/keys/${fullId}` })).statusCode, 403);
      }
      assert.equal((await get(full, '/v1/tenants')).statusCode, 403);
      assert.equal((await get(full, '/v1/tenants/acme/keys')).statusCode, 403);
      assert.equal((await get(ADMIN_TOKEN, '/v1/keys', {})).statusCode, 200);
      assert.equal((await t.call(null, { method: 'GET', url: '/v1/keys' })).statusCode, 401);
    });

    it('leaves the admin token without tenant data, whatever tenant it names', async () => {
      assert.equal((await get(ADMIN_TOKEN, '/v1/events', as('acme'))).statusCode, 403);
      assert.equal((await post(ADMIN_TOKEN, event({ tenant: 'acme' }), as('acme'))).statusCode, 403);
    });
  });

  describe('writing', () => {
    it('writes one batch to three tenants, each tenant counting its own gapless seqs', async () => {
      const res = await post(full, {
        events: [
          event({ tenant: 'acme', id: 'm1' }),
          event({ tenant: 'globex', id: 'm1' }),
          event({ tenant: 'initech', id: 'm1' }),
          event({ tenant: 'acme', id: 'm2' }),
          event({ tenant: 'initech', id: 'm2' }),
          event({ tenant: 'acme', id: 'm3' }),
        ],
      });
      assert.equal(res.statusCode, 201, res.body);
      assert.deepEqual(
        written(res).map((e) => [e.tenant, e.id, e.seq]),
        [
          ['acme', 'm1', 3],
          ['globex', 'm1', 2],
          ['initech', 'm1', 1],
          ['acme', 'm2', 4],
          ['initech', 'm2', 2],
          ['acme', 'm3', 5],
        ],
      );
      for (const [tenant, n] of [
        ['acme', 5],
        ['globex', 2],
        ['initech', 2],
      ] as const) {
        const events = await stored(tenant);
        assert.deepEqual(
          events.map((e) => e.seq),
          Array.from({ length: n }, (_, i) => i + 1),
          tenant,
        );
        for (const e of events) {
          assert.equal(e.tenant, tenant);
          assert.ok(verifyEvent(e), 'the stored event hashes to its hash');
        }
      }
      // Same content written by the tenant's own key: the same event, a duplicate.
      const again = await post(acme, event({ tenant: 'acme', id: 'm2' }));
      assert.equal(again.statusCode, 200, res.body);
      const { tenant: _, ...first } = written(res)[3] as Written;
      assert.deepEqual(written(again)[0], { ...first, duplicate: true });
    });

    it('takes the tenant of a whole batch from the Trailkeep-Tenant header, in JSON or NDJSON', async () => {
      const before = await lastSeq('globex');
      const res = await post(
        full,
        { events: [event({ id: 'h1' }), event({ id: 'h2', tenant: 'globex' })] },
        as('globex'),
      );
      assert.equal(res.statusCode, 201, res.body);
      assert.deepEqual(
        written(res).map((e) => [e.tenant, e.seq]),
        [
          ['globex', before + 1],
          ['globex', before + 2],
        ],
      );
      const ndjson = `${JSON.stringify(event({ id: 'h3' }))}\n${JSON.stringify(event({ id: 'h4' }))}\n`;
      const nd = await post(full, ndjson, { ...as('globex'), 'content-type': 'application/x-ndjson' });
      assert.equal(nd.statusCode, 201, nd.body);
      assert.equal(await lastSeq('globex'), before + 4);
      const single = await post(writer, event({ id: 'h5' }), as('initech'));
      assert.equal(single.statusCode, 201, single.body);
      assert.equal(written(single)[0]?.tenant, 'initech');
    });

    it('rejects events without a tenant, or naming another than the header, storing nothing', async () => {
      const seqs = [await lastSeq('acme'), await lastSeq('globex')];
      const res = await post(full, { events: [event({ tenant: 'acme', id: 'n1' }), event({ id: 'n2' })] });
      assert.equal(res.statusCode, 400, res.body);
      assert.deepEqual(
        res.json<{ error: { details: { path: string }[] } }>().error.details.map((d) => d.path),
        ['$.events[1].tenant'],
      );
      const disagree = await post(
        full,
        { events: [event({ id: 'n3' }), event({ tenant: 'acme', id: 'n4' })] },
        as('globex'),
      );
      assert.equal(disagree.statusCode, 400, disagree.body);
      assert.match(disagree.body, /\$\.events\[1\]\.tenant/);
      const invalid = await post(full, { events: [event({ tenant: 'not a tenant!' })] });
      assert.equal(invalid.statusCode, 400);
      assert.match(invalid.body, /\$\.events\[0\]\.tenant/);
      const badHeader = await post(full, event(), as('no such/tenant'));
      assert.equal(badHeader.statusCode, 400);
      assert.match(badHeader.body, /Trailkeep-Tenant/);
      assert.deepEqual([await lastSeq('acme'), await lastSeq('globex')], seqs);
    });

    it('fails the whole batch with 404 naming an unknown tenant when the key lacks tenants:manage', async () => {
      const seqs = [await lastSeq('acme'), await lastSeq('globex')];
      const res = await post(writer, {
        events: [
          event({ tenant: 'acme', id: 'u1' }),
          event({ tenant: 'hooli', id: 'u2' }),
          event({ tenant: 'globex', id: 'u3' }),
        ],
      });
      assert.equal(res.statusCode, 404, res.body);
      assert.equal(code(res), 'not_found');
      assert.match(res.json<{ error: { message: string } }>().error.message, /hooli/);
      assert.deepEqual(
        [await lastSeq('acme'), await lastSeq('globex')],
        seqs,
        'nothing of the batch is stored',
      );
      assert.equal((await get(full, '/v1/events/u1', as('acme'))).statusCode, 404);
      assert.equal(await t.services.store.tenants.get('hooli'), null);
      assert.equal((await post(writer, event(), as('hooli'))).statusCode, 404);
    });

    it('creates an unknown tenant on first write with tenants:manage, but not for a failed batch', async () => {
      const failed = await post(full, {
        events: [
          event({ tenant: 'hooli', id: 'c1' }),
          event({ tenant: 'acme', id: 'm1', action: 'changed' }),
        ],
      });
      assert.equal(failed.statusCode, 409, failed.body);
      assert.equal(await t.services.store.tenants.get('hooli'), null, 'the failed batch created no tenant');
      const res = await post(full, {
        events: [event({ tenant: 'hooli', id: 'c1' }), event({ tenant: 'acme', id: 'c2' })],
      });
      assert.equal(res.statusCode, 201, res.body);
      assert.deepEqual(
        written(res).map((e) => [e.tenant, e.seq]),
        [
          ['hooli', 1],
          ['acme', (await lastSeq('acme')) as number],
        ],
      );
      const tenants = (await get(ADMIN_TOKEN, '/v1/tenants')).json<{ data: { id: string; name: string }[] }>()
        .data;
      assert.equal(tenants.find((x) => x.id === 'hooli')?.name, 'hooli', 'named after its id');
      const viaHeader = await post(full, event(), as('pied-piper'));
      assert.equal(viaHeader.statusCode, 201, viaHeader.body);
      assert.equal(written(viaHeader)[0]?.seq, 1);
    });

    it('needs events:write', async () => {
      const res = await post(readOnly, event({ tenant: 'acme' }));
      assert.equal(res.statusCode, 403);
      assert.equal(code(res), 'forbidden');
    });
  });

  describe('reading', () => {
    it('reads the tenant the Trailkeep-Tenant header names', async () => {
      const acmeEvents = await stored('acme');
      assert.ok(acmeEvents.length > 0 && acmeEvents.every((e) => e.tenant === 'acme'));
      const count = await get(readOnly, '/v1/events/count', as('initech'));
      assert.equal(count.json<{ count: number }>().count, (await stored('initech')).length);
      const one = await get(readOnly, '/v1/events/m1', as('globex'));
      assert.equal(one.json<Obj>().tenant, 'globex');
      const query = await t.call(readOnly, {
        method: 'POST',
        url: '/v1/queries',
        payload: {},
        headers: as('acme'),
      });
      assert.equal(query.statusCode, 202, query.body);
    });

    it('answers 400 naming the header when it is missing, 404 for an unknown tenant, 403 without events:read', async () => {
      const missing = await get(full, '/v1/events');
      assert.equal(missing.statusCode, 400);
      assert.match(missing.json<{ error: { message: string } }>().error.message, /Trailkeep-Tenant/);
      const unknown = await get(full, '/v1/events', as('umbrella'));
      assert.equal(unknown.statusCode, 404);
      assert.match(unknown.body, /umbrella/);
      assert.equal(await t.services.store.tenants.get('umbrella'), null, 'reading creates no tenant');
      const writeOnly = (await operatorKey(['events:write', 'tenants:manage'])).secret;
      assert.equal((await get(writeOnly, '/v1/events', as('acme'))).statusCode, 403);
      const genesys = await t.call(full, {
        method: 'POST',
        url: '/api/v2/audits/query/realtime',
        payload: { interval: `${recent()}/${new Date(Date.now() + 60_000).toISOString()}` },
      });
      assert.equal(genesys.statusCode, 400, 'in every dialect');
      assert.equal(genesys.json<Obj>().status, 400);
    });
  });

  describe('minted access tokens', () => {
    before(async () => {
      // One event of each tenant that every dialect shows (recent, category admin).
      const res = await post(full, {
        events: ['acme', 'globex'].map((tenant) =>
          event({
            tenant,
            id: `dialect-${tenant}`,
            occurred_at: recent(),
            action: 'update',
            actor: { id: '7' },
          }),
        ),
      });
      assert.equal(res.statusCode, 201, res.body);
    });

    it('are bound to the named tenant with the key’s read and write scopes, never tenants:manage', async () => {
      const { access_token, scope } = await mint('acme');
      assert.equal(scope, 'events:write events:read');
      const claims = JSON.parse(Buffer.from(access_token.split('.')[1] ?? '', 'base64url').toString());
      assert.equal(claims.tnt, 'acme');
      const list = await get(access_token, '/v1/events?limit=1000');
      assert.equal(list.statusCode, 200);
      assert.deepEqual(new Set(list.json<{ data: Obj[] }>().data.map((e) => e.tenant)), new Set(['acme']));
      const w = await post(access_token, event({ id: 'by-token' }));
      assert.equal(w.statusCode, 201, w.body);
      assert.equal(written(w)[0]?.tenant, undefined, 'a tenant-bound write');
      assert.equal((await post(access_token, event({ tenant: 'hooli-2' }))).statusCode, 403);
      assert.equal(await t.services.store.tenants.get('hooli-2'), null);
    });

    it('narrow on request; tenants:manage and scopes the key lacks are refused', async () => {
      const narrowed = await mint('globex', full, fullId, 'events:read');
      assert.equal(narrowed.scope, 'events:read');
      assert.equal((await post(narrowed.access_token, event())).statusCode, 403);
      for (const scope of ['tenants:manage', 'tenant:admin', 'events:read tenants:manage']) {
        const res = await grant(fullId, full, { tenant: 'acme', scope });
        assert.equal(res.statusCode, 403, scope);
        assert.equal(res.json<{ error: string }>().error, 'invalid_scope');
      }
      const manager = await operatorKey(['tenants:manage']);
      const none = await grant(manager.id, manager.secret, { tenant: 'acme' });
      assert.equal(none.statusCode, 403);
    });

    it('accept HTTP Basic with a form body, the tenant in the form', async () => {
      const res = await token(`grant_type=client_credentials&tenant=globex`, {
        authorization: `Basic ${Buffer.from(`${fullId}:${full}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      });
      assert.equal(res.statusCode, 200, res.body);
      const access = res.json<{ access_token: string }>().access_token;
      assert.equal(
        (await get(access, '/v1/events/count')).json<{ count: number }>().count,
        (await stored('globex')).length,
      );
    });

    it('need an existing tenant: a missing one is 400, an unknown one 404, and none is created', async () => {
      const missing = await grant(fullId, full);
      assert.equal(missing.statusCode, 400);
      assert.equal(missing.json<{ error: string }>().error, 'invalid_request');
      const invalid = await grant(fullId, full, { tenant: '../x' });
      assert.equal(invalid.statusCode, 400);
      const unknown = await grant(fullId, full, { tenant: 'wayne' });
      assert.equal(unknown.statusCode, 404);
      assert.equal(unknown.json<{ error: string }>().error, 'invalid_target');
      assert.equal(await t.services.store.tenants.get('wayne'), null);
      const wrong = await grant(fullId, acme, { tenant: 'acme' });
      assert.equal(wrong.statusCode, 401);
    });

    it('read through every dialect, each showing only the token’s tenant', async () => {
      const { access_token: tok } = await mint('acme', full, fullId, 'events:read');
      const interval = `${new Date(Date.now() - 86_400_000).toISOString()}/${new Date(Date.now() + 60_000).toISOString()}`;
      const reads: [
        string,
        () => Promise<{ statusCode: number; json: <T>() => T; body: string }>,
        (body: Obj) => unknown[],
      ][] = [
        ['native', () => get(tok, '/v1/events?limit=1000'), (b) => (b.data as Obj[]).map((e) => e.id)],
        [
          'genesys',
          () =>
            t.call(tok, {
              method: 'POST',
              url: '/api/v2/audits/query/realtime',
              payload: { interval, pageSize: 100 },
            }),
          (b) => (b.entities as Obj[]).map((e) => e.id),
        ],
        [
          'zendesk',
          () => get(tok, '/api/v2/audit_logs?filter[actor_id]=7'),
          (b) => (b.audit_logs as Obj[]).map((e) => e.actor_id),
        ],
        ['agilicus', () => get(tok, '/v1/audits?user_id=7'), (b) => (b.audits as Obj[]).map((e) => e.org_id)],
        [
          'liveperson',
          () =>
            t.call(tok, {
              method: 'POST',
              url: '/api/account/acme/configuration/metadata/audit',
              payload: { query: '{ auditData(first: 1000) { accountId originatorUserId } }' },
            }),
          (b) => ((b.data as Obj).auditData as Obj[]).map((r) => r.accountId),
        ],
      ];
      for (const [dialect, read, pick] of reads) {
        const res = await read();
        assert.equal(res.statusCode, 200, `${dialect}: ${res.body}`);
        const seen = pick(res.json<Obj>());
        assert.ok(seen.length > 0, dialect);
        assert.ok(!res.body.includes('dialect-globex'), `${dialect} shows no other tenant`);
        if (dialect === 'native' || dialect === 'genesys') assert.ok(seen.includes('dialect-acme'), dialect);
        if (dialect === 'agilicus' || dialect === 'liveperson')
          assert.deepEqual(new Set(seen), new Set(['acme']), dialect);
      }
    });

    it('stop working at once when the operator key is revoked', async () => {
      const key = await operatorKey(['events:read']);
      const { access_token } = await mint('acme', key.secret, key.id);
      assert.equal((await get(access_token, '/v1/events')).statusCode, 200);
      assert.equal(
        (await t.call(ADMIN_TOKEN, { method: 'DELETE', url: `/v1/keys/${key.id}` })).statusCode,
        204,
      );
      assert.equal((await get(access_token, '/v1/events')).statusCode, 401);
      const again = await grant(key.id, key.secret, { tenant: 'acme' });
      assert.equal(again.statusCode, 401);
    });
  });

  describe('a tenant-bound credential never reaches another tenant', () => {
    it('is refused with 403 when it names another tenant in the header or an event, and nothing is stored', async () => {
      const seqs = [await lastSeq('acme'), await lastSeq('globex')];
      const attempts: [Obj, Record<string, string>][] = [
        [event({ tenant: 'globex' }), {}],
        [{ events: [event({ id: 'x1' }), event({ id: 'x2', tenant: 'globex' })] }, {}],
        [event(), as('globex')],
        [event({ tenant: 'acme' }), as('globex')],
        [event({ tenant: 'globex' }), as('acme')],
        [event({ tenant: 'hooli-3' }), {}],
      ];
      for (const [body, headers] of attempts) {
        const res = await post(acme, body, headers);
        assert.equal(res.statusCode, 403, JSON.stringify([body, headers]));
        assert.equal(code(res), 'forbidden');
      }
      const aToken = await t.accessToken('acme', ['events:write', 'events:read']);
      const { access_token: minted } = await mint('acme');
      for (const tok of [aToken, minted]) {
        assert.equal((await post(tok, event({ tenant: 'globex' }))).statusCode, 403);
        assert.equal((await post(tok, event(), as('globex'))).statusCode, 403);
      }
      assert.deepEqual([await lastSeq('acme'), await lastSeq('globex')], seqs);
      assert.equal(await t.services.store.tenants.get('hooli-3'), null);
    });

    it('may name its own tenant, in an event or the header', async () => {
      assert.equal((await post(acme, event({ tenant: 'acme' }), as('acme'))).statusCode, 201);
      assert.equal((await get(acme, '/v1/events', as('acme'))).statusCode, 200);
    });

    it('reads no other tenant through any dialect, whatever tenant its header names', async () => {
      const interval = `${new Date(Date.now() - 86_400_000).toISOString()}/${new Date(Date.now() + 60_000).toISOString()}`;
      const { access_token: minted } = await mint('acme');
      for (const tok of [acme, minted]) {
        const reads = [
          get(tok, '/v1/events', as('globex')),
          get(tok, '/v1/events/count', as('globex')),
          get(tok, '/v1/events/dialect-globex', as('globex')),
          t.call(tok, { method: 'POST', url: '/v1/queries', payload: {}, headers: as('globex') }),
          t.call(tok, {
            method: 'POST',
            url: '/api/v2/audits/query/realtime',
            payload: { interval },
            headers: as('globex'),
          }),
          get(tok, '/api/v2/audit_logs', as('globex')),
          get(tok, '/v1/audits', as('globex')),
          t.call(tok, {
            method: 'POST',
            url: '/api/account/globex/configuration/metadata/audit',
            payload: { query: '{ auditData { accountId } }' },
            headers: as('globex'),
          }),
        ];
        for (const res of await Promise.all(reads)) {
          assert.equal(res.statusCode, 403, res.body);
          assert.ok(!res.body.includes('dialect-globex'));
        }
        assert.equal(
          (await get(tok, '/v1/events/dialect-globex')).statusCode,
          404,
          'another tenant’s event is unknown',
        );
      }
      const basic = `Basic ${Buffer.from(`ada@example.com/token:${acme}`).toString('base64')}`;
      assert.equal(
        (await get('', '/api/v2/audit_logs', { ...as('globex'), authorization: basic })).statusCode,
        403,
      );
    });

    it('cannot obtain a token for another tenant', async () => {
      const made = await t.call(ADMIN_TOKEN, {
        method: 'POST',
        url: '/v1/tenants/acme/oauth-clients',
        payload: { name: 'c', scopes: ['events:read'] },
      });
      const { client_id, client_secret } = made.json<{ client_id: string; client_secret: string }>();
      const other = await grant(client_id, client_secret, { tenant: 'globex' });
      assert.equal(other.statusCode, 403);
      assert.equal(other.json<{ error: string }>().error, 'invalid_target');
      const own = await grant(client_id, client_secret, { tenant: 'acme' });
      assert.equal(own.statusCode, 200, own.body);
      const asClient = await grant(acme.split('_').slice(1, 3).join('_'), acme, { tenant: 'acme' });
      assert.equal(asClient.statusCode, 401, 'a tenant key is not an OAuth client');
    });
  });
});
