// @engines sqlite
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { api, call } from '../helpers/api.js';
import { ADMIN_TOKEN, type TestApp } from '../helpers/app.js';
import { focusedAttribute, screenshot, seriousViolations, type TestBrowser } from '../helpers/browser.js';
import {
  eventRows,
  eventsTable,
  listSettled,
  startViewerApp,
  type ViewerApp,
  viewerStatus,
} from '../helpers/viewer-app.js';
import { sampleEvents } from '../helpers/viewer-data.js';

/**
 * The page at /viewer/ in Chromium, against a real server over a real socket, driven by the
 * names assistive technology reads: sign-in, search with the query language and the chips, the
 * URL that restores a search, paging through thousands of rows, the keyboard, the details and
 * their verified mark, export, an expired credential, axe-core in both themes and on a phone.
 */

const EVENTS = 3_000;

describe('the viewer page', () => {
  let t: TestApp;
  let url: string;
  let key: string;
  let browser: TestBrowser;
  let app: ViewerApp;

  /** The events the API lists for `query` (a query string), every page of them. */
  async function listed(query: string): Promise<Record<string, unknown>[]> {
    const out: Record<string, unknown>[] = [];
    let next = `/v1/events?limit=1000&${query}`;
    for (;;) {
      const page = await api<{ data: Record<string, unknown>[]; next_cursor: string | null }>(
        url,
        key,
        'GET',
        next,
      );
      out.push(...page.data);
      if (!page.next_cursor) return out;
      next = `/v1/events?limit=1000&cursor=${encodeURIComponent(page.next_cursor)}`;
    }
  }

  const table = eventsTable;
  const bodyRows = eventRows;
  const search = (page: Page) => page.getByRole('searchbox', { name: 'Search' });
  const status = viewerStatus;

  /** The rows of the whole result once every page is loaded (aria-rowcount counts the header). */
  const total = async (page: Page) => Number(await table(page).getAttribute('aria-rowcount')) - 1;

  /** The cells of the rows drawn (the virtualizer draws those in view), as text: [time, actor, action, target, outcome][]. */
  async function cells(page: Page): Promise<string[][]> {
    const rows = await bodyRows(page).all();
    return Promise.all(
      rows.map(async (r) => (await r.getByRole('cell').allInnerTexts()).map((c) => c.trim())),
    );
  }

  async function signedIn(options: Parameters<TestBrowser['page']>[0] = {}, path = '/viewer/') {
    const opened = await browser.page(options);
    await opened.page.goto(`${url}${path}#token=${encodeURIComponent(key)}`);
    await bodyRows(opened.page).first().waitFor();
    return opened;
  }

  async function runQuery(page: Page, query: string) {
    await search(page).fill(query);
    await search(page).press('Enter');
    await page.waitForURL((u) => u.searchParams.get('q') === query);
    await assertSettled(page);
  }

  const assertSettled = listSettled;

  before(async () => {
    app = await startViewerApp({ TRAILKEEP_LOG_CHECKPOINT_INTERVAL: '0.2' });
    ({ t, url, browser } = app);
    key = await t.tenantWithKey('acme');
    await app.ingest(key, sampleEvents(EVENTS));
    // Another tenant's events, which no search of acme may show.
    const other = await t.tenantWithKey('globex');
    await app.ingest(
      other,
      sampleEvents(50).map((e) => ({ ...e, action: 'globex.secret' })),
    );
  });
  after(async () => {
    await app?.close();
  });

  it('signs in from the URL fragment, which leaves the address bar, and keeps the session on reload', async () => {
    const { page, errors } = await signedIn();
    assert.equal(new URL(page.url()).hash, '', 'the token is gone from the address bar');
    assert.equal(await page.evaluate('sessionStorage.length'), 1, 'kept in the tab’s session');
    const newest = await api<{ data: { action: string }[] }>(url, key, 'GET', '/v1/events?limit=1');
    assert.equal((await cells(page))[0]?.[2], newest.data[0]?.action, 'newest first');
    await page.reload();
    await bodyRows(page).first().waitFor();
    assert.equal(new URL(page.url()).hash, '');
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('textbox', { name: 'API key or access token' }).waitFor();
    assert.equal(await page.evaluate('sessionStorage.length'), 0, 'forgotten on sign-out');
    await screenshot(page, 'page-sign-in');
    // History holds no entry with the token: back leads out of the page.
    await page.goBack();
    assert.equal(page.url(), 'about:blank');
    assert.deepEqual(errors, []);
  });

  it('signs in with the form, and says so when the server refuses the credential', async () => {
    const { page } = await browser.page();
    await page.goto(`${url}/`);
    assert.equal(new URL(page.url()).pathname, '/viewer/', '/ redirects to the viewer');
    const input = page.getByRole('textbox', { name: 'API key or access token' });
    await input.fill('tk_nope_nope');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'The server refused this credential' }).waitFor();
    await input.fill(key);
    await input.press('Enter');
    await bodyRows(page).first().waitFor();
  });

  it('searches with the query language: the rows shown match, and only they', async () => {
    const { page } = await signedIn();
    await runQuery(page, 'actor:u-ada action:user.* outcome:failure');
    const want = await listed('actor_id=u-ada&action_prefix=user.&outcome=failure');
    assert.ok(want.length > 10 && want.length < 25, `${want.length} matching events, all drawn at once`);
    const rows = await cells(page);
    assert.equal(rows.length, want.length);
    assert.equal(await total(page), want.length);
    for (const [, actor, action, , outcome] of rows) {
      assert.equal(actor, 'Ada Lovelace');
      assert.match(action ?? '', /^user\./);
      assert.equal(outcome, 'failure');
    }
    assert.match(await status(page).innerText(), new RegExp(`^${want.length} events\\.`));
    // One chip per term.
    const chips = page.getByRole('list', { name: 'Search terms' }).getByRole('button');
    assert.deepEqual(await chips.allInnerTexts(), ['actor:u-ada×', 'action:user.*×', 'outcome:failure×']);
    await screenshot(page, 'page-search');
  });

  it('removes a term with its chip, by click or Delete, and widens the search', async () => {
    const { page } = await signedIn();
    await runQuery(page, 'actor:u-ada outcome:failure target:ticket');
    const narrow = await total(page);
    assert.equal(narrow, (await listed('actor_id=u-ada&outcome=failure&target_type=ticket')).length);
    await page.getByRole('button', { name: 'Remove target:ticket' }).click();
    await page.waitForURL((u) => u.searchParams.get('q') === 'actor:u-ada outcome:failure');
    await assertSettled(page);
    const wider = await total(page);
    assert.equal(wider, (await listed('actor_id=u-ada&outcome=failure')).length);
    assert.ok(wider > narrow);
    const drawn = await cells(page);
    assert.ok(drawn.every(([, actor, , , outcome]) => actor === 'Ada Lovelace' && outcome === 'failure'));
    // The focus is on the next chip: Delete removes it.
    const outcome = page.getByRole('button', { name: 'Remove outcome:failure' });
    await outcome.focus();
    await outcome.press('Delete');
    await page.waitForURL((u) => u.searchParams.get('q') === 'actor:u-ada');
    assert.equal(await search(page).inputValue(), 'actor:u-ada');
  });

  it('shows an unknown key or a bad date inline, and runs nothing', async () => {
    const { page } = await signedIn();
    const before = await cells(page);
    await search(page).fill('colour:red');
    await search(page).press('Enter');
    await page.getByRole('alert').filter({ hasText: 'Unknown filter “colour:”' }).waitFor();
    assert.equal(await search(page).getAttribute('aria-invalid'), 'true');
    await search(page).fill('after:yesterday');
    await page.getByRole('alert').filter({ hasText: 'after: needs a date' }).waitFor();
    assert.ok(before.length > 0);
  });

  it('restores a search from its URL, in either order, with a time-range preset', async () => {
    const { page } = await signedIn({}, '/viewer/?q=outcome%3Afailure+service%3Ahelpdesk&order=asc');
    assert.equal(await search(page).inputValue(), 'outcome:failure service:helpdesk');
    assert.equal(await page.getByRole('combobox', { name: 'Order' }).inputValue(), 'asc');
    const want = await listed('outcome=failure&service=helpdesk&order=asc');
    assert.equal(await total(page), want.length);
    const rows = await cells(page);
    const times = await bodyRows(page)
      .locator('time')
      .evaluateAll((ts) => ts.map((x) => x.getAttribute('datetime')));
    assert.deepEqual(
      times,
      want.slice(0, rows.length).map((e) => e.occurred_at),
      'oldest first',
    );
    assert.equal(await bodyRows(page).first().locator('time').getAttribute('title'), want[0]?.occurred_at);
    // Newest first, from the order control; the URL follows.
    await page.getByRole('combobox', { name: 'Order' }).selectOption('desc');
    await page.waitForURL((u) => !u.searchParams.has('order'));
    await assertSettled(page);
    assert.equal(
      await bodyRows(page).first().locator('time').getAttribute('datetime'),
      want.at(-1)?.occurred_at,
    );
    // The sample is in March 2026: the last 24 hours hold none of it.
    await page.getByRole('combobox', { name: 'Time range' }).selectOption('24h');
    await page.waitForURL((u) => u.searchParams.get('range') === '24h');
    await status(page).filter({ hasText: 'No events match this search.' }).waitFor();
    assert.equal(await bodyRows(page).count(), 0);
    // Back: the history restores the search before.
    await page.goBack();
    await page.waitForURL((u) => !u.searchParams.has('range'));
    await bodyRows(page).first().waitFor();
  });

  it('scrolls through thousands of rows, loading each next page as the end comes near', async () => {
    const { page } = await signedIn();
    assert.match(await status(page).innerText(), /^100 events shown; more load as you scroll/);
    const body = table(page).locator('.body');
    for (let i = 0; i < 200; i++) {
      const text = await status(page).innerText();
      if (text === `${EVENTS.toLocaleString('en-US')} events.`) break;
      await body.evaluate((el) => el.scrollTo({ top: el.scrollHeight }));
      await page.waitForTimeout(50);
    }
    assert.equal(await status(page).innerText(), '3,000 events.');
    assert.equal(await total(page), EVENTS);
    await body.evaluate((el) => el.scrollTo({ top: el.scrollHeight }));
    await bodyRows(page)
      .last()
      .and(page.locator(`[aria-rowindex="${EVENTS + 1}"]`))
      .waitFor();
    const drawn = await bodyRows(page).count();
    assert.ok(drawn < 200, `${drawn} rows in the DOM: virtualized`);
    const last = await bodyRows(page).last().getAttribute('aria-rowindex');
    assert.equal(last, String(EVENTS + 1), 'the oldest event is drawn last');
    const all = await listed('');
    assert.equal(all.length, EVENTS, 'every event of acme, none of globex');
    await screenshot(page, 'page-scrolled');
  });

  it('works from the keyboard: / to search, arrows and j/k between rows, Enter opens, Escape closes', async () => {
    const { page } = await signedIn();
    await page.locator('body').press('/');
    assert.equal(await search(page).evaluate((el) => el === el.getRootNode().activeElement), true);
    await search(page).fill('actor:u-grace outcome:failure');
    await search(page).press('Enter');
    await page.waitForURL((u) => u.searchParams.get('q') === 'actor:u-grace outcome:failure');
    await assertSettled(page);
    const first = bodyRows(page).first();
    await first.focus();
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('j');
    await page.keyboard.press('j');
    await page.keyboard.press('k');
    const focused = () => focusedAttribute(page, 'aria-rowindex');
    assert.equal(await focused(), '4', 'the third row (row index 4 counting the header)');
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: 'Event details' });
    await dialog.waitFor();
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    assert.equal(await focused(), '4', 'focus is back on the row that opened it');
    await page.keyboard.press('End');
    assert.equal(await focused(), String((await total(page)) + 1), 'the last row');
    await page.keyboard.press('Home');
    assert.equal(await focused(), '2', 'the first row');
  });

  it('opens an event: who, what, where, target, the changes, raw JSON, seq, hash and a verified mark', async () => {
    const { page, errors } = await signedIn({}, '/viewer/?q=action%3Arole.update');
    const want = (await listed('action=role.update'))[0] as Record<string, unknown> & {
      seq: number;
      hash: string;
    };
    await bodyRows(page).first().click();
    const dialog = page.getByRole('dialog', { name: 'Event details' });
    await dialog.waitFor();
    assert.equal(new URL(page.url()).searchParams.get('event'), String(want.seq), 'the URL names the event');
    const text = await dialog.innerText();
    for (const expected of [
      (want.actor as { name: string }).name,
      (want.actor as { email: string }).email,
      'role.update',
      (want.source as { ip: string[] }).ip[0] as string,
      (want.context as { location: string }).location,
      `${(want.target as { id: string }).id}`,
      String(want.seq),
      want.hash,
    ]) {
      assert.ok(text.includes(expected), `the dialog shows ${expected}`);
    }
    const changes = dialog.getByRole('table');
    assert.deepEqual(await changes.getByRole('columnheader').allInnerTexts(), ['Field', 'Before', 'After']);
    const role = (want.changes as { field: string; old: string[]; new: string[] }[])[0];
    assert.equal(role?.field, 'role');
    const roleRow = changes.getByRole('row', { name: /^role / });
    assert.deepEqual(await roleRow.getByRole('cell').allInnerTexts(), [
      role.old.join(', '),
      role.new.join(', '),
    ]);
    const raw = await dialog.getByLabel('Raw JSON').innerText();
    assert.deepEqual(JSON.parse(raw), want);
    const mark = dialog.locator('.mark');
    await mark.and(page.locator('[data-state="verified"]')).waitFor({ timeout: 10_000 });
    assert.match(await mark.innerText(), /Verified: its content gives its hash/);
    assert.deepEqual(errors, []);
    await screenshot(page, 'page-details');
    // Shared by its URL: the page opens it again.
    const shared = await signedIn({}, `/viewer/?q=action%3Arole.update&event=${want.seq}`);
    await shared.page.getByRole('dialog', { name: 'Event details' }).waitFor();
    assert.ok((await shared.page.getByRole('dialog').innerText()).includes(want.hash));
  });

  it('adds a filter from the details', async () => {
    const { page } = await signedIn();
    await bodyRows(page).nth(2).click();
    const dialog = page.getByRole('dialog', { name: 'Event details' });
    const actor = (await cells(page))[2]?.[1];
    await dialog
      .getByRole('button', { name: /^Filter by id / })
      .first()
      .click();
    await dialog.waitFor({ state: 'hidden' });
    await page.waitForURL((u) => (u.searchParams.get('q') ?? '').startsWith('actor:'));
    await assertSettled(page);
    assert.ok((await cells(page)).every(([, a]) => a === actor));
  });

  for (const format of ['csv', 'ndjson'] as const) {
    it(`exports the current search to ${format.toUpperCase()} with progress, and downloads the file`, async () => {
      const { page } = await signedIn({}, '/viewer/?q=actor%3Au-alan+outcome%3Afailure');
      const want = await listed('actor_id=u-alan&outcome=failure&order=asc');
      const polls: string[] = [];
      page.on('request', (r) => {
        if (/\/v1\/exports\/[^/]+$/.test(r.url())) polls.push(r.url());
      });
      await page.getByRole('button', { name: 'Export' }).click();
      await page.getByRole('button', { name: format.toUpperCase(), exact: true }).click();
      const link = page.getByRole('link', { name: /^Download trailkeep-export-/ });
      await link.waitFor({ timeout: 20_000 });
      assert.ok(polls.length >= 1, 'the job was followed');
      assert.match(
        await page.getByRole('status').filter({ hasText: 'Ready:' }).innerText(),
        new RegExp(`Ready: ${want.length} events`),
      );
      assert.equal(
        await page.getByRole('progressbar', { name: 'Export progress' }).getAttribute('value'),
        '1',
      );
      const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
      assert.match(download.suggestedFilename(), new RegExp(`^trailkeep-export-.+\\.${format}$`));
      const file = readFileSync((await download.path()) as string, 'utf8');
      const lines = file.trimEnd().split('\n');
      if (format === 'ndjson') {
        assert.deepEqual(
          lines.map((l) => JSON.parse(l).id),
          want.map((e) => e.id),
        );
      } else {
        assert.match(lines[0] ?? '', /occurred_at/);
        assert.equal(lines.length, want.length + 1);
        assert.ok(lines.slice(1).every((l) => l.includes('u-alan') && l.includes('failure')));
      }
      await screenshot(page, `page-export-${format}`);
      // Escape closes the panel, focus back on its button.
      await link.press('Escape');
      const button = page.getByRole('button', { name: 'Export' });
      assert.equal(await button.getAttribute('aria-expanded'), 'false');
      assert.equal(await focusedAttribute(page, 'aria-controls'), 'export-panel');
    });
  }

  it('says the session expired when the credential stops working, and offers to sign in again', async () => {
    const made = await api<{ id: string; secret: string }>(
      url,
      ADMIN_TOKEN,
      'POST',
      '/v1/tenants/acme/keys',
      {
        name: 'short-lived',
        scopes: ['events:read'],
      },
    );
    const { page } = await browser.page();
    await page.goto(`${url}/viewer/#token=${made.secret}`);
    await bodyRows(page).first().waitFor();
    const revoked = await call(url, ADMIN_TOKEN, 'DELETE', `/v1/tenants/acme/keys/${made.id}`);
    assert.equal(revoked.status, 204);
    await runQueryUnchecked(page, 'actor:u-ada');
    const alert = page.getByRole('alert').filter({ hasText: 'Session expired' });
    await alert.waitFor();
    assert.equal(await table(page).count(), 0, 'no rows stay on screen');
    await screenshot(page, 'page-expired');
    await page.getByRole('button', { name: 'Sign in again' }).click();
    await page.getByRole('textbox', { name: 'API key or access token' }).waitFor();
    assert.equal(await page.evaluate('sessionStorage.length'), 0, 'the dead credential is forgotten');
  });

  async function runQueryUnchecked(page: Page, query: string) {
    await search(page).fill(query);
    await search(page).press('Enter');
  }

  async function axe(page: Page, what: string) {
    assert.deepEqual(await seriousViolations(page), [], what);
  }

  it('has no serious or critical axe-core violations, light and dark, list and details', async () => {
    for (const scheme of ['light', 'dark'] as const) {
      const { page } = await signedIn({ colorScheme: scheme });
      await axe(page, `${scheme}: the list`);
      await page.getByRole('button', { name: 'Help' }).click();
      await axe(page, `${scheme}: the help`);
      await page.getByRole('button', { name: 'Export' }).click();
      await axe(page, `${scheme}: the export panel`);
      await bodyRows(page).first().click();
      await page.getByRole('dialog', { name: 'Event details' }).waitFor();
      await axe(page, `${scheme}: the details`);
      await screenshot(page, `page-details-${scheme}`);
    }
    // The theme control overrides the system's preference.
    const { page } = await signedIn({ colorScheme: 'light' });
    await page.getByRole('combobox', { name: 'Theme' }).selectOption('dark');
    const bg = await table(page).evaluate(
      (el) => el.ownerDocument.defaultView.getComputedStyle(el).backgroundColor,
    );
    assert.equal(bg, 'rgb(15, 20, 25)', 'the dark palette');
    await axe(page, 'dark by the toggle');
    await screenshot(page, 'page-dark');
    // The check sees inside the shadow roots: a host's unreadable muted colour is caught.
    await page
      .locator('trailkeep-viewer')
      .evaluate((el) => el.style.setProperty('--trailkeep-muted', '#26282c'));
    assert.match((await seriousViolations(page)).join('\n'), /serious color-contrast/);
  });

  it('fits a phone: nothing wider than the screen, rows readable, details full-screen, no axe violations', async () => {
    const { page } = await signedIn({
      viewport: { width: 360, height: 740 },
      isMobile: true,
      hasTouch: true,
    });
    const overflow = await page.evaluate<number>('document.documentElement.scrollWidth');
    assert.ok(overflow <= 360, `the page is ${overflow} px wide`);
    const row = bodyRows(page).first();
    const box = await row.boundingBox();
    assert.ok(box && box.x >= 0 && box.x + box.width <= 360, `the row fits: ${JSON.stringify(box)}`);
    assert.ok(await row.getByRole('cell').nth(1).isVisible(), 'the actor is shown');
    await axe(page, 'phone: the list');
    await screenshot(page, 'page-phone');
    await row.click();
    const dialog = page.getByRole('dialog', { name: 'Event details' });
    await dialog.waitFor();
    const d = await dialog.boundingBox();
    assert.ok(d && d.width <= 360 && d.x >= 0, `the dialog fits: ${JSON.stringify(d)}`);
    await axe(page, 'phone: the details');
    await screenshot(page, 'page-phone-details');
  });
});
