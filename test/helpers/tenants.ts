import type { TestApp } from './app.js';
import { DAY, HOUR, interval } from './intervals.js';
import { ingest, type JobJson, settled, until } from './jobs.js';

/**
 * Two tenants with data in every place a tenant has data (events of every category, a native
 * query job, a Genesys query job with its presigned download link, a CSV export, cursors of every
 * paged list) and every kind of credential, for tests that set one tenant against the other.
 *
 * Display fields of the second tenant's events (names, descriptions, change values, attribute
 * names, messages, context) carry `HIDDEN`, a string no test ever sends: a response to anyone
 * else that contains it has leaked that tenant's data, whatever the route and its format.
 */
export const HIDDEN = 'zq-hidden-b';

/**
 * Small redirect threshold so presigned links appear; no rate limits, because these suites send
 * thousands of requests from a few keys, many with bad credentials on purpose, all from one
 * address (test/http/limits.test.ts tests both limits).
 */
export const FIXTURE_ENV = {
  TRAILKEEP_GENESYS_REDIRECT_ROWS: '2',
  TRAILKEEP_RATE_LIMIT: '0',
  TRAILKEEP_AUTH_FAILURES: '0',
};

export interface TenantFixture {
  tenant: string;
  /** A key with events:read and events:write. */
  key: string;
  keyId: string;
  /** A key with tenant:admin only. */
  adminKey: string;
  /** An OAuth access token with events:read, and its client's id. */
  token: string;
  clientId: string;
  /** `Authorization` for the Zendesk dialect: Basic `{email}/token:{key}`. */
  basic: string;
  /** Client ids and seqs of the tenant's events, in ingest order. */
  eventIds: string[];
  seqs: number[];
  /** Filterable values that only this tenant's events have. */
  values: {
    actor: string;
    action: string;
    target: string;
    targetType: string;
    service: string;
    client: string;
    ip: string;
    session: string;
    trace: string;
    transaction: string;
    authEvent: string;
    attribute: string;
  };
  queryJob: string;
  genesysJob: string;
  exportJob: string;
  /** The export's download URL as the API gives it. */
  exportUrl: string;
  /** The Genesys `downloadUrl` (presigned) and its path with query. */
  downloadUrl: string;
  downloadPath: string;
  cursors: {
    events: string;
    queryResults: string;
    genesysResults: string;
    zendeskAfter: string;
    zendeskBefore: string;
  };
}

function eventsOf(tenant: string, n: number, hidden: string) {
  const v = (s: string) => `${tenant}-${s}`;
  const now = Date.now();
  return Array.from({ length: n }, (_, i) => ({
    id: `${tenant}-event-${i}`,
    occurred_at: new Date(now - (n - i) * HOUR).toISOString(),
    action: v('action'),
    category: i % 3 === 2 ? 'auth' : 'admin',
    service: v('service'),
    actor: { id: v('actor'), name: `${hidden} actor`, login: v('login'), type: 'user' },
    client: { id: v('client'), name: `${hidden} client` },
    source: {
      ip: [tenant.endsWith('a') ? '198.51.100.1' : '203.0.113.99'],
      session_id: v('session'),
      trace_id: v('trace'),
      request_id: v('request'),
      token_id: v('token'),
    },
    target: { type: v('type'), id: v('target'), name: `${hidden} target` },
    changes: [{ field: 'role', old: [`${hidden} old`], new: [`${hidden} new`] }],
    description: `${hidden} description`,
    message: { code: 'm', text: `${hidden} message` },
    transaction_id: v('transaction'),
    auth: { event: v('auth-event'), result: 'Success', login_org_name: `${hidden} org` },
    attributes: [{ type: v('attribute'), id: v('attribute-id'), name: `${hidden} attribute` }],
    context: { note: `${hidden} context` },
  }));
}

async function ok(t: TestApp, token: string | null, method: 'GET' | 'POST', url: string, payload?: object) {
  const res = await t.call(token, { method, url, ...(payload ? { payload } : {}) });
  if (res.statusCode >= 300) throw new Error(`${method} ${url}: ${res.statusCode} ${res.body}`);
  return res;
}

/**
 * Creates `tenant` with `events` events (display fields carrying `hidden`), credentials, jobs
 * and cursors. The app must run with FIXTURE_ENV and a job worker.
 */
export async function seedTenant(
  t: TestApp,
  tenant: string,
  events: number,
  hidden = `${tenant}-shown`,
): Promise<TenantFixture> {
  const key = await t.tenantWithKey(tenant, ['events:read', 'events:write']);
  const keyId = /^tk_(key_[0-9a-f]{20})_/.exec(key)?.[1] as string;
  const adminKey = await t.key(tenant, ['tenant:admin']);
  const token = await t.accessToken(tenant, ['events:read']);
  const clientId = JSON.parse(Buffer.from(token.split('.')[1] as string, 'base64url').toString())
    .sub as string;
  const basic = `Basic ${Buffer.from(`reader@${tenant}.example/token:${key}`).toString('base64')}`;
  const sent = eventsOf(tenant, events, hidden);
  const seqs = await ingest(t, key, sent);

  const queryJob = (await ok(t, key, 'POST', '/v1/queries', {})).json<JobJson>().id;
  await settled(t, key, `/v1/queries/${queryJob}`);
  const exportJob = (await ok(t, key, 'POST', '/v1/exports', { format: 'csv' })).json<JobJson>().id;
  const exported = await settled(t, key, `/v1/exports/${exportJob}`);

  const everything = interval(Date.now() - 30 * DAY, Date.now() + HOUR);
  const genesysJob = (
    await ok(t, key, 'POST', '/api/v2/audits/query', { interval: everything })
  ).json<JobJson>().id;
  await until(async () => {
    const res = await ok(t, key, 'GET', `/api/v2/audits/query/${genesysJob}`);
    return res.json<{ state: string }>().state === 'Succeeded';
  });
  const downloadUrl = (
    await ok(t, key, 'GET', `/api/v2/audits/query/${genesysJob}/results?allowRedirect=true`)
  ).json<{ downloadUrl: string }>().downloadUrl;
  const genesysPage = (
    await ok(t, key, 'GET', `/api/v2/audits/query/${genesysJob}/results?pageSize=1`)
  ).json<{ cursor: string }>();
  const eventsPage = (await ok(t, key, 'GET', '/v1/events?limit=1')).json<{ next_cursor: string }>();
  const resultsPage = (await ok(t, key, 'GET', `/v1/queries/${queryJob}/results?limit=1`)).json<{
    next_cursor: string;
  }>();
  const zendesk = (await ok(t, key, 'GET', '/api/v2/audit_logs?page[size]=1')).json<{
    meta: { after_cursor: string };
  }>();
  const zendeskNext = (
    await ok(
      t,
      key,
      'GET',
      `/api/v2/audit_logs?page[size]=1&page[after]=${encodeURIComponent(zendesk.meta.after_cursor)}`,
    )
  ).json<{ meta: { before_cursor: string } }>();

  const v = (s: string) => `${tenant}-${s}`;
  return {
    tenant,
    key,
    keyId,
    adminKey,
    token,
    clientId,
    basic,
    eventIds: sent.map((e) => e.id),
    seqs,
    values: {
      actor: v('actor'),
      action: v('action'),
      target: v('target'),
      targetType: v('type'),
      service: v('service'),
      client: v('client'),
      ip: tenant.endsWith('a') ? '198.51.100.1' : '203.0.113.99',
      session: v('session'),
      trace: v('trace'),
      transaction: v('transaction'),
      authEvent: v('auth-event'),
      attribute: v('attribute'),
    },
    queryJob,
    genesysJob,
    exportJob,
    exportUrl: exported.download_url as string,
    downloadUrl,
    downloadPath: downloadUrl.replace(/^https?:\/\/[^/]+/, ''),
    cursors: {
      events: eventsPage.next_cursor,
      queryResults: resultsPage.next_cursor,
      genesysResults: genesysPage.cursor,
      zendeskAfter: zendesk.meta.after_cursor,
      zendeskBefore: zendeskNext.meta.before_cursor,
    },
  };
}

/** Tenant A (6 events) and tenant B (9 events, so B has seqs A lacks; display fields carry HIDDEN). */
export async function seedTwoTenants(
  t: TestApp,
  prefix: string,
): Promise<{ a: TenantFixture; b: TenantFixture }> {
  const a = await seedTenant(t, `${prefix}-a`, 6);
  const b = await seedTenant(t, `${prefix}-b`, 9, HIDDEN);
  return { a, b };
}
