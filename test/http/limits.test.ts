// @engines sqlite postgres
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { InjectOptions } from 'fastify';
import { ADMIN_TOKEN, event, startTestApp, type TestApp } from '../helpers/app.js';

/**
 * Limits that keep one client from holding the server: the per-credential rate limit (429 with
 * Retry-After, in each dialect's envelope), the cap on a tenant's unfinished jobs, header, body,
 * batch and page-size limits, and the header and idle deadlines a slow client runs into.
 */

const DIALECT_READS = {
  native: { method: 'GET', url: '/v1/events' },
  genesys: { method: 'POST', url: '/api/v2/audits/query/realtime', payload: { interval: 'x' } },
  zendesk: { method: 'GET', url: '/api/v2/audit_logs' },
  agilicus: { method: 'GET', url: '/v1/audits' },
  liveperson: {
    method: 'POST',
    url: '/api/account/acme/configuration/metadata/audit',
    payload: { query: '{ auditData { element } }' },
  },
} as const;

/** The 429 body of each dialect: its own envelope, saying what happened. */
const RATE_LIMITED: Record<keyof typeof DIALECT_READS, (body: Record<string, unknown>) => void> = {
  native: (b) => assert.equal((b.error as { code: string }).code, 'rate_limited'),
  genesys: (b) => assert.deepEqual([b.code, b.status], ['too.many.requests', 429]),
  zendesk: (b) => assert.equal(b.error, 'TooManyRequests'),
  agilicus: (b) => assert.equal(typeof b.error_message, 'string'),
  liveperson: (b) => assert.match((b.errors as { message: string }[])[0]?.message ?? '', /^Too many /),
};

describe('per-credential rate limit', () => {
  let t: TestApp;
  let key: string;
  before(async () => {
    t = await startTestApp({ TRAILKEEP_RATE_LIMIT: '3', TRAILKEEP_RATE_WINDOW: '60' });
    key = await t.tenantWithKey('acme');
  });
  after(() => t.close());

  for (const [dialect, request] of Object.entries(DIALECT_READS) as [keyof typeof DIALECT_READS, never][]) {
    it(`${dialect}: the request over the limit is a 429 with Retry-After in the dialect's envelope`, async () => {
      // A key of its own per dialect, so each starts with a full allowance.
      const own = await t.key('acme', ['events:read']);
      for (let i = 0; i < 3; i++) {
        const res = await t.call(own, request);
        assert.notEqual(res.statusCode, 429, `request ${i + 1} is within the limit`);
        assert.equal(res.headers['x-ratelimit-limit'], '3');
      }
      const limited = await t.call(own, request);
      assert.equal(limited.statusCode, 429, limited.body);
      const wait = Number(limited.headers['retry-after']);
      assert.ok(wait >= 1 && wait <= 60, `Retry-After ${limited.headers['retry-after']}`);
      RATE_LIMITED[dialect](limited.json());
    });
  }

  it('counts per credential: another key of the same tenant is not slowed', async () => {
    const a = await t.key('acme', ['events:read']);
    for (let i = 0; i < 4; i++) await t.call(a, DIALECT_READS.native);
    assert.equal((await t.call(a, DIALECT_READS.native)).statusCode, 429);
    assert.equal((await t.call(key, DIALECT_READS.native)).statusCode, 200);
  });

  it('counts an operator key on its own, and the tokens it mints per tenant', async () => {
    await t.call(ADMIN_TOKEN, { method: 'POST', url: '/v1/tenants', payload: { id: 'globex' } });
    const made = await t.call(ADMIN_TOKEN, {
      method: 'POST',
      url: '/v1/keys',
      payload: { name: 'saas', scopes: ['events:read'] },
    });
    const { id, secret } = made.json<{ id: string; secret: string }>();
    const mint = async (tenant: string) =>
      (
        await t.app.inject({
          method: 'POST',
          url: '/oauth/token',
          payload: { grant_type: 'client_credentials', client_id: id, client_secret: secret, tenant },
        })
      ).json<{ access_token: string }>().access_token;
    const [acme, globex] = [await mint('acme'), await mint('globex')];
    for (let i = 0; i < 3; i++) assert.equal((await t.call(acme, DIALECT_READS.native)).statusCode, 200);
    assert.equal((await t.call(acme, DIALECT_READS.native)).statusCode, 429);
    assert.equal((await t.call(globex, DIALECT_READS.native)).statusCode, 200, "another tenant's token");
    const direct = { ...DIALECT_READS.native, headers: { 'trailkeep-tenant': 'acme' } };
    for (let i = 0; i < 3; i++) assert.equal((await t.call(secret, direct)).statusCode, 200);
    assert.equal((await t.call(secret, direct)).statusCode, 429);
  });

  it('never limits the probes and the metrics scrape', async () => {
    for (let i = 0; i < 6; i++) {
      for (const url of ['/healthz', '/readyz', '/metrics']) {
        assert.equal((await t.app.inject({ method: 'GET', url })).statusCode, 200, url);
      }
    }
  });
});

describe('failed authentications per client address', () => {
  let t: TestApp;
  let key: string;
  before(async () => {
    t = await startTestApp({ TRAILKEEP_AUTH_FAILURES: '3', TRAILKEEP_RATE_WINDOW: '60' });
    key = await t.tenantWithKey('acme');
  });
  after(() => t.close());

  const BAD_KEY = 'tk_key_00000000000000000000_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx';
  const from = (address: string, authorization: string | null, request: InjectOptions) =>
    t.app.inject({
      ...request,
      remoteAddress: address,
      headers: authorization ? { authorization } : {},
    });
  const bearer = (secret: string) => `Bearer ${secret}`;

  let n = 0;
  for (const [dialect, request] of Object.entries(DIALECT_READS) as [keyof typeof DIALECT_READS, never][]) {
    it(`${dialect}: past the allowance, a credential from that address is a 429 in the dialect's envelope, before it is looked up`, async () => {
      const address = `192.0.2.${++n}`;
      for (let i = 0; i < 3; i++) {
        const res = await from(address, bearer(BAD_KEY), request);
        assert.equal(res.statusCode, 401, `failure ${i + 1} is answered as such`);
      }
      const limited = await from(address, bearer(BAD_KEY), request);
      assert.equal(limited.statusCode, 429, limited.body);
      const wait = Number(limited.headers['retry-after']);
      assert.ok(wait >= 1 && wait <= 60, `Retry-After ${limited.headers['retry-after']}`);
      RATE_LIMITED[dialect](limited.json());
      // Even a valid key that has not authenticated lately: telling it apart would take the
      // lookup the limit saves.
      const fresh = await t.key('acme', ['events:read']);
      assert.equal((await from(address, bearer(fresh), request)).statusCode, 429);
      assert.equal((await from(address, null, request)).statusCode, 401, 'no credential: nothing to look up');
      const elsewhere = await from('198.51.100.200', bearer(key), request);
      assert.notEqual(elsewhere.statusCode, 429, 'another address is not slowed');
      assert.notEqual(elsewhere.statusCode, 401);
      // A credential that has just authenticated is vouched for: a client sharing the guesser's
      // address (a NAT, a proxy) keeps working.
      const shared = await from(address, bearer(key), request);
      assert.notEqual(shared.statusCode, 429, shared.body);
      assert.notEqual(shared.statusCode, 401);
    });
  }

  it('counts every carrier of a credential, the token endpoint included; not successes', async () => {
    const address = '192.0.2.100';
    for (let i = 0; i < 10; i++) {
      assert.equal((await from(address, bearer(key), DIALECT_READS.native)).statusCode, 200);
    }
    const zendeskBasic = `Basic ${Buffer.from(`a@b.example/token:${BAD_KEY}`).toString('base64')}`;
    assert.equal((await from(address, zendeskBasic, DIALECT_READS.zendesk)).statusCode, 401);
    const token = (authorization: string | null, payload: object) =>
      from(address, authorization, {
        method: 'POST',
        url: '/oauth/token',
        payload: { grant_type: 'client_credentials', ...payload },
      });
    const badClient = await token(null, { client_id: 'cli_00000000000000000000', client_secret: 'x' });
    assert.equal(badClient.statusCode, 401);
    assert.equal((await from(address, bearer('not.a.jwt'), DIALECT_READS.genesys)).statusCode, 401);
    const limited = await token(null, { client_id: 'cli_00000000000000000000', client_secret: 'x' });
    assert.equal(limited.statusCode, 429, limited.body);
    assert.ok(Number(limited.headers['retry-after']) >= 1);
    assert.equal(limited.json<{ error: string }>().error, 'temporarily_unavailable');
    const fresh = await t.key('acme', ['events:read']);
    assert.equal((await from(address, bearer(fresh), DIALECT_READS.native)).statusCode, 429);
    // The key that authenticated ten times above is vouched for.
    assert.equal((await from(address, bearer(key), DIALECT_READS.native)).statusCode, 200);
  });

  it('a credential that fails (revoked) is no longer vouched for', async () => {
    const address = '192.0.2.101';
    const secret = await t.key('acme', ['events:read']);
    assert.equal((await from(address, bearer(secret), DIALECT_READS.native)).statusCode, 200);
    const id = /^tk_(key_[0-9a-f]{20})_/.exec(secret)?.[1] as string;
    const revoked = await t.call(ADMIN_TOKEN, { method: 'DELETE', url: `/v1/tenants/acme/keys/${id}` });
    assert.ok(revoked.statusCode < 300, revoked.body);
    for (let i = 0; i < 3; i++) {
      assert.equal((await from(address, bearer(secret), DIALECT_READS.native)).statusCode, 401);
    }
    assert.equal((await from(address, bearer(secret), DIALECT_READS.native)).statusCode, 429);
  });

  it('is off at 0', async () => {
    const off = await startTestApp({ TRAILKEEP_AUTH_FAILURES: '0' });
    try {
      for (let i = 0; i < 70; i++) {
        const res = await off.app.inject({
          ...DIALECT_READS.native,
          headers: { authorization: bearer(BAD_KEY) },
        });
        assert.equal(res.statusCode, 401);
      }
    } finally {
      await off.close();
    }
  });
});

describe('limits on requests and results', () => {
  let t: TestApp;
  let key: string;
  before(async () => {
    t = await startTestApp({ TRAILKEEP_TENANT_JOBS: '2', TRAILKEEP_JOB_WORKERS: '0' });
    key = await t.tenantWithKey('acme');
  });
  after(() => t.close());

  it('caps a tenant’s queued and running jobs: one more is a 429, another tenant is unaffected', async () => {
    for (let i = 0; i < 2; i++) {
      const res = await t.call(key, { method: 'POST', url: '/v1/exports', payload: { format: 'csv' } });
      assert.equal(res.statusCode, 202, res.body);
    }
    const over = await t.call(key, { method: 'POST', url: '/v1/exports', payload: { format: 'ndjson' } });
    assert.equal(over.statusCode, 429, over.body);
    assert.ok(Number(over.headers['retry-after']) > 0);
    assert.match(over.json<{ error: { message: string } }>().error.message, /2 queued or running jobs/);
    const genesys = await t.call(key, {
      method: 'POST',
      url: '/api/v2/audits/query',
      payload: { interval: '2026-01-01T00:00:00Z/2026-02-01T00:00:00Z', serviceName: 'Architect' },
    });
    assert.equal(genesys.statusCode, 429, genesys.body);
    assert.equal(genesys.json<{ code: string }>().code, 'too.many.requests');
    const other = await t.tenantWithKey('globex');
    const res = await t.call(other, { method: 'POST', url: '/v1/exports', payload: { format: 'csv' } });
    assert.equal(res.statusCode, 202, res.body);
  });

  it('refuses a batch over 1,000 events and a body over 8 MiB with 413, storing nothing', async () => {
    const batch = Array.from({ length: 1001 }, (_, i) => event({ id: `b${i}` }));
    const many = await t.call(key, { method: 'POST', url: '/v1/events', payload: { events: batch } });
    assert.equal(many.statusCode, 413, many.body);
    const huge = await t.call(key, {
      method: 'POST',
      url: '/v1/events',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ events: [event({ description: 'x'.repeat(9 * 1024 * 1024) })] }),
    });
    assert.equal(huge.statusCode, 413);
    assert.equal(huge.json<{ error: { code: string } }>().error.code, 'payload_too_large');
    const count = await t.call(key, { method: 'GET', url: '/v1/events/count' });
    assert.equal(count.json<{ count: number }>().count, 0);
  });

  it('caps page sizes in every dialect', async () => {
    const over = [
      { method: 'GET', url: '/v1/events?limit=1001' },
      { method: 'GET', url: '/v1/audits?limit=501' },
      { method: 'GET', url: '/api/v2/audit_logs?page[size]=101' },
      {
        method: 'POST',
        url: '/api/v2/audits/query/realtime',
        payload: { interval: '2026-01-01T00:00:00Z/2026-01-02T00:00:00Z', pageSize: 501 },
      },
    ] as const;
    for (const request of over) {
      const res = await t.call(key, request);
      assert.equal(res.statusCode, 400, `${request.url}: ${res.body}`);
    }
  });
});

describe('connections', () => {
  let t: TestApp;
  let port: number;
  before(async () => {
    t = await startTestApp({
      TRAILKEEP_HEADERS_TIMEOUT: '1',
      TRAILKEEP_IDLE_TIMEOUT: '1',
      // A live tail's heartbeat must come within the idle timeout (the configuration says so).
      TRAILKEEP_STREAM_HEARTBEAT: '0.5',
    });
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    port = (t.app.server.address() as { port: number }).port;
  });
  after(() => t.close());

  const open = async (): Promise<Socket> => {
    const socket = connect(port, '127.0.0.1');
    await once(socket, 'connect');
    return socket;
  };
  /** Resolves when the server ends the connection, with what it sent; rejects after `ms` (a hang guard). */
  const closed = (socket: Socket, ms = 15_000) =>
    new Promise<string>((resolve, reject) => {
      let received = '';
      const guard = setTimeout(() => reject(new Error('the server kept the connection open')), ms);
      socket.on('data', (d) => {
        received += d.toString();
      });
      socket.on('close', () => {
        clearTimeout(guard);
        resolve(received);
      });
      socket.on('error', () => {});
    });

  it('cuts off a slow-loris client that never finishes its headers', async () => {
    const socket = await open();
    const ended = closed(socket);
    socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n');
    let sent = 0;
    const drip = setInterval(() => {
      if (!socket.destroyed) socket.write(`X-Drip-${sent++}: 1\r\n`);
    }, 200);
    const answer = await ended.finally(() => clearInterval(drip));
    assert.ok(!answer.includes('200 OK'), 'the request was never served');
    assert.ok(sent >= 3, 'the client was still sending when it was cut off');
  });

  it('closes an idle keep-alive connection', async () => {
    const socket = await open();
    const ended = closed(socket);
    socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
    const answer = await ended;
    assert.match(answer, /^HTTP\/1\.1 200/, 'served, then closed once idle');
  });

  it('refuses headers over 16 KiB with 431', async () => {
    const res = await fetch(`http://127.0.0.1:${port}/healthz`, {
      headers: { 'x-big': 'y'.repeat(20 * 1024) },
    });
    assert.equal(res.status, 431);
  });
});

describe('browsers', () => {
  let closedApp: TestApp;
  let openApp: TestApp;
  before(async () => {
    closedApp = await startTestApp();
    openApp = await startTestApp({ TRAILKEEP_CORS_ORIGINS: 'https://app.example.com' });
  });
  after(async () => {
    await closedApp.close();
    await openApp.close();
  });

  const preflight = (t: TestApp, origin: string) =>
    t.app.inject({
      method: 'OPTIONS',
      url: '/v1/events',
      headers: {
        origin,
        'access-control-request-method': 'GET',
        'access-control-request-headers': 'authorization',
      },
    });

  it('CORS is closed unless origins are configured', async () => {
    const res = await preflight(closedApp, 'https://app.example.com');
    assert.equal(res.headers['access-control-allow-origin'], undefined);
    const get = await closedApp.call(ADMIN_TOKEN, {
      method: 'GET',
      url: '/v1/tenants',
      headers: { origin: 'https://evil.example' },
    });
    assert.equal(get.headers['access-control-allow-origin'], undefined);
  });

  it('a configured origin is allowed, any other is not', async () => {
    const ok = await preflight(openApp, 'https://app.example.com');
    assert.equal(ok.statusCode, 204);
    assert.equal(ok.headers['access-control-allow-origin'], 'https://app.example.com');
    const other = await preflight(openApp, 'https://evil.example');
    assert.notEqual(other.headers['access-control-allow-origin'], 'https://evil.example');
  });

  it('sends security headers with the API explorer’s HTML', async () => {
    const res = await closedApp.app.inject({ method: 'GET', url: '/docs/' });
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers['content-type']), /text\/html/);
    assert.match(String(res.headers['content-security-policy']), /frame-ancestors 'none'/);
    assert.equal(res.headers['x-content-type-options'], 'nosniff');
    assert.equal(res.headers['x-frame-options'], 'SAMEORIGIN');
    assert.equal(res.headers['referrer-policy'], 'no-referrer');
  });
});
