import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { TrailkeepError } from '../core/errors.js';

/** Where the viewer is served: the page at `/viewer/`, the element at `/viewer/trailkeep-viewer.js`. */
export const VIEWER_PREFIX = '/viewer/';

/** The element's module, which host pages on any origin load with one script tag. */
export const VIEWER_SCRIPT = 'trailkeep-viewer.js';

/**
 * The viewer's build output (`npm run build:web`, run by `npm install` and `npm run build`):
 * `dist/web` at the package's root, which is two folders up both from this source file
 * (src/http/) and from its build (dist/http/).
 */
export const DEFAULT_WEB_ROOT = fileURLToPath(new URL('../../dist/web/', import.meta.url));

const notBuilt = () =>
  new TrailkeepError(
    'unavailable',
    'The viewer is not built: run `npm run build:web` (or `npm install`, which builds it) and restart.',
  );

/**
 * The viewer's static files, public like the API explorer: the page holds no data, and reads
 * the API with the credential its user gives it. The same routes exist whether or not the viewer
 * is built, so the route table does not depend on the build; unbuilt, they answer 503 naming the
 * command that builds it.
 *
 * - `/` redirects to `/viewer/`; so does `/viewer`, whose relative links would otherwise
 *   resolve one folder too high (the router ignores trailing slashes, so it is one route).
 * - The element's module answers CORS from any origin: a page loads a module script with a
 *   CORS request, and a host page on another origin is the point of the element. Its API
 *   calls then need the API's own CORS (viewer tokens, or TRAILKEEP_CORS_ORIGINS).
 * - The page keeps the app's strict CSP (scripts from 'self' only): it has no inline script.
 * - Every file is revalidated (`no-cache` with ETag): the names are stable, not hashed, so an
 *   upgrade must reach browsers at once.
 */
export async function viewerFileRoutes(app: FastifyInstance, options: { root?: string } = {}): Promise<void> {
  const root = options.root ?? DEFAULT_WEB_ROOT;
  const built = existsSync(`${root}/index.html`) && existsSync(`${root}/${VIEWER_SCRIPT}`);
  if (built) {
    await app.register(fastifyStatic, {
      root,
      serve: false,
      // There are none; a request for one is a 404 like any missing file.
      dotfiles: 'ignore',
      cacheControl: false,
      setHeaders: (reply) => reply.header('cache-control', 'no-cache'),
    });
  }
  // Not in the OpenAPI document: files, not API. The fuzzer, which reads its routes from the
  // document, leaves them out on purpose; test/http/viewer-files.test.ts covers them, and the isolation
  // test lists them as tenant-free.
  const hidden = { schema: { hide: true } };
  const send = (reply: FastifyReply, file: string) => {
    if (!built) throw notBuilt();
    if (file === VIEWER_SCRIPT) reply.header('access-control-allow-origin', '*');
    return reply.sendFile(file);
  };

  app.get('/', hidden, async (_req, reply) => reply.redirect(VIEWER_PREFIX));
  app.get(VIEWER_PREFIX, hidden, async (req: FastifyRequest, reply) => {
    const path = req.url.split('?')[0] ?? '';
    if (!path.endsWith('/')) return reply.redirect(`${path}/${req.url.slice(path.length)}`);
    return send(reply, 'index.html');
  });
  app.get(`${VIEWER_PREFIX}*`, hidden, async (req: FastifyRequest<{ Params: { '*': string } }>, reply) =>
    send(reply, req.params['*']),
  );
}
