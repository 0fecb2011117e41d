import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AxeBuilder } from '@axe-core/playwright';
import {
  type Browser,
  type BrowserContext,
  type BrowserContextOptions,
  chromium,
  type Page,
} from 'playwright-core';

/**
 * Debian's Chromium driven by playwright-core (which never downloads a browser): one browser per
 * test file, a fresh context (cookies, storage) per test. CI installs Chromium when it is absent
 * (.ci/run).
 */

export const CHROMIUM = '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Where tests keep their screenshots: git-ignored, looked at by people, never compared. */
export const SCREENSHOTS = fileURLToPath(new URL('../../test-artifacts/screenshots/', import.meta.url));

export interface TestBrowser {
  browser: Browser;
  /** A fresh context; closed with the browser. The time zone is fixed so times read the same everywhere. */
  context(options?: BrowserContextOptions): Promise<BrowserContext>;
  /** A page in a fresh context, its console errors collected. */
  page(options?: BrowserContextOptions): Promise<{ page: Page; context: BrowserContext; errors: string[] }>;
  close(): Promise<void>;
}

export async function launchBrowser(): Promise<TestBrowser> {
  // playwright starts the browser on a fresh user-data dir of its own (removed when it closes);
  // each test's context then has its own storage, so nothing carries from one test to another.
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: 30_000 });
  const contexts: BrowserContext[] = [];
  const context = async (options: BrowserContextOptions = {}) => {
    const c = await browser.newContext({
      timezoneId: 'Europe/Paris',
      locale: 'en-GB',
      viewport: { width: 1280, height: 800 },
      acceptDownloads: true,
      ...options,
    });
    contexts.push(c);
    return c;
  };
  return {
    browser,
    context,
    async page(options) {
      const c = await context(options);
      const page = await c.newPage();
      const errors: string[] = [];
      page.on('pageerror', (err) => errors.push(err.message));
      page.on('console', (msg) => {
        if (msg.type() === 'error') errors.push(msg.text());
      });
      return { page, context: c, errors };
    },
    async close() {
      for (const c of contexts) await c.close().catch(() => {});
      await browser.close();
    },
  };
}

/** A screenshot into the git-ignored artefacts folder, named for the test. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const path = join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path, fullPage: false });
  return path;
}

/**
 * axe-core's serious and critical violations on the page, as readable lines (none: []). Every
 * rule runs. Legacy mode runs axe in the page itself: the default runs it per frame and merges
 * the results in a new page, which is for pages with iframes (the viewer has none) and takes
 * about 3 s a run instead of 0.6 s; only violations are detailed, which is all this reads.
 */
export async function seriousViolations(page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page })
    .setLegacyMode(true)
    .options({ resultTypes: ['violations'] })
    .analyze();
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.impact} ${v.id}: ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join('; ')}`);
}

/**
 * An attribute of the element that has the focus, however deep in shadow roots (null when none).
 * Page code is written as text: the tests compile without the DOM's types, the page has them.
 */
export function focusedAttribute(page: Page, name: string): Promise<string | null> {
  return page.evaluate(`(() => {
    let el = document.activeElement;
    while (el && el.shadowRoot && el.shadowRoot.activeElement) el = el.shadowRoot.activeElement;
    return el ? el.getAttribute(${JSON.stringify(name)}) : null;
  })()`);
}
