// @engines sqlite
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { DEFAULT_WEB_ROOT } from '../../src/http/viewer-files.js';
import { startTestApp, type TestApp } from '../helpers/app.js';

/**
 * The viewer's static files (npm test builds them first): where they are served, with which
 * headers, what they refuse, and the clear 503 of a server built without them. The page itself
 * is tested in Chromium (test/viewer/).
 */
describe('serving the viewer', () => {
  let t: TestApp;
  let unbuilt: TestApp;
  const get = (app: TestApp, url: string, headers: Record<string, string> = {}) =>
    app.app.inject({ method: 'GET', url, headers });

  before(async () => {
    assert.ok(existsSync(`${DEFAULT_WEB_ROOT}/index.html`), 'the viewer is built (npm run build:web)');
    t = await startTestApp();
    unbuilt = await startTestApp({}, undefined, { webRoot: `${t.dir}/no-such-build` });
  });
  after(async () => {
    await t?.close();
    await unbuilt?.close();
  });

  it('redirects / and /viewer to /viewer/, keeping the query string', async () => {
    for (const [from, to] of [
      ['/', '/viewer/'],
      ['/viewer', '/viewer/'],
      ['/viewer?q=actor%3Aada', '/viewer/?q=actor%3Aada'],
    ]) {
      const res = await get(t, from as string);
      assert.equal(res.statusCode, 302, from);
      assert.equal(res.headers.location, to, from);
    }
  });

  it('serves the page under a CSP that allows scripts from the server only', async () => {
    const res = await get(t, '/viewer/?q=x');
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers['content-type']), /^text\/html/);
    assert.match(res.body, /<trailkeep-viewer page><\/trailkeep-viewer>/);
    assert.match(res.body, /<script type="module" src="\.\/trailkeep-viewer\.js"><\/script>/);
    assert.doesNotMatch(res.body, /<script(?![^>]*\bsrc=)[^>]*>/, 'no inline script');
    const csp = String(res.headers['content-security-policy']);
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.match(csp, /default-src 'self'/);
    assert.equal(res.headers['access-control-allow-origin'], undefined, 'the page is not for other origins');
    assert.equal(res.headers['cache-control'], 'no-cache');
    assert.ok(res.headers.etag);
  });

  it('serves the element’s module to any origin, revalidated on every load', async () => {
    const res = await get(t, '/viewer/trailkeep-viewer.js', { origin: 'https://app.example.com' });
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers['content-type']), /javascript/);
    assert.equal(res.headers['access-control-allow-origin'], '*');
    assert.equal(res.headers['cache-control'], 'no-cache');
    assert.ok(/customElements\.define\(["`]trailkeep-viewer["`]/.test(res.body), 'it defines the element');
    // Matched, not asserted with match(): a failure would print the whole bundle.
    assert.deepEqual(res.body.match(/\bimport\b(?!\.meta)/g), null, 'self-contained: it imports nothing');
    const again = await get(t, '/viewer/trailkeep-viewer.js', { 'if-none-match': String(res.headers.etag) });
    assert.equal(again.statusCode, 304);
  });

  it('answers 404 in the API’s envelope for files it does not have, and never leaves its folder', async () => {
    for (const url of [
      '/viewer/missing.js',
      '/viewer/.env',
      '/viewer/../package.json',
      '/viewer/..%2f..%2fpackage.json',
      '/viewer/%2e%2e/%2e%2e/package.json',
      '/viewer/..%5c..%5cpackage.json',
    ]) {
      const res = await get(t, url);
      assert.ok([400, 403, 404].includes(res.statusCode), `${url}: ${res.statusCode}`);
      assert.doesNotMatch(res.body, /"name": "trailkeep"/, url);
      assert.match(String(res.headers['content-type']), /application\/json/, url);
    }
    assert.equal(
      (await get(t, '/viewer/missing.js')).json<{ error: { code: string } }>().error.code,
      'not_found',
    );
  });

  it('answers 503 naming the build command when the viewer was not built, never a 500', async () => {
    for (const url of ['/viewer/', '/viewer/trailkeep-viewer.js', '/viewer/index.html']) {
      const res = await get(unbuilt, url);
      assert.equal(res.statusCode, 503, url);
      const { error } = res.json<{ error: { code: string; message: string } }>();
      assert.equal(error.code, 'unavailable');
      assert.match(error.message, /npm run build:web/);
    }
    assert.equal((await get(unbuilt, '/')).statusCode, 302);
    assert.equal((await get(unbuilt, '/v1/events')).statusCode, 401, 'the API is unaffected');
  });
});
