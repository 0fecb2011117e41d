/**
 * The viewer (issue 20, docs/viewer.md) in Chromium, on the loaded dataset: a server started for
 * it alone, the page at /viewer/ opened with the dataset tenant's key in its fragment, one
 * browser, a fresh context (so an empty cache: the script is fetched as on a first visit) per
 * navigation. Per navigation:
 *
 * - **first rows**: from the navigation's start (the page's time origin) to the first frame in
 *   which a row of the table is in the DOM, as `performance.now()` in that frame's
 *   requestAnimationFrame callback: the script's load and start, `GET /v1/events?limit=100`
 *   and the first render;
 * - **next page**: the table scrolled to its end, from the scroll to the first frame that draws
 *   a row of the page fetched because of it (`GET /v1/events?cursor=…&limit=500`), for
 *   NEXT_PAGES pages one after the other, newest first, so each is deeper in the 1M events.
 *
 * Both are measured inside the page, frame by frame, so the harness's own round trips to the
 * browser are not in them. Figures are each percentile's median over rounds, as elsewhere.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS } from '../test/helpers/browser.js';
import { ROOT } from './children.js';
import type { Engine } from './databases.js';
import type { Dataset, Loaded } from './dataset.js';
import { withServer } from './server.js';
import { type Percentiles, percentileStats, percentiles, type Stat } from './stats.js';

/** Navigations per round, each in a fresh browser context. */
export const NAVIGATIONS = 10;
/** Next pages timed per navigation. */
export const NEXT_PAGES = 5;

export interface ViewerSettings {
  rounds: number;
  navigations?: number;
}

export interface ViewerMeasure extends Record<keyof Percentiles, Stat> {
  rounds: Percentiles[];
  samples: number;
}

export interface ViewerEngineResult {
  engine: Engine;
  events: number;
  firstRows: ViewerMeasure;
  nextPage: ViewerMeasure;
  /** Rows each next page added (the viewer's page size). */
  pageRows: number;
}

/**
 * What the harness installs in the page before the page's own scripts (as text: the harness
 * compiles without the DOM's types): a watch that records the first frame with a row in it, and
 * `nextPage()`, which scrolls the table to its end and resolves with the ms until a row of the
 * page that fetches is drawn. The harness calls them with functions, not strings: the page's CSP
 * forbids eval, which string predicates need.
 */
const BENCH_SCRIPT = `
  (() => {
    const results = () =>
      document.querySelector('trailkeep-viewer')?.shadowRoot?.querySelector('trailkeep-results');
    const bench = (window.__viewerBench = { firstRowMs: undefined });
    bench.more = () => results()?.more === true;
    bench.nextPage = () =>
      new Promise((resolve, reject) => {
        const table = results();
        const body = table.shadowRoot.querySelector('.body');
        const before = table.rows.length;
        const started = performance.now();
        const look = () => {
          const drawn =
            table.rows.length > before && table.shadowRoot.querySelector('[aria-rowindex="' + (before + 2) + '"]');
          if (drawn) return resolve({ ms: performance.now() - started, rows: table.rows.length - before });
          if (performance.now() - started > 30000) return reject(new Error('no next page within 30 s'));
          requestAnimationFrame(look);
        };
        body.scrollTop = body.scrollHeight;
        requestAnimationFrame(look);
      });
    const watch = () => {
      if (results()?.shadowRoot?.querySelector('[role="row"][data-seq]')) bench.firstRowMs = performance.now();
      else requestAnimationFrame(watch);
    };
    requestAnimationFrame(watch);
  })();
`;

interface BenchGlobal {
  __viewerBench: {
    firstRowMs: number | undefined;
    more(): boolean;
    nextPage(): Promise<{ ms: number; rows: number }>;
  };
}

/** One navigation: its first rows and its next pages, ms. */
async function navigate(
  browser: Browser,
  url: string,
  key: string,
): Promise<{ first: number; next: number[]; rows: number[] }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  try {
    const page = await context.newPage();
    await page.addInitScript(BENCH_SCRIPT);
    await page.goto(`${url}/viewer/#token=${encodeURIComponent(key)}`);
    // Functions the page runs: they name nothing of this module but types.
    await page.waitForFunction(
      () => (globalThis as unknown as BenchGlobal).__viewerBench.firstRowMs !== undefined,
      undefined,
      { timeout: 60_000 },
    );
    const first = (await page.evaluate(
      () => (globalThis as unknown as BenchGlobal).__viewerBench.firstRowMs,
    )) as number;
    const next: number[] = [];
    const rows: number[] = [];
    for (let i = 0; i < NEXT_PAGES; i++) {
      // Read once the previous page is drawn (the table's rows and cursor change together): a
      // dataset of fewer events ends sooner.
      if (!(await page.evaluate(() => (globalThis as unknown as BenchGlobal).__viewerBench.more()))) break;
      const out = await page.evaluate(() => (globalThis as unknown as BenchGlobal).__viewerBench.nextPage());
      next.push(out.ms);
      rows.push(out.rows);
    }
    return { first, next, rows };
  } finally {
    await context.close();
  }
}

const measure = (rounds: number[][]): ViewerMeasure => {
  const per = rounds.map((r) => percentiles(r));
  return { rounds: per, samples: rounds.reduce((n, r) => n + r.length, 0), ...percentileStats(per) };
};

export async function viewerPart(
  engine: Engine,
  loaded: Loaded,
  d: Dataset,
  settings: ViewerSettings,
  log: (line: string) => void,
): Promise<ViewerEngineResult> {
  if (!existsSync(join(ROOT, 'dist', 'web', 'trailkeep-viewer.js'))) {
    throw new Error('the viewer is not built: run npm run build:web first');
  }
  const navigations = settings.navigations ?? NAVIGATIONS;
  return withServer(loaded.deployment, async (server) => {
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    try {
      // Untimed: the server's first list and the browser's first start.
      await navigate(browser, server.url, loaded.key);
      const first: number[][] = [];
      const next: number[][] = [];
      let pageRows = 0;
      for (let r = 1; r <= settings.rounds; r++) {
        const f: number[] = [];
        const n: number[] = [];
        for (let i = 0; i < navigations; i++) {
          const run = await navigate(browser, server.url, loaded.key);
          f.push(run.first);
          n.push(...run.next);
          pageRows = Math.max(pageRows, ...run.rows);
        }
        first.push(f);
        next.push(n);
        const p = (xs: number[]) => percentiles(xs);
        log(
          `  ${engine} viewer round ${r}/${settings.rounds}: first rows p50 ${p(f).p50.toFixed(0)} ms, ` +
            `next page p50 ${p(n).p50.toFixed(0)} ms (${navigations} navigations)`,
        );
      }
      return { engine, events: d.total, firstRows: measure(first), nextPage: measure(next), pageRows };
    } finally {
      await browser.close();
    }
  });
}
