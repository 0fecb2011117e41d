// @engines sqlite postgres
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { assertEnvelope, type Dialect } from '../helpers/envelopes.js';
import { settled, succeededGenesysQuery, until } from '../helpers/jobs.js';
import { bulkyEvents, ingestBulky, type PausedRequest, pausedRequest } from '../helpers/slow-client.js';

/**
 * Expensive reads (whole ranges, in-memory sorts, downloads) are limited per tenant and per
 * credential on a node (#17): one more is a 429 with Retry-After in the dialect's envelope, and
 * a slot is held until the answer has been sent whole or the connection closed, so a client
 * that stops reading a download keeps its slot and one that finishes or goes gives it back.
 * Slots are held here by real downloads whose clients stopped reading.
 */

const TENANT_SCANS = 3;
const CREDENTIAL_SCANS = 2;
const DAY = 86_400_000;
const recent = () => `${new Date(Date.now() - DAY).toISOString()}/${new Date(Date.now()).toISOString()}`;

/** One expensive read of each route flagged so, per dialect that has one. */
const EXPENSIVE: { dialect: Dialect; name: string; request: (ids: Ids) => InjectOptions }[] = [
  { dialect: 'native', name: 'export download', request: (ids) => get(`/v1/exports/${ids.export}/download`) },
  {
    dialect: 'genesys',
    name: 'realtime query',
    request: () => ({
      method: 'POST',
      url: '/api/v2/audits/query/realtime',
      payload: { interval: recent() },
    }),
  },
  {
    dialect: 'genesys',
    name: 'async results',
    request: (ids) => get(`/api/v2/audits/query/${ids.query}/results?pageSize=1`),
  },
  { dialect: 'genesys', name: 'service mapping', request: () => get('/api/v2/audits/query/servicemapping') },
  {
    dialect: 'liveperson',
    name: 'auditData',
    request: () => ({
      method: 'POST',
      url: '/api/account/acme/configuration/metadata/audit',
      payload: { query: '{ auditData(first: 1) { element } }' },
    }),
  },
];

interface Ids {
  export: string;
  query: string;
  /** The presigned download of the query's results (path and query string). */
  link: string;
}

const get = (url: string): InjectOptions => ({ method: 'GET', url });

function assertRefused(dialect: Dialect, res: LightMyRequestResponse, what: string) {
  assert.equal(res.statusCode, 429, `${what}: ${res.body}`);
  assert.equal(res.headers['retry-after'], '1', what);
  assertEnvelope(dialect, res, what);
}

describe('expensive reads: slots per tenant and per credential', () => {
  let t: TestApp;
  let port: number;
  let writer: string;
  let ids: Ids;
  let exportBytes: number;
  const held: PausedRequest[] = [];

  before(async () => {
    t = await startTestApp({
      TRAILKEEP_TENANT_SCANS: String(TENANT_SCANS),
      TRAILKEEP_CREDENTIAL_SCANS: String(CREDENTIAL_SCANS),
      TRAILKEEP_GENESYS_REDIRECT_ROWS: '1',
      TRAILKEEP_RATE_LIMIT: '0',
    });
    writer = await t.tenantWithKey('acme');
    await t.tenantWithKey('globex');
    // 250 events of 40 KB: a 10 MB export, more than the socket buffers take while unread.
    await ingestBulky(t, writer, bulkyEvents(250));
    const made = await t.call(writer, { method: 'POST', url: '/v1/exports', payload: { format: 'ndjson' } });
    const done = await settled(t, writer, `/v1/exports/${made.json<{ id: string }>().id}`);
    assert.equal(done.state, 'succeeded');
    const queryId = await succeededGenesysQuery(t, writer, '2026-01-01T00:00:00Z/2027-01-01T00:00:00Z');
    const large = await t.call(writer, get(`/api/v2/audits/query/${queryId}/results?allowRedirect=true`));
    const url = new URL(large.json<{ downloadUrl: string }>().downloadUrl);
    ids = { export: done.id, query: queryId, link: url.pathname + url.search };
    const file = await t.call(writer, get(`/v1/exports/${ids.export}/download`));
    exportBytes = file.rawPayload.length;
    const address = await t.app.listen({ port: 0, host: '127.0.0.1' });
    port = Number(new URL(address).port);
  });
  after(async () => {
    for (const h of held.splice(0)) h.destroy();
    await t.close();
  });

  /** A download of the export by `token` whose client stops reading: it holds a slot. */
  async function stalledDownload(token: string): Promise<PausedRequest> {
    const h = await pausedRequest(port, 'GET', `/v1/exports/${ids.export}/download`, {
      authorization: `Bearer ${token}`,
    });
    assert.equal(h.status, 200);
    held.push(h);
    return h;
  }
  const drop = (h: PausedRequest) => {
    h.destroy();
    held.splice(held.indexOf(h), 1);
  };
  /** Polls until `token`'s expensive read runs: the server has seen the closed downloads. */
  const runsAgain = (token: string) =>
    until(async () => (await t.call(token, EXPENSIVE[3]?.request(ids) as InjectOptions)).statusCode === 200);

  it('runs expensive reads one after another beyond the limits: each gives its slot back', async () => {
    const key = await t.key('acme', ['events:read']);
    for (let round = 0; round < TENANT_SCANS + 1; round++) {
      for (const e of EXPENSIVE) {
        const res = await t.call(key, e.request(ids));
        assert.equal(res.statusCode, 200, `${e.name}, round ${round}: ${res.body.slice(0, 200)}`);
      }
    }
  });

  it("refuses a credential's expensive read beyond its slots, in each dialect's envelope", async () => {
    const key = await t.key('acme', ['events:read']);
    const stalled = [await stalledDownload(key), await stalledDownload(key)];
    for (const e of EXPENSIVE) assertRefused(e.dialect, await t.call(key, e.request(ids)), e.name);
    // Only expensive reads are limited, and only for that credential: the tenant has a slot left.
    assert.equal((await t.call(key, get('/v1/events?limit=1'))).statusCode, 200);
    const other = await t.key('acme', ['events:read']);
    assert.equal((await t.call(other, EXPENSIVE[4]?.request(ids) as InjectOptions)).statusCode, 200);
    // Aborted downloads give their slots back.
    for (const h of stalled) drop(h);
    await runsAgain(key);
  });

  it("refuses a tenant's expensive read beyond its slots, whatever the credential; others are served", async () => {
    const keys = await Promise.all([1, 2, 3].map(() => t.key('acme', ['events:read'])));
    const [k1, k2, k3] = keys as [string, string, string];
    const stalled = [await stalledDownload(k1), await stalledDownload(k1), await stalledDownload(k2)];
    for (const e of EXPENSIVE) assertRefused(e.dialect, await t.call(k3, e.request(ids)), e.name);
    const globex = await t.key('globex', ['events:read']);
    assert.equal((await t.call(globex, get('/api/v2/audits/query/servicemapping'))).statusCode, 200);
    // Downloads read to their end give their slots back.
    for (const h of stalled) {
      const bytes = await h.readAll();
      assert.ok(bytes.length > exportBytes, `read ${bytes.length} of ${exportBytes} bytes and the head`);
      held.splice(held.indexOf(h), 1);
    }
    await runsAgain(k3);
  });

  it('counts a presigned download against its tenant and the client address', async () => {
    const link = async () => {
      const h = await pausedRequest(port, 'GET', ids.link);
      assert.equal(h.status, 200);
      held.push(h);
      return h;
    };
    const stalled = [await link(), await link()];
    // A third from the same address is one too many for it, in Genesys's envelope.
    assertRefused('genesys', await t.app.inject(get(ids.link)), 'third link download from one address');
    // Another address may still download, and the tenant's slots are what the links left.
    const elsewhere = await t.app.inject({ ...get(ids.link), remoteAddress: '192.0.2.7' });
    assert.equal(elsewhere.statusCode, 200);
    const key = await t.key('acme', ['events:read']);
    stalled.push(await stalledDownload(key));
    assertRefused(
      'liveperson',
      await t.call(key, EXPENSIVE[4]?.request(ids) as InjectOptions),
      'tenant full',
    );
    for (const h of stalled) drop(h);
    await runsAgain(key);
    assert.equal((await t.app.inject(get(ids.link))).statusCode, 200);
  });
});
