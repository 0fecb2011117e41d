// @engines sqlite postgres
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { loadConfig } from '../../src/config/config.js';
import { buildApp } from '../../src/http/app.js';
import { createServices } from '../../src/services/index.js';
import { openStore } from '../../src/store/open.js';
import { ADMIN_TOKEN, event, startTestApp, type TestApp, tempDir } from '../helpers/app.js';

describe('operations endpoints', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp();
  });
  after(async () => t.close());

  it('healthz and readyz answer without a credential', async () => {
    const h = await t.app.inject({ method: 'GET', url: '/healthz' });
    assert.deepEqual([h.statusCode, h.json()], [200, { status: 'ok' }]);
    const r = await t.app.inject({ method: 'GET', url: '/readyz' });
    assert.deepEqual([r.statusCode, r.json()], [200, { status: 'ready' }]);
    assert.ok(r.headers['x-request-id']);
  });

  it('readyz reports not ready when the store is unreachable', async () => {
    const other = await startTestApp();
    await other.services.store.close();
    const r = await other.app.inject({ method: 'GET', url: '/readyz' });
    assert.equal(r.statusCode, 503);
    assert.deepEqual(r.json(), { status: 'unavailable' });
    // close() stops the worker and removes the test data; closing the store again is a no-op.
    await other.close();
  });

  it('exposes Prometheus metrics for ingest and queries', async () => {
    const key = await t.tenantWithKey('metrics');
    await t.call(key, { method: 'POST', url: '/v1/events', payload: { events: [event(), event()] } });
    await t.call(key, { method: 'GET', url: '/v1/events' });
    const res = await t.app.inject({ method: 'GET', url: '/metrics' });
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers['content-type']), /^text\/plain/);
    assert.match(res.body, /^trailkeep_events_ingested_total 2$/m);
    assert.match(res.body, /^trailkeep_ingest_duration_seconds_count 1$/m);
    assert.match(res.body, /^trailkeep_query_duration_seconds_count\{kind="list"\} 1$/m);
    assert.match(res.body, /trailkeep_http_request_duration_seconds_bucket\{.*route="\/v1\/events"/);
  });

  it('serves an OpenAPI document generated from the route schemas, and human docs', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/openapi.json' });
    assert.equal(res.statusCode, 200);
    const doc = res.json<{
      openapi: string;
      paths: Record<string, Record<string, { parameters?: { name: string }[] }>>;
    }>();
    assert.equal(doc.openapi, '3.1.0');
    for (const path of [
      '/v1/events',
      '/v1/events/count',
      '/v1/events/{id}',
      '/v1/tenants',
      '/v1/tenants/{tenant}/keys',
      '/oauth/token',
      '/v1/queries',
      '/v1/queries/{id}/results',
      '/v1/exports',
      '/v1/exports/{id}/download',
    ]) {
      assert.ok(doc.paths[path], path);
    }
    const params = doc.paths['/v1/events']?.get?.parameters?.map((p) => p.name) ?? [];
    for (const name of ['actor_id', 'action', 'q', 'cursor', 'limit', 'from', 'to'])
      assert.ok(params.includes(name), name);
    const docs = await t.app.inject({ method: 'GET', url: '/docs/' });
    assert.equal(docs.statusCode, 200);
    assert.match(docs.body, /swagger/i);
  });

  it('answers unknown routes with the native 404 envelope', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/v1/nothing-here' });
    assert.equal(res.statusCode, 404);
    assert.equal(res.json<{ error: { code: string } }>().error.code, 'not_found');
  });
});

describe('logs', () => {
  it('never contain a secret, even at trace level', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const tmp = tempDir();
    const config = loadConfig({ TRAILKEEP_DB: `${tmp.dir}/db.sqlite`, TRAILKEEP_ADMIN_TOKEN: ADMIN_TOKEN });
    const store = await openStore(config.TRAILKEEP_DB);
    const app = await buildApp(await createServices(config, store), {
      logger: pino({ level: 'trace' }, sink),
    });
    const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
    await app.inject({ method: 'POST', url: '/v1/tenants', headers: admin, payload: { id: 'acme' } });
    const key = (
      await app.inject({
        method: 'POST',
        url: '/v1/tenants/acme/keys',
        headers: admin,
        payload: { name: 'k', scopes: ['events:write'] },
      })
    ).json<{ secret: string }>().secret;
    const client = (
      await app.inject({
        method: 'POST',
        url: '/v1/tenants/acme/oauth-clients',
        headers: admin,
        payload: { name: 'c', scopes: ['events:read'] },
      })
    ).json<{ client_id: string; client_secret: string }>();
    const token = (
      await app.inject({
        method: 'POST',
        url: '/oauth/token',
        payload: {
          grant_type: 'client_credentials',
          client_id: client.client_id,
          client_secret: client.client_secret,
        },
      })
    ).json<{ access_token: string }>().access_token;
    await app.inject({
      method: 'POST',
      url: '/v1/events',
      headers: { authorization: `Bearer ${key}` },
      payload: event(),
    });
    await app.inject({ method: 'GET', url: '/v1/events', headers: { authorization: `Bearer ${token}` } });
    await app.inject({
      method: 'GET',
      url: '/v1/events',
      headers: { authorization: 'Bearer wrong-secret-value-123' },
    });
    await app.close();
    await store.close();
    tmp.remove();
    const log = lines.join('');
    assert.ok(lines.length > 10, 'the log was written');
    for (const secret of [ADMIN_TOKEN, key, client.client_secret, token, 'wrong-secret-value-123']) {
      assert.ok(!log.includes(secret), `secret ${secret.slice(0, 8)}… leaked into the log`);
    }
  });
});
