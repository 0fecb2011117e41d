// @engines sqlite postgres
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { SignJWT } from 'jose';
import pg from 'pg';
import { loadConfig } from '../../src/config/config.js';
import { createLogger } from '../../src/http/log.js';
import { deriveKey } from '../../src/services/auth/secrets.js';
import { ADMIN_TOKEN, event, startTestApp, type TestApp, type TestData, testData } from '../helpers/app.js';
import { until } from '../helpers/jobs.js';

/**
 * Secrets: how they are made, kept and checked, and that none ever reaches a log line. The app
 * logs at `trace` into memory while a whole session runs through every dialect (credentials,
 * tokens, ingest, reads, an async query with a presigned download link, an export, failed
 * logins); then the log is searched for every secret the session saw.
 */
describe('secrets', () => {
  let data: TestData;
  let t: TestApp;
  const lines: string[] = [];
  const seen = new Set<string>([ADMIN_TOKEN]);

  before(async () => {
    data = await testData();
    const sink = new Writable({
      write(chunk, _enc, done) {
        lines.push(...String(chunk).split('\n').filter(Boolean));
        done();
      },
    });
    const logger = createLogger(loadConfig({ TRAILKEEP_LOG_LEVEL: 'trace' }), sink);
    t = await startTestApp({ TRAILKEEP_GENESYS_REDIRECT_ROWS: '1' }, data, { logger });
  });
  after(async () => {
    await t.close();
    await data.remove();
  });

  it('runs a whole session through every dialect', async () => {
    const key = await t.tenantWithKey('acme', ['events:write', 'events:read']);
    seen.add(key);
    const made = await t.call(ADMIN_TOKEN, {
      method: 'POST',
      url: '/v1/tenants/acme/oauth-clients',
      payload: { name: 'reader', scopes: ['events:read'] },
    });
    const { client_id, client_secret } = made.json<{ client_id: string; client_secret: string }>();
    seen.add(client_secret);
    const tokenRes = await t.app.inject({
      method: 'POST',
      url: '/oauth/token',
      payload: { grant_type: 'client_credentials', client_id, client_secret },
    });
    const token = tokenRes.json<{ access_token: string }>().access_token;
    seen.add(token);
    seen.add(token.split('.')[2] as string);

    const ingest = await t.call(key, {
      method: 'POST',
      url: '/v1/events',
      payload: {
        events: [event({ id: 'e1', service: 'Architect' }), event({ id: 'e2', service: 'Architect' })],
      },
    });
    assert.equal(ingest.statusCode, 201, ingest.body);

    const reads = [
      t.call(token, { method: 'GET', url: '/v1/events?limit=1' }),
      t.call(token, { method: 'GET', url: '/v1/audits' }),
      t.app.inject({
        method: 'GET',
        url: '/api/v2/audit_logs',
        headers: { authorization: `Basic ${Buffer.from(`ada@example.com/token:${key}`).toString('base64')}` },
      }),
      t.call(token, {
        method: 'POST',
        url: '/api/account/acme/configuration/metadata/audit',
        payload: { query: '{ auditData { element } }' },
      }),
    ];
    for (const res of await Promise.all(reads)) assert.equal(res.statusCode, 200, res.body);

    const query = await t.call(token, {
      method: 'POST',
      url: '/api/v2/audits/query',
      payload: { interval: '2026-01-01T00:00:00Z/2026-12-31T00:00:00Z', serviceName: 'Architect' },
    });
    assert.equal(query.statusCode, 200, query.body);
    const id = query.json<{ id: string }>().id;
    await until(
      async () =>
        (await t.call(token, { method: 'GET', url: `/api/v2/audits/query/${id}` })).json<{ state: string }>()
          .state === 'Succeeded',
    );
    const results = await t.call(token, {
      method: 'GET',
      url: `/api/v2/audits/query/${id}/results?allowRedirect=true`,
    });
    const downloadUrl = results.json<{ downloadUrl?: string }>().downloadUrl;
    assert.ok(downloadUrl, results.body);
    const link = new URL(downloadUrl);
    seen.add(link.searchParams.get('token') as string);
    const download = await t.app.inject({ method: 'GET', url: `${link.pathname}${link.search}` });
    assert.equal(download.statusCode, 200, download.body);

    const exp = await t.call(key, { method: 'POST', url: '/v1/exports', payload: { format: 'csv' } });
    const exportId = exp.json<{ id: string }>().id;
    await until(
      async () =>
        (await t.call(key, { method: 'GET', url: `/v1/exports/${exportId}` })).json<{ state: string }>()
          .state === 'succeeded',
    );
    assert.equal(
      (await t.call(key, { method: 'GET', url: `/v1/exports/${exportId}/download` })).statusCode,
      200,
    );

    // A viewer token, minted, used on a read (which records a view) and refused off its routes.
    const minted = await t.call(key, {
      method: 'POST',
      url: '/v1/viewer-tokens',
      payload: { actor: { id: 'ada' }, filters: { service: 'Architect' } },
    });
    const viewer = minted.json<{ token: string }>().token;
    seen.add(viewer);
    seen.add(viewer.split('.')[2] as string);
    assert.equal((await t.call(viewer, { method: 'GET', url: '/v1/events' })).statusCode, 200);
    assert.equal((await t.call(viewer, { method: 'GET', url: '/api/v2/audit_logs' })).statusCode, 403);

    // Near misses of real secrets are secrets too: a typo in a real key must not be logged.
    const typo = `${key.slice(0, -1)}${key.endsWith('A') ? 'B' : 'A'}`;
    seen.add(typo);
    assert.equal((await t.call(typo, { method: 'GET', url: '/v1/events' })).statusCode, 401);
    const badLogin = await t.app.inject({
      method: 'POST',
      url: '/oauth/token',
      payload: { grant_type: 'client_credentials', client_id, client_secret: `${client_secret}x` },
    });
    assert.equal(badLogin.statusCode, 401);
    seen.add(`${client_secret}x`);
    seen.add(t.services.secrets.serverSecret);
  });

  it('no log line holds any of them, though the log saw every request', () => {
    assert.ok(lines.length > 30, `${lines.length} log lines`);
    assert.ok(
      lines.some((l) => l.includes('/download?token=%5Bredacted%5D')),
      'the presigned link was requested, and logged without its token',
    );
    assert.ok(
      lines.some((l) => l.includes('"component":"jobs"')),
      'the job worker logged into the same log',
    );
    assert.ok(seen.size >= 9);
    for (const secret of seen) {
      const leaks = lines.filter((l) => l.includes(secret));
      assert.deepEqual(leaks, [], `a secret (${secret.slice(0, 6)}…) reached the log`);
    }
  });

  it('key secrets carry 256 random bits and are stored only as their SHA-256', async () => {
    const key = await t.key('acme', ['events:read']);
    const random = /^tk_key_[0-9a-f]{20}_([\w-]{43})$/.exec(key)?.[1] as string;
    assert.equal(Buffer.from(random, 'base64url').length, 32);
    const hash = createHash('sha256').update(key).digest('hex');
    let stored: string;
    if (data.engine === 'sqlite') {
      // Every byte SQLite keeps: the database file and its write-ahead log.
      stored = readdirSync(data.dir)
        .filter((f) => f.startsWith('trailkeep.db'))
        .map((f) => readFileSync(join(data.dir, f)).toString('latin1'))
        .join('');
    } else {
      const client = new pg.Client({ connectionString: t.config.TRAILKEEP_DB });
      await client.connect();
      const rows = await client.query('SELECT * FROM credentials');
      await client.end();
      stored = JSON.stringify(rows.rows);
    }
    assert.ok(stored.includes(hash), 'the hash is kept');
    for (const secret of [key, random, ADMIN_TOKEN])
      assert.ok(!stored.includes(secret), 'no plaintext secret');
  });

  it('pins the access-token algorithm: none, another HMAC and a foreign key are refused', async () => {
    const key = deriveKey(t.services.secrets.serverSecret, 'jwt');
    const made = await t.call(ADMIN_TOKEN, {
      method: 'POST',
      url: '/v1/tenants/acme/oauth-clients',
      payload: { name: 'alg', scopes: ['events:read'] },
    });
    const sub = made.json<{ client_id: string }>().client_id;
    const now = Math.floor(Date.now() / 1000);
    const claims = { tnt: 'acme', scope: 'events:read' };
    const sign = (alg: string, secret: Uint8Array) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg, typ: 'JWT' })
        .setIssuer('trailkeep')
        .setSubject(sub)
        .setIssuedAt(now)
        .setExpirationTime(now + 600)
        .sign(secret);
    const good = await sign('HS256', key);
    assert.equal((await t.call(good, { method: 'GET', url: '/v1/events' })).statusCode, 200, 'the control');
    const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const unsigned = `${b64({ alg: 'none', typ: 'JWT' })}.${good.split('.')[1]}.`;
    const forged = [unsigned, await sign('HS512', key), await sign('HS256', Buffer.alloc(32, 7))];
    for (const token of forged) {
      assert.equal((await t.call(token, { method: 'GET', url: '/v1/events' })).statusCode, 401);
    }
  });
});
