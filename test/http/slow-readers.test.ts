// @engines sqlite postgres
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { assertEnvelope } from '../helpers/envelopes.js';
import { settled, succeededGenesysQuery, until } from '../helpers/jobs.js';
import { bulkyEvents, ingestBulky, type PausedRequest, pausedRequest } from '../helpers/slow-client.js';

/**
 * Memory held for clients that do not read is bounded per tenant (#17: 160 connections that
 * never read their answers took the process from 1.4 to 6.3 GB). Real sockets whose clients stop
 * reading hold answers of about 10 MB in the server; once a tenant's unsent answers would pass
 * TRAILKEEP_UNSENT_BYTES, its next answer built in memory is a 429 in the dialect's envelope,
 * while other tenants are served, and the budget comes back when the clients read or go.
 */

const MIB = 1024 * 1024;
const BUDGET = 24 * MIB;
const PAGE = '/v1/events?limit=250';

describe('slow readers: unsent answers bounded per tenant', () => {
  let t: TestApp;
  let port: number;
  let acme: string;
  let globex: string;
  let exportId: string;
  let queryId: string;
  const held: PausedRequest[] = [];

  before(async () => {
    t = await startTestApp({ TRAILKEEP_UNSENT_BYTES: String(BUDGET), TRAILKEEP_RATE_LIMIT: '0' });
    acme = await t.tenantWithKey('acme');
    globex = await t.tenantWithKey('globex');
    await ingestBulky(t, acme, bulkyEvents(250, 'acme'));
    await ingestBulky(t, globex, bulkyEvents(250, 'globex'));
    const made = await t.call(acme, { method: 'POST', url: '/v1/exports', payload: { format: 'ndjson' } });
    exportId = made.json<{ id: string }>().id;
    assert.equal((await settled(t, acme, `/v1/exports/${exportId}`)).state, 'succeeded');
    queryId = await succeededGenesysQuery(t, acme, '2026-01-01T00:00:00Z/2027-01-01T00:00:00Z');
    const address = await t.app.listen({ port: 0, host: '127.0.0.1' });
    port = Number(new URL(address).port);
  });
  after(async () => {
    for (const h of held.splice(0)) h.destroy();
    await t.close();
  });

  /** A GET by `token` whose client stops reading once the answer has begun. */
  async function stalled(token: string, path: string): Promise<PausedRequest> {
    const h = await pausedRequest(port, 'GET', path, { authorization: `Bearer ${token}` });
    assert.equal(h.status, 200, path);
    held.push(h);
    return h;
  }
  const letGo = (h: PausedRequest) => held.splice(held.indexOf(h), 1);
  const page = (token: string, url = PAGE) => t.call(token, { method: 'GET', url });

  it('the answer past the budget is a 429 in the dialect’s envelope; other tenants are served', async () => {
    const big = await page(acme);
    assert.equal(big.statusCode, 200);
    const size = big.rawPayload.length;
    assert.ok(size > 8 * MIB && 2 * size <= BUDGET && 3 * size > BUDGET, `a page is ${size} bytes`);

    const first = await stalled(acme, PAGE);
    const second = await stalled(acme, PAGE);
    const refused = await page(acme);
    assert.equal(refused.statusCode, 429, refused.body.slice(0, 200));
    assert.equal(refused.headers['retry-after'], '1');
    assertEnvelope('native', refused, 'native page past the budget');
    assert.equal(refused.json<{ error: { code: string } }>().error.code, 'rate_limited');
    const genesys = await page(acme, `/api/v2/audits/query/${queryId}/results?pageSize=250`);
    assert.equal(genesys.statusCode, 429);
    assertEnvelope('genesys', genesys, 'Genesys results past the budget');
    // What still fits in the budget is answered.
    assert.equal((await page(acme, '/v1/events?limit=5')).statusCode, 200);
    // Another tenant has a budget of its own.
    assert.equal((await page(globex)).statusCode, 200);

    // A client that reads its answer to the end gives its bytes back …
    assert.ok((await first.readAll()).length > size, 'the whole answer was read');
    letGo(first);
    await until(async () => (await page(acme)).statusCode === 200);
    // … and so does one that goes away.
    second.destroy();
    letGo(second);
    const again = [await stalled(acme, PAGE), await stalled(acme, PAGE)];
    assert.equal((await page(acme)).statusCode, 429, 'the budget counts the new stalled answers');
    for (const h of again) {
      h.destroy();
      letGo(h);
    }
    await until(async () => (await page(acme)).statusCode === 200);
  });

  it('streamed answers are not counted: they wait on the socket, not in memory', async () => {
    // Two unread downloads of a 10 MB export leave the budget whole …
    const downloads = [
      await stalled(acme, `/v1/exports/${exportId}/download`),
      await stalled(acme, `/v1/exports/${exportId}/download`),
    ];
    const pages = [await stalled(acme, PAGE), await stalled(acme, PAGE)];
    // … so only the third answer built in memory is one too many.
    assert.equal((await page(acme)).statusCode, 429);
    for (const h of [...downloads, ...pages]) {
      h.destroy();
      letGo(h);
    }
    await until(async () => (await page(acme)).statusCode === 200);
  });
});
