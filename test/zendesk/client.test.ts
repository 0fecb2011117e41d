// @engines sqlite postgres
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { api, call } from '../helpers/api.js';
import { event, startTestApp, type TestApp } from '../helpers/app.js';
import { ingest } from '../helpers/jobs.js';
import { until } from '../helpers/wait.js';

/**
 * The Zendesk dialect driven by the real client, node-zendesk 6.0.1, over real HTTP. It has no
 * audit-log resource, so this uses the generic methods every resource client has.
 */
const { createClient } = createRequire(import.meta.url)('node-zendesk') as {
  // biome-ignore lint/suspicious/noExplicitAny: node-zendesk's typings do not describe the generic calls used here.
  createClient: (o: object) => any;
};

type Log = Record<string, unknown> & { id: number };
type Page = { audit_logs: Log[]; links?: { next: string | null }; next_page?: string | null; count?: number };

describe('Zendesk audit logs through node-zendesk', () => {
  let t: TestApp;
  let key: string;
  let endpointUri: string;
  // biome-ignore lint/suspicious/noExplicitAny: see createClient above.
  let zd: any;
  const N = 23;

  before(async () => {
    t = await startTestApp();
    key = await t.tenantWithKey('acme');
    await t.tenantWithKey('other');
    await ingest(
      t,
      key,
      Array.from({ length: N }, (_, i) =>
        event({
          occurred_at: new Date(Date.UTC(2026, 2, 1, 0, i)).toISOString(),
          action: i % 3 === 0 ? 'login' : 'update',
          actor: { id: String(7 + (i % 2)), name: 'Ada' },
          target: { type: i % 2 ? 'user' : 'ticket', id: String(1000 + i) },
        }),
      ),
    );
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    endpointUri = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}/api/v2`;
    zd = createClient({ username: 'ada@example.com', token: key, endpointUri });
  });
  after(() => t.close());

  it('walks every cursor page with getAll until links.next is null', async () => {
    const pages: Page[] = await zd.users.getAll(['audit_logs', { page: { size: 4 } }]);
    assert.equal(pages.length, Math.ceil(N / 4));
    const ids = pages.flatMap((p) => p.audit_logs.map((l) => l.id));
    assert.deepEqual(
      ids,
      Array.from({ length: N }, (_, i) => N - i),
    );
    assert.equal(pages.at(-1)?.links?.next, null);
  });

  it('walks ascending, filtered pages (the comma form of created_at)', async () => {
    const pages: Page[] = await zd.users.getAll([
      'audit_logs',
      {
        sort: 'created_at',
        page: { size: 2 },
        filter: { action: 'update', created_at: ['2026-03-01T00:05:00Z', '2026-03-01T00:12:00Z'] },
      },
    ]);
    const ids = pages.flatMap((p) => p.audit_logs.map((l) => l.id));
    // Minutes 5..12 inclusive are seqs 6..13; login events are every third (seq 1, 4, 7, 10, 13).
    assert.deepEqual(ids, [6, 8, 9, 11, 12]);
  });

  it('filters with repeated [] parameters through a raw query segment', async () => {
    const { result } = await zd.users.get([
      'audit_logs',
      '?filter[source_type]=user&filter[actor_id][]=8&filter[actor_id][]=9',
    ]);
    assert.ok(result.audit_logs.length > 0);
    for (const l of result.audit_logs as Log[]) {
      assert.equal(l.source_type, 'user');
      assert.equal(l.actor_id, 8);
    }
  });

  it('walks offset pages with getAll via next_page', async () => {
    const pages: Page[] = await zd.users.getAll(['audit_logs', { per_page: 10, page: 1 }]);
    assert.equal(pages.length, 3);
    assert.equal(pages[0]?.count, N);
    assert.equal(pages.flatMap((p) => p.audit_logs).length, N);
  });

  it('shows one audit log', async () => {
    const { result } = await zd.users.get(['audit_logs', 3]);
    assert.equal(result.audit_log.id, 3);
    assert.equal(result.audit_log.url, `${endpointUri}/audit_logs/3.json`);
    assert.equal(result.audit_log.action_label, 'Updated');
    assert.equal(result.audit_log.created_at, '2026-03-01T00:02:00Z');
  });

  it('authenticates with Bearer (oauth: true)', async () => {
    const bearer = createClient({ token: key, oauth: true, endpointUri });
    const { result } = await bearer.users.get(['audit_logs', { page: { size: 1 } }]);
    assert.equal(result.audit_logs.length, 1);
  });

  it('rejects errors as node-zendesk reports them', async () => {
    await assert.rejects(zd.users.get(['audit_logs', 999]), /Zendesk Error \(404\)/);
    await assert.rejects(zd.users.get(['audit_logs', { filter: { source_id: 5 } }]), /Zendesk Error \(400\)/);
    await assert.rejects(zd.users.get(['audit_logs', { page: { size: 500 } }]), /Zendesk Error \(400\)/);
    await assert.rejects(zd.users.get(['audit_logs', { per_page: 100, page: 101 }]), /Zendesk Error \(400\)/);
    const wrong = createClient({ username: 'ada@example.com', token: 'tk_wrong_token', endpointUri });
    await assert.rejects(wrong.users.get(['audit_logs']), /Zendesk Error \(401\)/);
    const other = createClient({
      username: 'o@example.com',
      token: await t.key('other', ['events:read']),
      endpointUri,
    });
    await assert.rejects(other.users.get(['audit_logs', 3]), /Zendesk Error \(404\)/);
    const writer = createClient({
      username: 'w@example.com',
      token: await t.key('acme', ['events:write']),
      endpointUri,
    });
    await assert.rejects(writer.users.get(['audit_logs']), /Zendesk Error \(403\)/);
  });

  it('exports: 202 with a Location, then 429 with Retry-After within the minute', async () => {
    const { response, result } = await zd.users.post([
      'audit_logs',
      'export',
      { filter: { action: 'login' } },
    ]);
    assert.equal(response.status, 202);
    assert.deepEqual(result, {});
    const location = response.headers.get('location') as string;
    assert.match(location, /\/v1\/exports\/[0-9a-f-]{36}$/);
    // node-zendesk returns (does not throw) an Error for any response with Retry-After.
    const again = await zd.users.post(['audit_logs', 'export']);
    assert.ok(again.result instanceof Error);
    assert.equal(again.result.statusCode, 429);
    assert.match(
      again.response.headers.get('zendesk-ratelimit-audit-logs-export'),
      /^total=1; remaining=0; resets=\d+$/,
    );
    // The CSV, once the job has run, holds the filtered events.
    const { origin, pathname } = new URL(location);
    const job = await until(async () => {
      const now = await api<{ state: string; download_url: string }>(origin, key, 'GET', pathname);
      return now.state === 'queued' || now.state === 'running' ? undefined : now;
    });
    assert.equal(job.state, 'succeeded');
    const download = new URL(job.download_url);
    const csv = await (await call(download.origin, key, 'GET', download.pathname + download.search)).text();
    assert.equal(csv.trim().split('\n').length, 1 + Math.ceil(N / 3));
  });
});
