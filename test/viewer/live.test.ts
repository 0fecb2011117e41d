// @engines sqlite
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import type { TestApp } from '../helpers/app.js';
import { screenshot, type TestBrowser } from '../helpers/browser.js';
import { startViewerApp, type ViewerApp } from '../helpers/viewer-app.js';
import { sampleEvent, sampleEvents } from '../helpers/viewer-data.js';
import { until } from '../helpers/wait.js';

/**
 * The Live switch in Chromium against the real `GET /v1/events/stream`: a new event appears
 * within a second of being written, only if the search matches it, and after a dropped
 * connection the stream resumes where it was (Last-Event-ID), so none is missed or shown twice.
 */

describe('the viewer’s live tail', () => {
  let app: ViewerApp;
  let t: TestApp;
  let url: string;
  let key: string;
  let browser: TestBrowser;
  let next = 1_000;

  const rows = (page: Page) =>
    page.getByRole('table', { name: 'Audit events' }).locator('.body [role="row"]');
  const liveState = (page: Page) => page.locator('trailkeep-viewer .live-state');
  /** A new event, now, by Grace Hopper unless told otherwise. */
  const fresh = (over: Record<string, unknown> = {}) => ({
    ...sampleEvent(next++),
    occurred_at: new Date().toISOString(),
    ...over,
  });

  async function live(query = '') {
    const { page } = await browser.page();
    await page.goto(`${url}/viewer/${query}#token=${encodeURIComponent(key)}`);
    await rows(page).first().waitFor();
    const toggle = page.getByRole('switch', { name: 'Live' });
    await toggle.click();
    assert.equal(await toggle.getAttribute('aria-checked'), 'true');
    await liveState(page).filter({ hasText: 'Connected' }).waitFor();
    return page;
  }

  before(async () => {
    app = await startViewerApp();
    ({ t, url, browser } = app);
    key = await t.tenantWithKey('acme');
    await app.ingest(key, sampleEvents(300));
  });
  after(async () => {
    await app?.close();
  });

  it('shows a new event within a second of its being written', async () => {
    const page = await live();
    const event = fresh({ id: 'live-1', action: 'user.live_check' });
    const written = Date.now();
    await app.ingest(key, [event]);
    await rows(page)
      .first()
      .locator('.action')
      .filter({ hasText: 'user.live_check' })
      .waitFor({ timeout: 1_000 });
    const ms = Date.now() - written;
    assert.ok(ms < 1_000, `${ms} ms`);
    await liveState(page).filter({ hasText: '1 new' }).waitFor();
    await screenshot(page, 'live');
    await page.getByRole('switch', { name: 'Live' }).click();
    assert.equal(await page.getByRole('switch', { name: 'Live' }).getAttribute('aria-checked'), 'false');
  });

  it('follows the search: an event it does not match never appears', async () => {
    const page = await live('?q=outcome%3Afailure');
    await app.ingest(key, [fresh({ id: 'live-ok', action: 'live.success', outcome: 'success' })]);
    await app.ingest(key, [fresh({ id: 'live-ko', action: 'live.failure', outcome: 'failure' })]);
    await rows(page)
      .first()
      .locator('.action')
      .filter({ hasText: 'live.failure' })
      .waitFor({ timeout: 2_000 });
    const actions = await rows(page).locator('.action').allInnerTexts();
    assert.ok(!actions.includes('live.success'), actions.join());
  });

  it('resumes after a dropped connection with Last-Event-ID: nothing missed, nothing twice', async () => {
    const page = await live();
    const resumed: (string | undefined)[] = [];
    page.on('request', (r) => {
      if (r.url().includes('/v1/events/stream')) resumed.push(r.headers()['last-event-id']);
    });
    // Every connection of the server dropped, the stream's among them; events written meanwhile.
    t.app.server.closeAllConnections();
    await app.ingest(key, [
      fresh({ id: 'live-gap-1', action: 'live.gap_one' }),
      fresh({ id: 'live-gap-2', action: 'live.gap_two' }),
    ]);
    await until(
      async () => (await rows(page).locator('.action').allInnerTexts()).includes('live.gap_two'),
      15_000,
      {
        what: 'the events written during the drop',
      },
    );
    const actions = await rows(page).locator('.action').allInnerTexts();
    assert.equal(actions.filter((a) => a === 'live.gap_one').length, 1);
    assert.equal(actions.filter((a) => a === 'live.gap_two').length, 1);
    assert.ok(
      resumed.some((id) => id !== undefined && /^\d+$/.test(id)),
      `reconnected with ${resumed.join()}`,
    );
  });
});
