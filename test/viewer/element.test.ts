// @engines sqlite
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { api, call } from '../helpers/api.js';
import { ADMIN_TOKEN, type TestApp } from '../helpers/app.js';
import { screenshot, seriousViolations, type TestBrowser } from '../helpers/browser.js';
import { type HostPage, startHostPage } from '../helpers/host-page.js';
import { eventRows, eventsTable, startViewerApp, type ViewerApp } from '../helpers/viewer-app.js';
import { sampleEvents } from '../helpers/viewer-data.js';
import { until } from '../helpers/wait.js';

/**
 * <trailkeep-viewer> embedded in a host page served from another origin (a second HTTP server on
 * another port), loaded with one script tag from Trailkeep: it works with the host's credential,
 * keeps its styles to itself while taking the host's theme properties, narrows to the host's
 * fixed filters, leaves the host's URL alone, and tells the host when its token expired.
 */

const EVENTS = 400;

describe('the embeddable element', () => {
  let t: TestApp;
  let trailkeep: string;
  let host: HostPage;
  let key: string;
  let browser: TestBrowser;
  let app: ViewerApp;

  const opened = (element: string, style = '') => host.open(browser, element, style);
  const open = async (element: string, style = '') => (await opened(element, style)).page;
  const hostEvents = (page: Page) => host.events(page);

  const table = eventsTable;
  const rows = eventRows;

  before(async () => {
    host = await startHostPage();
    app = await startViewerApp({ TRAILKEEP_CORS_ORIGINS: host.url });
    ({ t, url: trailkeep, browser } = app);
    host.trailkeep = trailkeep;
    key = await t.tenantWithKey('acme');
    await app.ingest(key, sampleEvents(EVENTS));
  });
  after(async () => {
    await app?.close();
    await host?.close();
  });

  it('loads from Trailkeep with one script tag into a page of another origin, and lists events', async () => {
    const { page, errors } = await opened(`<trailkeep-viewer token="${key}"></trailkeep-viewer>`);
    await rows(page).first().waitFor();
    assert.notEqual(new URL(page.url()).origin, new URL(trailkeep).origin);
    assert.equal((await rows(page).count()) > 10, true);
    // The server defaults to where the script came from.
    const requests: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    await page.getByRole('searchbox', { name: 'Search' }).fill('actor:u-ada');
    await page.getByRole('searchbox', { name: 'Search' }).press('Enter');
    await until(() => requests.some((u) => u.startsWith(`${trailkeep}/v1/events?`)));
    assert.deepEqual(errors, []);
    await screenshot(page, 'element-host');
  });

  it('keeps its styles to itself, takes the host’s --trailkeep-* properties, and leaves the host’s URL alone', async () => {
    const page = await open(
      `<trailkeep-viewer token="${key}" theme="light"></trailkeep-viewer>`,
      'trailkeep-viewer { --trailkeep-accent: rgb(120, 20, 90); --trailkeep-font: monospace; height: 30rem; }',
    );
    await rows(page).first().waitFor();
    assert.ok(await rows(page).first().isVisible(), 'the host’s [role=row] rule does not reach inside');
    const search = page.getByRole('button', { name: 'Search', exact: true });
    const style = await search.evaluate((el) => {
      const s = el.ownerDocument.defaultView.getComputedStyle(el);
      return { background: s.backgroundColor, font: s.fontFamily };
    });
    assert.equal(style.background, 'rgb(120, 20, 90)', 'the host’s accent, not its red buttons');
    assert.equal(style.font, 'monospace');
    await page.getByRole('searchbox', { name: 'Search' }).fill('outcome:failure');
    await page.getByRole('searchbox', { name: 'Search' }).press('Enter');
    await until(async () => (await hostEvents(page)).some((e) => e.name === 'trailkeep-search'));
    assert.equal(new URL(page.url()).search, '?tab=audit', 'the host’s query string is untouched');
    const searched = (await hostEvents(page)).find((e) => e.name === 'trailkeep-search');
    assert.deepEqual(searched?.detail.params, [['outcome', 'failure']]);
    await rows(page).first().click();
    await page.getByRole('dialog', { name: 'Event details' }).waitFor();
    assert.equal(new URL(page.url()).search, '?tab=audit', 'opening an event does not touch it either');
    assert.ok((await hostEvents(page)).some((e) => e.name === 'trailkeep-open'));
    await page.keyboard.press('Escape');
  });

  it('narrows to the host’s fixed filters and its initial query, which a search cannot widen', async () => {
    const page = await open(
      `<trailkeep-viewer token="${key}" filters='{"target_type":"ticket","target_id":"101"}' query="outcome:success"></trailkeep-viewer>`,
    );
    await rows(page).first().waitFor();
    const want = await api<{ data: unknown[] }>(
      trailkeep,
      key,
      'GET',
      '/v1/events?target_type=ticket&target_id=101&outcome=success&limit=1000',
    );
    assert.equal(await table(page).getAttribute('aria-rowcount'), String(want.data.length + 1));
    const targets = await rows(page).locator('.target').allInnerTexts();
    assert.ok(
      targets.every((x) => x.endsWith('(ticket/101)')),
      targets.join(),
    );
    assert.equal(await page.getByRole('searchbox', { name: 'Search' }).inputValue(), 'outcome:success');
    await page.getByRole('searchbox', { name: 'Search' }).fill('target:user');
    await page.getByRole('searchbox', { name: 'Search' }).press('Enter');
    await page.getByRole('alert').filter({ hasText: 'fixed to its own target_type' }).waitFor();
  });

  it('tells the host its token expired, and takes a new one from the attribute', async () => {
    const made = await api<{ id: string; secret: string }>(
      trailkeep,
      ADMIN_TOKEN,
      'POST',
      '/v1/tenants/acme/keys',
      {
        name: 'embed',
        scopes: ['events:read'],
      },
    );
    const page = await open(`<trailkeep-viewer token="${made.secret}"></trailkeep-viewer>`);
    await rows(page).first().waitFor();
    assert.equal(
      (await call(trailkeep, ADMIN_TOKEN, 'DELETE', `/v1/tenants/acme/keys/${made.id}`)).status,
      204,
    );
    await page.getByRole('searchbox', { name: 'Search' }).press('Enter');
    await page.getByRole('alert').filter({ hasText: 'Session expired' }).waitFor();
    const expired = (await hostEvents(page)).filter((e) => e.name === 'trailkeep-expired');
    assert.equal(expired.length, 1, 'once');
    assert.equal(
      await page.getByRole('button', { name: 'Sign in again' }).count(),
      0,
      'the host signs in, not the element',
    );
    await screenshot(page, 'element-expired');
    // The host mints a new token and sets it.
    await page.locator('trailkeep-viewer').evaluate((el, token) => el.setAttribute('token', token), key);
    await rows(page).first().waitFor();
  });

  it('has no serious or critical axe-core violations inside a host page', async () => {
    const page = await open(`<trailkeep-viewer token="${key}" theme="dark"></trailkeep-viewer>`);
    await rows(page).first().waitFor();
    assert.deepEqual(await seriousViolations(page), []);
  });
});
