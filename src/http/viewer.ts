import { isIP } from 'node:net';
import type { FastifyCorsOptions } from '@fastify/cors';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { TrailkeepError } from '../core/errors.js';
import type { ViewRequest } from '../core/viewer.js';
import type { Principal } from '../services/auth/principal.js';
import type { ViewRecorder } from '../services/views.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * The route serves viewer tokens (docs/embedding.md): it reads through `readFor`, which ANDs
     * the token's narrowing into the read, each read is recorded, and browsers of any origin may
     * call it. Every other route refuses viewer tokens with 403.
     */
    viewer?: boolean;
    /** A CORS preflight route of viewer routes (registerViewerPreflights): the methods they take. */
    viewerPreflight?: string;
  }
}

/** Why a viewer token is refused, wherever it is. */
export const VIEWER_ROUTES_ONLY =
  'A viewer token reads only through the routes open to viewers (docs/embedding.md).';

/** A viewer token on a route that does not serve them: 403 in the route's dialect, before anything else runs. */
export function refuseViewerHere(req: FastifyRequest, principal: Principal): void {
  if (principal.kind === 'viewer' && !req.routeOptions.config.viewer) {
    throw new TrailkeepError('forbidden', VIEWER_ROUTES_ONLY);
  }
}

/**
 * CORS of the routes open to viewers: any origin, because the token is the credential. No
 * cookies (`credentials` false, so a page's own cookies never ride along); the headers a client
 * sends (the token, a JSON body, an event stream's last id) and those it reads (the request id,
 * rate limits and Retry-After, an export's Location, a download's file name).
 */
const VIEWER_CORS: FastifyCorsOptions = {
  origin: '*',
  credentials: false,
  allowedHeaders: ['authorization', 'content-type', 'last-event-id'],
  exposedHeaders: [
    'x-request-id',
    'retry-after',
    'location',
    'content-disposition',
    'x-ratelimit-limit',
    'x-ratelimit-remaining',
    'x-ratelimit-reset',
  ],
  maxAge: 600,
  // A preflight without an Origin gets the same empty 204, not a text/plain 400 outside every envelope.
  strictPreflight: false,
};

/**
 * The CORS of a request's route: a viewer route's, else `otherwise` (TRAILKEEP_CORS_ORIGINS's).
 * A preflight is a viewer route's when it asks for a method a viewer route of its path takes.
 */
export function corsFor(req: FastifyRequest, otherwise: FastifyCorsOptions): FastifyCorsOptions {
  const { viewer, viewerPreflight } = req.routeOptions.config;
  if (viewerPreflight) {
    const asked = req.headers['access-control-request-method'];
    return typeof asked === 'string' && viewerPreflight.split(', ').includes(asked.toUpperCase())
      ? { ...VIEWER_CORS, methods: viewerPreflight }
      : otherwise;
  }
  return viewer ? VIEWER_CORS : otherwise;
}

/**
 * Collects the viewer routes as they are registered (a hook on the app, so it sees every
 * dialect's), and returns what serves their CORS preflights once all are: one OPTIONS route per
 * path of viewer routes, listing their methods. A browser asks the preflight of the path it
 * calls, and the router matches it to that path's route, so only viewer paths answer it openly;
 * every other path keeps TRAILKEEP_CORS_ORIGINS's answer (the CORS plugin's catch-all).
 */
export function viewerPreflights(app: FastifyInstance): { register(): void } {
  const methods = new Map<string, Set<string>>();
  app.addHook('onRoute', (route) => {
    if (!route.config?.viewer) return;
    const listed = methods.get(route.url) ?? new Set<string>();
    for (const m of [route.method].flat()) listed.add(m);
    methods.set(route.url, listed);
  });
  return {
    register() {
      for (const [url, listed] of methods) {
        app.options(
          url,
          { schema: { hide: true }, config: { viewerPreflight: [...listed].sort().join(', ') } },
          // The CORS hook answers every OPTIONS of this path itself.
          (_req, reply) => reply.callNotFound(),
        );
      }
    },
  };
}

/** What a request asked, as validated: what a recorded view keeps. */
const askedOf = (req: FastifyRequest): Record<string, unknown> => {
  const has = (v: unknown) => v !== null && typeof v === 'object' && Object.keys(v).length > 0;
  return {
    ...(has(req.params) ? { params: req.params } : {}),
    ...(has(req.query) ? { query: req.query } : {}),
    ...(req.body !== undefined && req.body !== null ? { body: req.body } : {}),
  };
};

/**
 * Records each read through a viewer token, unless its tenant turned that off, as an event of
 * the tenant, committed before the read runs: if recording fails the read fails, so nothing is
 * read unrecorded. A stream records once, when it opens. Registered before the dialects, after
 * the expensive-read slots (http/expensive.ts), so a read refused a slot is not recorded.
 */
export function registerViewerReads(app: FastifyInstance, views: ViewRecorder): void {
  app.addHook('preHandler', async (req) => {
    const p = req.principal;
    if (p?.kind !== 'viewer' || !p.recordReads) return;
    const view: ViewRequest = {
      route: `${req.method} ${req.routeOptions.url}`,
      asked: askedOf(req),
      ...(isIP(req.ip) ? { ip: req.ip } : {}),
      ...(req.headers['user-agent'] ? { userAgent: req.headers['user-agent'] } : {}),
      requestId: req.id,
    };
    await views.record(p, view);
  });
}
