// @engines sqlite
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { api } from '../helpers/api.js';
import type { TestApp } from '../helpers/app.js';
import { screenshot, type TestBrowser } from '../helpers/browser.js';
import {
  eventRows,
  eventsTable,
  listSettled,
  startViewerApp,
  type ViewerApp,
  viewerStatus,
} from '../helpers/viewer-app.js';
import { sampleEvents } from '../helpers/viewer-data.js';
import { until } from '../helpers/wait.js';

/**
 * The page at /viewer/ signed in with a viewer token (POST /v1/viewer-tokens, docs/embedding.md)
 * in its fragment, in Chromium: a token narrowed to some events never shows another, whatever
 * the page asks (a search, a shared link to an event, an export), yet proves the events it shows
 * against the log; and its reads, recorded as audit.log.view events, are found with the query
 * language. The element on another origin with a viewer token is test/viewer/viewer-tokens.test.ts.
 */

const EVENTS = 600;
const ACTOR = { id: 'user-8812', name: 'Dana Ortiz' };
/** What the restricted token may see: the helpdesk's failures. */
const NARROWING = { service: 'helpdesk', outcome: 'failure' };

interface Listed {
  seq: number;
  id: string;
  service?: string;
  outcome?: string;
  action: string;
}

describe('the page with a viewer token', () => {
  let app: ViewerApp;
  let t: TestApp;
  let url: string;
  let key: string;
  let browser: TestBrowser;

  const mint = async (filters: Record<string, unknown> = NARROWING, ttl = 600) =>
    (
      await api<{ token: string; expires_at: string }>(url, key, 'POST', '/v1/viewer-tokens', {
        actor: ACTOR,
        filters,
        ttl_seconds: ttl,
      })
    ).token;

  /** Every event the tenant key lists for `query`. */
  async function listed(query: string): Promise<Listed[]> {
    const out: Listed[] = [];
    let next = `/v1/events?limit=1000&${query}`;
    for (;;) {
      const page = await api<{ data: Listed[]; next_cursor: string | null }>(url, key, 'GET', next);
      out.push(...page.data);
      if (!page.next_cursor) return out;
      next = `/v1/events?limit=1000&cursor=${encodeURIComponent(page.next_cursor)}`;
    }
  }

  const table = eventsTable;
  const rows = eventRows;
  const total = async (page: Page) => Number(await table(page).getAttribute('aria-rowcount')) - 1;
  const status = viewerStatus;
  const settled = listSettled;

  before(async () => {
    app = await startViewerApp({ TRAILKEEP_LOG_CHECKPOINT_INTERVAL: '0.2' });
    ({ t, url, browser } = app);
    key = await t.tenantWithKey('acme');
    await app.ingest(key, sampleEvents(EVENTS));
  });
  after(async () => {
    await app?.close();
  });

  it('a restricted token never shows other events: not in the list, a search, a shared link or an export', async () => {
    const token = await mint();
    const allowed = await listed('service=helpdesk&outcome=failure');
    assert.ok(allowed.length > 5 && allowed.length < EVENTS / 10, `${allowed.length} events allowed`);
    const allowedSeqs = new Set(allowed.map((e) => e.seq));
    const { page } = await browser.page();
    await page.goto(`${url}/viewer/#token=${encodeURIComponent(token)}`);
    await rows(page).first().waitFor();
    await settled(page);
    assert.equal(await total(page), allowed.length, 'exactly the narrowed events');
    const seqs = await rows(page).evaluateAll((els) => els.map((el) => Number(el.getAttribute('data-seq'))));
    assert.ok(
      seqs.every((s) => allowedSeqs.has(s)),
      'every row drawn is allowed',
    );
    await screenshot(page, 'tokens-restricted');

    // A search that would widen the token finds nothing: the server ANDs the token's filters in.
    const search = page.getByRole('searchbox', { name: 'Search' });
    await search.fill('outcome:success');
    await search.press('Enter');
    await status(page).filter({ hasText: 'No events match this search.' }).waitFor();
    await search.fill('action:ticket.*');
    await search.press('Enter');
    await page.waitForURL((u) => u.searchParams.get('q') === 'action:ticket.*');
    await settled(page);
    assert.equal(await total(page), allowed.filter((e) => e.action.startsWith('ticket.')).length);

    // A shared link to an event outside the token: not shown, as if it did not exist.
    const outside = (await listed('service=identity')).find((e) => !allowedSeqs.has(e.seq));
    assert.ok(outside);
    await page.goto(`${url}/viewer/?event=${outside.seq}`);
    await status(page)
      .filter({ hasText: /not found/i })
      .waitFor();
    assert.equal(await page.getByRole('dialog', { name: 'Event details' }).count(), 0);

    // An allowed event opens, and verifies: the token may read the log's key, checkpoint and proof.
    await page.goto(`${url}/viewer/`);
    await rows(page).first().click();
    const dialog = page.getByRole('dialog', { name: 'Event details' });
    await dialog.locator('[data-state="verified"]').waitFor({ timeout: 15_000 });
    await page.keyboard.press('Escape');

    // An export holds the allowed events only.
    await page.getByRole('button', { name: 'Export' }).click();
    await page.getByRole('button', { name: 'NDJSON', exact: true }).click();
    const link = page.getByRole('link', { name: /^Download trailkeep-export-/ });
    await link.waitFor({ timeout: 20_000 });
    const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
    const exported = readFileSync((await download.path()) as string, 'utf8')
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as Listed);
    assert.deepEqual(
      exported.map((e) => e.seq).sort((a, b) => a - b),
      [...allowedSeqs].sort((a, b) => a - b),
    );
  });

  it('records every read as an audit.log.view event of the token’s user, which the viewer shows', async () => {
    const before = (await listed(`action=audit.log.view&actor_id=${ACTOR.id}`)).length;
    const token = await mint();
    const { page } = await browser.page();
    await page.goto(`${url}/viewer/#token=${encodeURIComponent(token)}`);
    await rows(page).first().waitFor();
    await settled(page);
    const views = await until(async () => {
      const all = await listed(`action=audit.log.view&actor_id=${ACTOR.id}`);
      return all.length > before ? all : null;
    });
    const view = views[0] as Listed & {
      actor: { id: string; name: string };
      context: { route: string; narrowing: string };
    };
    assert.deepEqual({ id: view.actor.id, name: view.actor.name }, ACTOR);
    assert.equal(view.context.route, 'GET /v1/events');
    assert.deepEqual(JSON.parse(view.context.narrowing), NARROWING);
    // The viewer, signed in with the tenant key, finds them by the query language.
    const own = await browser.page();
    await own.page.goto(`${url}/viewer/?q=action%3Aaudit.log.view+actor%3A${ACTOR.id}#token=${key}`);
    await rows(own.page).first().waitFor();
    assert.deepEqual(await rows(own.page).first().locator('.actor').innerText(), ACTOR.name);
    await screenshot(own.page, 'tokens-views');
  });
});
