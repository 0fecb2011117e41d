// @engines sqlite postgres
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { ADMIN_TOKEN, event, startTestApp, type TestApp } from '../helpers/app.js';
import { DAY, interval } from '../helpers/intervals.js';
import { until } from '../helpers/wait.js';
import { loadGenesysSdk } from './sdk.js';

/**
 * The official Genesys SDK (purecloud-platform-client-v2) cannot send Trailkeep-Tenant, so a
 * SaaS backend holding an operator key mints a tenant-bound token for it (over real HTTP, as
 * the backend would) and hands it to the SDK. Its own file: the SDK's ApiClient is a singleton.
 */
const { pc, client, home } = loadGenesysSdk();

type Obj = Record<string, unknown>;

describe('Genesys SDK with an access token minted by an operator key', () => {
  let t: TestApp;
  let base: string;
  let key: { id: string; secret: string };
  // biome-ignore lint/suspicious/noExplicitAny: the SDK's AuditApi, loaded as CommonJS.
  let audit: any;
  const lastDay = interval(Date.now() - DAY, Date.now() + DAY);

  before(async () => {
    t = await startTestApp();
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = t.app.server.address() as AddressInfo;
    base = `http://127.0.0.1:${port}`;
    client.setGateway({ host: '127.0.0.1', protocol: 'http', port });
    for (const id of ['acme', 'globex']) {
      await t.call(ADMIN_TOKEN, { method: 'POST', url: '/v1/tenants', payload: { id } });
    }
    const made = await t.call(ADMIN_TOKEN, {
      method: 'POST',
      url: '/v1/keys',
      payload: { name: 'saas backend', scopes: ['events:write', 'events:read'] },
    });
    key = made.json();
    // One batch, both tenants.
    const occurred_at = new Date(Date.now() - 3_600_000).toISOString();
    const res = await t.call(key.secret, {
      method: 'POST',
      url: '/v1/events',
      payload: {
        events: [
          ...['a1', 'a2', 'a3'].map((id) => event({ id, tenant: 'acme', occurred_at, action: 'Create' })),
          event({ id: 'g1', tenant: 'globex', occurred_at, action: 'Create' }),
        ],
      },
    });
    assert.equal(res.statusCode, 201, res.body);
    audit = new pc.AuditApi();
  });
  after(async () => {
    await t.close();
    home.remove();
  });

  test('the minted token reads the tenant’s audits, realtime and as a query job', async () => {
    const res = await fetch(`${base}/oauth/token`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${key.id}:${key.secret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ grant_type: 'client_credentials', tenant: 'acme', scope: 'events:read' }),
    });
    assert.equal(res.status, 200);
    client.setAccessToken(((await res.json()) as { access_token: string }).access_token);

    const realtime: Obj = await audit.postAuditsQueryRealtime({ interval: lastDay, pageSize: 100 });
    assert.deepEqual((realtime.entities as Obj[]).map((e) => e.id).sort(), ['a1', 'a2', 'a3']);

    const job: Obj = await audit.postAuditsQuery({ interval: lastDay });
    await until(async () => {
      const s: Obj = await audit.getAuditsQueryTransactionId(job.id);
      return s.state === 'Succeeded' ? s : null;
    });
    const results: Obj = await audit.getAuditsQueryTransactionIdResults(job.id, { pageSize: 100 });
    assert.deepEqual((results.entities as Obj[]).map((e) => e.id).sort(), ['a1', 'a2', 'a3']);
  });

  test('revoking the operator key ends the SDK’s access at once', async () => {
    const revoked = await t.call(ADMIN_TOKEN, { method: 'DELETE', url: `/v1/keys/${key.id}` });
    assert.equal(revoked.statusCode, 204);
    await assert.rejects(
      audit.postAuditsQueryRealtime({ interval: lastDay }),
      (err: Obj) => err.status === 401,
    );
  });
});
