import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Page } from 'playwright-core';
import type { TestBrowser } from './browser.js';

/**
 * A host page on another origin for the viewer's element: a second HTTP server, on `localhost`
 * where Trailkeep listens on 127.0.0.1 (another host name as well as another port), serving a
 * product's page that loads `<trailkeep-viewer>` with one script tag from Trailkeep. The page
 * has styles of its own that must not reach inside the element, and logs the element's events in
 * `window.viewerEvents` for the tests to read.
 */

const LOGGER = `
  window.viewerEvents = [];
  for (const name of ['trailkeep-expired', 'trailkeep-error', 'trailkeep-search', 'trailkeep-open']) {
    document.addEventListener(name, (e) =>
      window.viewerEvents.push({ name, detail: JSON.parse(JSON.stringify(e.detail)) }),
    );
  }
`;

export interface ElementEvent {
  name: string;
  detail: Record<string, unknown>;
}

export interface HostPage {
  /** The host's origin: `http://localhost:<port>`. */
  url: string;
  /** Trailkeep's URL, once known (the host's origin may have to be configured first). */
  trailkeep: string;
  /** A page of the host, in a fresh context, with `element` in it; and its errors. */
  open(browser: TestBrowser, element: string, style?: string): Promise<{ page: Page; errors: string[] }>;
  /** The element's events the page has heard so far. */
  events(page: Page): Promise<ElementEvent[]>;
  close(): Promise<void>;
}

export async function startHostPage(): Promise<HostPage> {
  let body = '';
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const host: HostPage = {
    url: `http://localhost:${(server.address() as AddressInfo).port}`,
    trailkeep: '',
    async open(browser, element, style = '') {
      body = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Helpdesk · ticket 101</title>
  <style>
    /* The host's own styles, which must not reach inside the element. */
    button { background: rgb(255, 0, 0) !important; font-family: serif; }
    [role="row"] { display: none !important; }
    ${style}
  </style>
  <script type="module" src="${host.trailkeep}/viewer/trailkeep-viewer.js"></script>
  <script>${LOGGER}</script>
</head>
<body>
  <main>
    <h1>Ticket 101</h1>
    ${element}
  </main>
</body>
</html>`;
      const opened = await browser.page();
      await opened.page.goto(`${host.url}/ticket/101?tab=audit`);
      return { page: opened.page, errors: opened.errors };
    },
    events: (page) => page.evaluate<ElementEvent[]>('window.viewerEvents'),
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
  return host;
}
