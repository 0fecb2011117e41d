import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { startTestApp, type TestApp } from './app.js';
import { launchBrowser, type TestBrowser } from './browser.js';
import { until } from './wait.js';

/**
 * What the viewer's browser tests share: a test app listening on a real socket (its URL with
 * 127.0.0.1, so a page on `localhost` is another origin), a way to load events, and one browser.
 */
export interface ViewerApp {
  t: TestApp;
  /** Where the app listens: `http://127.0.0.1:<port>`. */
  url: string;
  browser: TestBrowser;
  /** Stores `events` with `token`, in batches the API takes. */
  ingest(token: string, events: Record<string, unknown>[]): Promise<void>;
  close(): Promise<void>;
}

export async function startViewerApp(env: Record<string, string> = {}): Promise<ViewerApp> {
  const t = await startTestApp({ TRAILKEEP_RATE_LIMIT: '0', ...env });
  const url = (await t.app.listen({ port: 0, host: '127.0.0.1' })).replace('localhost', '127.0.0.1');
  const browser = await launchBrowser();
  return {
    t,
    url,
    browser,
    async ingest(token, events) {
      for (let at = 0; at < events.length; at += 1000) {
        const payload = { events: events.slice(at, at + 1000) };
        const res = await t.call(token, { method: 'POST', url: '/v1/events', payload });
        assert.equal(res.statusCode, 201, res.body);
      }
    },
    async close() {
      await browser.close();
      await t.close();
    },
  };
}

/** The viewer's results table, by the name assistive technology reads. */
export const eventsTable = (page: Page) => page.getByRole('table', { name: 'Audit events' });

/** The table's event rows (its header row left out). */
export const eventRows = (page: Page) => eventsTable(page).locator('.body [role="row"]');

/** The viewer's status line (what it loaded, or that it is loading). */
export const viewerStatus = (page: Page) => page.locator('trailkeep-viewer .foot');

/** Waits until the list has loaded: the status line says something, and not that it is loading. */
export const listSettled = (page: Page) =>
  until(async () => {
    const text = await viewerStatus(page).innerText();
    return text !== '' && !text.startsWith('Loading');
  });
