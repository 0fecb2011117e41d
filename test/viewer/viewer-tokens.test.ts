// @engines sqlite
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { api } from '../helpers/api.js';
import type { TestApp } from '../helpers/app.js';
import { screenshot, type TestBrowser } from '../helpers/browser.js';
import { type HostPage, startHostPage } from '../helpers/host-page.js';
import { eventRows, eventsTable, startViewerApp, type ViewerApp } from '../helpers/viewer-app.js';
import { sampleEvents } from '../helpers/viewer-data.js';
import { until } from '../helpers/wait.js';

/**
 * The element as a SaaS product embeds it: its backend mints a viewer token for one customer's
 * user (POST /v1/viewer-tokens) and hands it to <trailkeep-viewer> on a page of its own origin.
 * Trailkeep has no CORS origin configured: viewer routes answer any origin for a viewer token.
 * Whatever the user searches, no event outside the token's filters reaches the page, and every
 * read is in the tenant's own log as an audit.log.view event of that user.
 */

const NARROWING = { target_type: 'ticket', target_id: '101' };
const USER = { id: 'cust-7', name: 'Customer Seven' };

interface Page1 {
  data: { id: string; actor: { id: string }; target?: { type?: string; id?: string }; context?: unknown }[];
}

describe('the element with a viewer token', () => {
  let t: TestApp;
  let trailkeep: string;
  let host: HostPage;
  let key: string;
  let browser: TestBrowser;
  let app: ViewerApp;

  const table = eventsTable;
  const rows = eventRows;
  const search = async (page: Page, query: string) => {
    await page.getByRole('searchbox', { name: 'Search' }).fill(query);
    await page.getByRole('searchbox', { name: 'Search' }).press('Enter');
  };
  /** What the key (which sees everything) finds for `query`: the events the page may show. */
  const count = async (query: string) =>
    (await api<Page1>(trailkeep, key, 'GET', `/v1/events?${query}&limit=1000`)).data.length;

  const mint = (body: Record<string, unknown>) =>
    api<{ token: string; expires_at: string }>(trailkeep, key, 'POST', '/v1/viewer-tokens', body);

  before(async () => {
    host = await startHostPage();
    app = await startViewerApp();
    ({ t, url: trailkeep, browser } = app);
    host.trailkeep = trailkeep;
    key = await t.tenantWithKey('acme');
    await app.ingest(key, sampleEvents(400));
  });
  after(async () => {
    await app?.close();
    await host?.close();
  });

  it('never shows an event outside the token’s filters, whatever is searched', async () => {
    const { token } = await mint({ actor: USER, filters: NARROWING });
    const narrowed = 'target_type=ticket&target_id=101';
    const all = await count(narrowed);
    assert.ok(all > 0 && all < (await count('target_type=ticket')), 'a strict subset of the tenant');

    const { page, errors } = await host.open(
      browser,
      `<trailkeep-viewer token="${token}"></trailkeep-viewer>`,
    );
    await rows(page).first().waitFor();
    assert.equal(await table(page).getAttribute('aria-rowcount'), String(all + 1));
    const shownTargets = async () => rows(page).locator('.target').allInnerTexts();
    assert.ok((await shownTargets()).every((x) => x.endsWith('(ticket/101)')));

    // A search within the narrowing narrows further.
    await search(page, 'actor:u-ada');
    const ada = await count(`${narrowed}&actor_id=u-ada`);
    assert.ok(ada > 0 && ada < all);
    await until(async () => (await table(page).getAttribute('aria-rowcount')) === String(ada + 1));
    assert.ok((await shownTargets()).every((x) => x.endsWith('(ticket/101)')));

    // A search for what lies outside it finds nothing, though the tenant has such events.
    assert.ok((await count('target_type=user')) > 0);
    await search(page, 'target:user');
    await until(async () => (await table(page).getAttribute('aria-rowcount')) === '1');
    assert.equal(await rows(page).count(), 0);
    assert.deepEqual(errors, []);
    await screenshot(page, 'element-viewer-token');
  });

  it('records every read as an audit.log.view event of the token’s user, with what was searched', async () => {
    const views = await api<Page1>(
      trailkeep,
      key,
      'GET',
      `/v1/events?action=audit.log.view&actor_id=${USER.id}&limit=1000`,
    );
    // The first page, then the two searches of the test before.
    assert.ok(views.data.length >= 3, `${views.data.length} views`);
    const contexts = views.data.map((e) => JSON.stringify(e.context));
    assert.ok(
      contexts.every((c) => c.includes('ticket') && c.includes('101')),
      'each names the narrowing',
    );
    assert.ok(
      contexts.some((c) => c.includes('u-ada')),
      'the search for actor:u-ada is among them',
    );
    assert.ok(views.data.every((e) => e.target?.type === 'audit_log'));
  });

  it('tells the host once its token has expired', async () => {
    // Long enough for the page to show its rows first on a loaded machine (with 2 s, a slow first
    // load met the 401 before any row and the wait for rows timed out), short enough to wait out.
    const { token, expires_at } = await mint({ actor: USER, filters: NARROWING, ttl_seconds: 5 });
    const { page } = await host.open(browser, `<trailkeep-viewer token="${token}"></trailkeep-viewer>`);
    await rows(page).first().waitFor();
    await until(async () => Date.now() > Date.parse(expires_at) + 1000, 10_000);
    await search(page, 'outcome:failure');
    await page.getByRole('alert').filter({ hasText: 'Session expired' }).waitFor();
    assert.equal(await rows(page).count(), 0, 'no rows stay on screen');
    const expired = (await host.events(page)).filter((e) => e.name === 'trailkeep-expired');
    assert.equal(expired.length, 1);
  });
});
