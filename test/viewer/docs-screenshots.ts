/**
 * `npm run docs:screenshots`: the images of docs/viewer.md, made the same way every time — the
 * sample events (test/helpers/viewer-data.ts) on a fresh server, the page at 1280 × 800 in the
 * light theme, the Europe/Paris time zone — and written to docs/images/. Not a test (the runner
 * takes *.test.ts only); the tests' own screenshots go to the git-ignored test-artifacts/.
 */
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { startViewerApp } from '../helpers/viewer-app.js';
import { sampleEvents } from '../helpers/viewer-data.js';

const IMAGES = fileURLToPath(new URL('../../docs/images/', import.meta.url));

const app = await startViewerApp({ TRAILKEEP_LOG_CHECKPOINT_INTERVAL: '0.2' });
try {
  const key = await app.t.tenantWithKey('acme');
  await app.ingest(key, sampleEvents(2_000));
  mkdirSync(IMAGES, { recursive: true });
  const context = await app.browser.context({ colorScheme: 'light' });
  const page = await context.newPage();

  await page.goto(`${app.url}/viewer/?q=service%3Ahelpdesk+after%3A2026-03-02#token=${key}`);
  const table = page.getByRole('table', { name: 'Audit events' });
  await table.locator('.body [role="row"]').nth(15).waitFor();
  await page.screenshot({ path: `${IMAGES}viewer.png` });

  await page.getByRole('searchbox', { name: 'Search' }).fill('action:role.update');
  await page.getByRole('searchbox', { name: 'Search' }).press('Enter');
  await page.waitForURL((u) => u.searchParams.get('q') === 'action:role.update');
  await table.locator('.body [role="row"]').nth(5).waitFor();
  await table.locator('.body [role="row"]').nth(2).click();
  const dialog = page.getByRole('dialog', { name: 'Event details' });
  await dialog.locator('[data-state="verified"]').waitFor({ timeout: 15_000 });
  await page.screenshot({ path: `${IMAGES}viewer-details.png` });
  process.stdout.write(`wrote ${IMAGES}viewer.png and viewer-details.png\n`);
} finally {
  await app.close();
}
