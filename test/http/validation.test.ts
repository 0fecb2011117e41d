// @engines sqlite postgres
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { FULLY_CHECKED_BYTES, MAX_PROBLEMS } from '../../src/core/schema.js';
import { startTestApp, type TestApp } from '../helpers/app.js';

/**
 * Route validation (every dialect's bodies, query strings and parameters) names every problem of
 * an ordinary invalid request, and a vast one by its first problem: collecting a million errors
 * would hold the event loop for seconds (#17, finding 5).
 */
describe('route validation, bounded', () => {
  let t: TestApp;
  let key: string;
  before(async () => {
    t = await startTestApp();
    key = await t.tenantWithKey('acme');
  });
  after(() => t.close());

  const genesysQuery = (body: object) =>
    t.call(key, { method: 'POST', url: '/api/v2/audits/query', payload: body });
  const interval = '2026-01-01T00:00:00Z/2026-01-02T00:00:00Z';
  const badFilter = { property: 'NoSuchProperty', value: 'x' };

  it('names every problem of an invalid request of ordinary size', async () => {
    const res = await genesysQuery({ interval, filters: [badFilter, badFilter, badFilter] });
    assert.equal(res.statusCode, 400, res.body);
    const fields = res.json<{ details: { fieldName: string }[] }>().details.map((d) => d.fieldName);
    // Every item is named, each of them past its first.
    for (const i of [0, 1, 2])
      assert.ok(
        fields.some((f) => f.startsWith(`filters[${i}]`)),
        fields.join(),
      );
  });

  it('names a vast invalid request by its first problem, and says the rest are not listed', async () => {
    // 600 KB of JSON: under the body limit, 300,000 invalid items.
    const filters = Array(300_000).fill(0);
    const res = await genesysQuery({ interval, filters });
    assert.equal(res.statusCode, 400, res.body.slice(0, 500));
    const body = res.json<{ code: string; message: string; details: unknown[] }>();
    assert.equal(body.code, 'invalid.value');
    assert.ok(body.details.length <= 2, `${body.details.length} problems named`);
    assert.match(
      body.message,
      new RegExp(`more than ${FULLY_CHECKED_BYTES} bytes of JSON: its other problems are not listed`),
    );
  });

  it('refuses a body over 1 MiB on every route but ingest before reading it, in the dialect’s envelope', async () => {
    const res = await genesysQuery({ interval, filters: Array(1_000_000).fill(0) });
    assert.equal(res.statusCode, 413, res.body.slice(0, 500));
    assert.equal(res.json<{ code: string }>().code, 'request.entity.too.large');
  });

  it('caps the problems of a request under the bound that has very many', async () => {
    // 400 unknown filter keys in a body of a few KiB: all checked, MAX_PROBLEMS named, the rest counted.
    const filters: Record<string, string> = {};
    for (let i = 0; i < 400; i++) filters[`k${i}`] = 'x';
    const res = await t.call(key, { method: 'POST', url: '/v1/queries', payload: { filters } });
    assert.equal(res.statusCode, 400, res.body.slice(0, 500));
    const details = res.json<{ error: { details: { path: string; message: string }[] } }>().error.details;
    assert.equal(details.length, MAX_PROBLEMS + 1);
    assert.equal(details.at(-1)?.message, 'and 300 more problems');
  });

  it('a valid request is still coerced and defaulted as before', async () => {
    const res = await t.call(key, { method: 'GET', url: '/v1/events?limit=5&order=asc' });
    assert.equal(res.statusCode, 200, res.body);
    const listed = await t.call(key, { method: 'GET', url: '/api/v2/audit_logs?page[size]=2' });
    assert.equal(listed.statusCode, 200, listed.body);
  });
});
