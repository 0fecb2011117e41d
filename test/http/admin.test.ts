// @engines sqlite postgres
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ADMIN_TOKEN, event, startTestApp, type TestApp } from '../helpers/app.js';

interface Credential {
  id: string;
  secret?: string;
  client_id?: string;
  client_secret?: string;
  scopes: string[];
  revoked_at: string | null;
}

describe('tenants, keys and OAuth clients', () => {
  let t: TestApp;
  const json = (token: string | null, method: 'GET' | 'POST' | 'DELETE', url: string, payload?: unknown) =>
    t.call(token, { method, url, ...(payload === undefined ? {} : { payload: payload as object }) });

  before(async () => {
    t = await startTestApp();
  });
  after(async () => t.close());

  describe('tenants (admin token)', () => {
    it('creates and lists tenants; a duplicate is 409', async () => {
      const res = await json(ADMIN_TOKEN, 'POST', '/v1/tenants', { id: 'acme', name: 'Acme Corp' });
      assert.equal(res.statusCode, 201);
      assert.equal(res.json<{ name: string }>().name, 'Acme Corp');
      assert.equal((await json(ADMIN_TOKEN, 'POST', '/v1/tenants', { id: 'acme' })).statusCode, 409);
      assert.equal((await json(ADMIN_TOKEN, 'POST', '/v1/tenants', { id: 'beta' })).statusCode, 201);
      const list = await json(ADMIN_TOKEN, 'GET', '/v1/tenants');
      assert.deepEqual(
        list.json<{ data: { id: string }[] }>().data.map((x) => x.id),
        ['acme', 'beta'],
      );
    });

    it('validates the body', async () => {
      for (const body of [
        {},
        { id: '' },
        { id: 'has space' },
        { id: 'x', extra: 1 },
        { id: 'a'.repeat(65) },
      ]) {
        const res = await json(ADMIN_TOKEN, 'POST', '/v1/tenants', body);
        assert.equal(res.statusCode, 400, JSON.stringify(body));
        assert.equal(res.json<{ error: { code: string } }>().error.code, 'invalid_request');
      }
    });

    it('is for the admin token only', async () => {
      const key = await t.key('acme', ['events:read', 'events:write', 'tenant:admin']);
      assert.equal((await json(null, 'GET', '/v1/tenants')).statusCode, 401);
      assert.equal((await json('wrong-token', 'GET', '/v1/tenants')).statusCode, 401);
      assert.equal((await json(key, 'GET', '/v1/tenants')).statusCode, 403);
      assert.equal((await json(key, 'POST', '/v1/tenants', { id: 'sneaky' })).statusCode, 403);
    });
  });

  describe('a tenant’s settings (admin token, or its own tenant:admin credential)', () => {
    const tenantOf = (res: { json: <T>() => T }) =>
      res.json<{ id: string; name: string; record_viewer_reads: boolean }>();

    it('reads and changes a tenant: members left out keep their value', async () => {
      await json(ADMIN_TOKEN, 'POST', '/v1/tenants', { id: 'settings', name: 'Settings' });
      const got = await json(ADMIN_TOKEN, 'GET', '/v1/tenants/settings');
      assert.equal(got.statusCode, 200);
      assert.deepEqual(
        { ...tenantOf(got), created_at: undefined },
        { id: 'settings', name: 'Settings', record_viewer_reads: true, created_at: undefined },
      );
      const off = await t.call(ADMIN_TOKEN, {
        method: 'PATCH',
        url: '/v1/tenants/settings',
        payload: { record_viewer_reads: false },
      });
      assert.equal(off.statusCode, 200, off.body);
      assert.equal(tenantOf(off).record_viewer_reads, false);
      assert.equal(tenantOf(off).name, 'Settings');
      const admin = await t.key('settings', ['tenant:admin']);
      const renamed = await t.call(admin, {
        method: 'PATCH',
        url: '/v1/tenants/settings',
        payload: { name: 'Renamed' },
      });
      assert.equal(renamed.statusCode, 200, renamed.body);
      assert.deepEqual([tenantOf(renamed).name, tenantOf(renamed).record_viewer_reads], ['Renamed', false]);
      const listed = (await json(ADMIN_TOKEN, 'GET', '/v1/tenants')).json<{ data: unknown[] }>().data;
      assert.deepEqual(
        listed.find((x) => (x as { id: string }).id === 'settings'),
        tenantOf(await json(admin, 'GET', '/v1/tenants/settings')),
      );
    });

    it('validates the body, naming the member', async () => {
      for (const [body, member] of [
        [{}, ''],
        [{ record_viewer_reads: 'no' }, 'record_viewer_reads'],
        [{ name: '' }, 'name'],
        [{ id: 'other' }, 'id'],
      ] as const) {
        const res = await t.call(ADMIN_TOKEN, {
          method: 'PATCH',
          url: '/v1/tenants/settings',
          payload: body,
        });
        assert.equal(res.statusCode, 400, JSON.stringify(body));
        assert.match(res.json<{ error: { message: string } }>().error.message, new RegExp(member));
      }
    });

    it('another tenant, an unknown one, or a credential without tenant:admin is refused', async () => {
      const other = await t.key('acme', ['tenant:admin']);
      const reader = await t.key('settings', ['events:read', 'events:write']);
      for (const [token, status] of [
        [other, 404],
        [reader, 403],
        [null, 401],
      ] as const) {
        assert.equal((await json(token, 'GET', '/v1/tenants/settings')).statusCode, status);
        const res = await t.call(token, {
          method: 'PATCH',
          url: '/v1/tenants/settings',
          payload: { record_viewer_reads: true },
        });
        assert.equal(res.statusCode, status);
      }
      assert.equal((await json(ADMIN_TOKEN, 'GET', '/v1/tenants/nope')).statusCode, 404);
      const patchUnknown = await t.call(ADMIN_TOKEN, {
        method: 'PATCH',
        url: '/v1/tenants/nope',
        payload: { name: 'x' },
      });
      assert.equal(patchUnknown.statusCode, 404);
      assert.equal(
        tenantOf(await json(ADMIN_TOKEN, 'GET', '/v1/tenants/settings')).record_viewer_reads,
        false,
      );
    });
  });

  describe('keys', () => {
    it('creates a key whose secret is shown once and works as a bearer credential', async () => {
      const res = await json(ADMIN_TOKEN, 'POST', '/v1/tenants/acme/keys', {
        name: 'ingest',
        scopes: ['events:write'],
      });
      assert.equal(res.statusCode, 201);
      const key = res.json<Credential>();
      assert.match(key.secret ?? '', /^tk_key_[0-9a-f]{20}_[A-Za-z0-9_-]{43}$/);
      const write = await t.call(key.secret ?? '', { method: 'POST', url: '/v1/events', payload: event() });
      assert.equal(write.statusCode, 201);
      const list = await json(ADMIN_TOKEN, 'GET', '/v1/tenants/acme/keys');
      const listed = list.json<{ data: Credential[] }>().data.find((k) => k.id === key.id);
      assert.deepEqual(listed?.scopes, ['events:write']);
      assert.equal(listed?.secret, undefined, 'never shown again');
      assert.ok(!list.body.includes(key.secret ?? '?'));
    });

    it('revokes a key: it stops working at once; revoking again is 404', async () => {
      const key = (
        await json(ADMIN_TOKEN, 'POST', '/v1/tenants/acme/keys', { name: 'tmp', scopes: ['events:read'] })
      ).json<Credential>();
      assert.equal((await t.call(key.secret ?? '', { method: 'GET', url: '/v1/events' })).statusCode, 200);
      assert.equal((await json(ADMIN_TOKEN, 'DELETE', `/v1/tenants/acme/keys/${key.id}`)).statusCode, 204);
      assert.equal((await t.call(key.secret ?? '', { method: 'GET', url: '/v1/events' })).statusCode, 401);
      assert.equal((await json(ADMIN_TOKEN, 'DELETE', `/v1/tenants/acme/keys/${key.id}`)).statusCode, 404);
    });

    it('rejects unknown scopes and tenants', async () => {
      const bad = await json(ADMIN_TOKEN, 'POST', '/v1/tenants/acme/keys', {
        name: 'x',
        scopes: ['events:delete'],
      });
      assert.equal(bad.statusCode, 400);
      const none = await json(ADMIN_TOKEN, 'POST', '/v1/tenants/acme/keys', { name: 'x', scopes: [] });
      assert.equal(none.statusCode, 400);
      const ghost = await json(ADMIN_TOKEN, 'POST', '/v1/tenants/ghost/keys', {
        name: 'x',
        scopes: ['events:read'],
      });
      assert.equal(ghost.statusCode, 404);
      assert.equal((await json(ADMIN_TOKEN, 'GET', '/v1/tenants/ghost/keys')).statusCode, 404);
    });

    it('lets a tenant:admin credential manage its own tenant only', async () => {
      const admin = await t.key('acme', ['tenant:admin']);
      const plain = await t.key('acme', ['events:read']);
      const own = await json(admin, 'POST', '/v1/tenants/acme/keys', {
        name: 'by tenant admin',
        scopes: ['events:read'],
      });
      assert.equal(own.statusCode, 201);
      assert.equal((await json(admin, 'GET', '/v1/tenants/acme/keys')).statusCode, 200);
      assert.equal((await json(plain, 'GET', '/v1/tenants/acme/keys')).statusCode, 403);
      // Another tenant does not exist for this credential: 404, the same as a missing one.
      const foreign = await json(admin, 'GET', '/v1/tenants/beta/keys');
      assert.equal(foreign.statusCode, 404);
      assert.equal(
        (await json(admin, 'POST', '/v1/tenants/beta/keys', { name: 'x', scopes: ['events:read'] }))
          .statusCode,
        404,
      );
      const betaKey = (
        await json(ADMIN_TOKEN, 'POST', '/v1/tenants/beta/keys', { name: 'b', scopes: ['events:read'] })
      ).json<Credential>();
      assert.equal((await json(admin, 'DELETE', `/v1/tenants/beta/keys/${betaKey.id}`)).statusCode, 404);
      assert.equal((await json(admin, 'DELETE', `/v1/tenants/acme/keys/${betaKey.id}`)).statusCode, 404);
      assert.equal(
        (await t.call(betaKey.secret ?? '', { method: 'GET', url: '/v1/events' })).statusCode,
        200,
      );
    });
  });

  describe('OAuth client credentials', () => {
    let client: Credential;
    before(async () => {
      const res = await json(ADMIN_TOKEN, 'POST', '/v1/tenants/acme/oauth-clients', {
        name: 'exporter',
        scopes: ['events:read', 'events:write'],
      });
      assert.equal(res.statusCode, 201);
      client = res.json<Credential>();
    });
    const basic = (id: string, secret: string) =>
      `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
    const token = (payload: string | object, headers: Record<string, string> = {}) =>
      t.app.inject({ method: 'POST', url: '/oauth/token', payload, headers });

    it('issues a bearer JWT for HTTP Basic with a form body, usable on the API', async () => {
      const res = await token('grant_type=client_credentials', {
        authorization: basic(client.client_id ?? '', client.client_secret ?? ''),
        'content-type': 'application/x-www-form-urlencoded',
      });
      assert.equal(res.statusCode, 200, res.body);
      const body = res.json<{ access_token: string; token_type: string; expires_in: number }>();
      assert.equal(body.token_type, 'bearer');
      assert.equal(body.expires_in, 3600);
      assert.equal(res.headers['cache-control'], 'no-store');
      const header = JSON.parse(Buffer.from(body.access_token.split('.')[0] ?? '', 'base64url').toString());
      assert.equal(header.alg, 'HS256');
      assert.equal((await t.call(body.access_token, { method: 'GET', url: '/v1/events' })).statusCode, 200);
      assert.equal(
        (await t.call(body.access_token, { method: 'GET', url: '/v1/tenants/acme/keys' })).statusCode,
        403,
      );
    });

    it('accepts client credentials in a JSON body, and narrows scopes on request', async () => {
      const res = await token({
        grant_type: 'client_credentials',
        client_id: client.client_id,
        client_secret: client.client_secret,
        scope: 'events:read',
      });
      assert.equal(res.statusCode, 200, res.body);
      const narrowed = res.json<{ access_token: string }>().access_token;
      assert.equal(
        (await t.call(narrowed, { method: 'POST', url: '/v1/events', payload: event() })).statusCode,
        403,
      );
      const wider = await token({
        grant_type: 'client_credentials',
        client_id: client.client_id,
        client_secret: client.client_secret,
        scope: 'tenant:admin',
      });
      assert.equal(wider.statusCode, 403);
      assert.equal(wider.json<{ error: string }>().error, 'invalid_scope');
    });

    it('answers OAuth errors for bad clients and grants', async () => {
      const wrong = await token('grant_type=client_credentials', {
        authorization: basic(client.client_id ?? '', 'nope'),
        'content-type': 'application/x-www-form-urlencoded',
      });
      assert.equal(wrong.statusCode, 401);
      assert.equal(wrong.json<{ error: string }>().error, 'invalid_client');
      assert.equal((await token({ grant_type: 'client_credentials' })).statusCode, 401);
      const grant = await token({
        grant_type: 'password',
        client_id: client.client_id,
        client_secret: client.client_secret,
      });
      assert.equal(grant.statusCode, 400);
      assert.equal(grant.json<{ error: string }>().error, 'unsupported_grant_type');
      const key = await t.key('acme', ['events:read']);
      const keyAsClient = await token({
        grant_type: 'client_credentials',
        client_id: key.split('_').slice(1, 3).join('_'),
        client_secret: key,
      });
      assert.equal(keyAsClient.statusCode, 401, 'an API key is not an OAuth client');
    });

    it('refuses two authentication methods in one request (RFC 6749 §2.3) with invalid_request', async () => {
      const other = (
        await json(ADMIN_TOKEN, 'POST', '/v1/tenants/beta/oauth-clients', {
          name: 'other',
          scopes: ['events:read'],
        })
      ).json<Credential>();
      const viaBasic = { authorization: basic(client.client_id ?? '', client.client_secret ?? '') };
      const twice = [
        { client_id: other.client_id, client_secret: other.client_secret },
        { client_secret: client.client_secret },
        { client_id: client.client_id, client_secret: client.client_secret },
        { client_id: other.client_id },
      ];
      for (const credentials of twice) {
        const res = await token({ grant_type: 'client_credentials', ...credentials }, viaBasic);
        assert.equal(res.statusCode, 400, `${Object.keys(credentials).join('+')}: ${res.body}`);
        const body = res.json<{ error: string; error_description: string }>();
        assert.equal(body.error, 'invalid_request');
        assert.match(body.error_description, /not both/);
      }
      // Naming the same client in the body only identifies it (§3.2.1): one method still.
      const named = await token({ grant_type: 'client_credentials', client_id: client.client_id }, viaBasic);
      assert.equal(named.statusCode, 200, named.body);
    });

    it('rejects forged, tampered and revoked tokens', async () => {
      const issued = (
        await token({
          grant_type: 'client_credentials',
          client_id: client.client_id,
          client_secret: client.client_secret,
        })
      ).json<{ access_token: string }>().access_token;
      const [h, p, s] = issued.split('.');
      const claims = JSON.parse(Buffer.from(p ?? '', 'base64url').toString());
      const otherTenant = Buffer.from(JSON.stringify({ ...claims, tnt: 'beta' })).toString('base64url');
      const none = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${p}.`;
      for (const bad of [`${h}.${otherTenant}.${s}`, none, `${h}.${p}.${s?.slice(0, -2)}xx`]) {
        assert.equal((await t.call(bad, { method: 'GET', url: '/v1/events' })).statusCode, 401, bad);
      }
      assert.equal(
        (await json(ADMIN_TOKEN, 'DELETE', `/v1/tenants/acme/oauth-clients/${client.id}`)).statusCode,
        204,
      );
      assert.equal(
        (await t.call(issued, { method: 'GET', url: '/v1/events' })).statusCode,
        401,
        'revoked client',
      );
    });

    it('lists OAuth clients apart from keys', async () => {
      const clients = (await json(ADMIN_TOKEN, 'GET', '/v1/tenants/acme/oauth-clients')).json<{
        data: Credential[];
      }>().data;
      assert.deepEqual(
        clients.map((c) => c.id),
        [client.id],
      );
      const keys = (await json(ADMIN_TOKEN, 'GET', '/v1/tenants/acme/keys')).json<{ data: Credential[] }>()
        .data;
      assert.ok(!keys.some((k) => k.id === client.id));
    });
  });
});
