// @engines sqlite postgres
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { event, startTestApp } from '../helpers/app.js';
import { settled } from '../helpers/jobs.js';

const forwarded = { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'audit.example.com' };

/** The absolute URL an export answers with, asked through a proxy's headers. */
async function downloadUrl(env: Record<string, string>): Promise<string> {
  const t = await startTestApp(env);
  try {
    const key = await t.tenantWithKey('acme');
    await t.call(key, { method: 'POST', url: '/v1/events', payload: event() });
    const made = await t.call(key, { method: 'POST', url: '/v1/exports', payload: { format: 'ndjson' } });
    assert.equal(made.statusCode, 202, made.body);
    const { id } = made.json<{ id: string }>();
    await settled(t, key, `/v1/exports/${id}`);
    const res = await t.call(key, { method: 'GET', url: `/v1/exports/${id}`, headers: forwarded });
    return res.json<{ download_url: string }>().download_url;
  } finally {
    await t.close();
  }
}

describe('TRAILKEEP_TRUST_PROXY', () => {
  it('by default ignores X-Forwarded-* headers a client could forge', async () => {
    assert.match(await downloadUrl({}), /^http:\/\/localhost(:80)?\/v1\/exports\//);
  });
  it('when set, builds absolute URLs from the proxy’s view of the request', async () => {
    assert.match(
      await downloadUrl({ TRAILKEEP_TRUST_PROXY: 'true' }),
      /^https:\/\/audit\.example\.com\/v1\/exports\//,
    );
  });
});
