import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AuthService } from '../services/auth/auth.js';
import type { Services } from '../services/index.js';
import type { DialectErrors } from './envelope.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route needs no bearer credential (it authenticates otherwise, or not at all). */
    public?: boolean;
  }
}

/** Credentials a dialect takes besides the bearer one every dialect takes, as OpenAPI declares them. */
export interface DialectSecurity {
  schemes: Record<string, Record<string, unknown>>;
  requirement: Record<string, string[]>[];
}

/**
 * One API dialect, whole: everything `registerDialect` needs to serve it, so a new dialect is
 * one descriptor in `dialects.ts`'s list. `K` names the services its routes call: the routes
 * receive those and nothing else.
 */
export interface Dialect<K extends keyof Services = keyof Services> {
  /** Its name, which is also the OpenAPI tag of each of its routes. */
  name: string;
  /** The prefix its routes are under (`''` for the native API, whose routes carry their own). */
  prefix: string;
  /** Its error envelope. */
  errors: DialectErrors;
  /**
   * Whether unknown paths under the prefix are its 404s, and errors raised there before routing
   * are in its envelope. Not for a dialect that shares its prefix with another (Agilicus's two
   * routes under the native `/v1`), nor for the native API, whose envelope is the app's own.
   */
  ownsPrefix: boolean;
  /** Authenticates a request before its body is read (routes marked `public` excepted). */
  authenticate(req: FastifyRequest, auth: AuthService): Promise<unknown>;
  /** Anything else its scope needs before its routes (Zendesk's JSON parser). */
  setup?(scope: FastifyInstance): void;
  /** The services its routes call. */
  uses: readonly K[];
  routes: FastifyPluginAsyncTypebox<Pick<Services, K>>;
  /** What its own OpenAPI document (`/openapi/<name>.json`) says; the native API's is `/openapi.json`. */
  openapi?: { title: string; description: string; security?: DialectSecurity };
}

/** Checks a descriptor against the services its routes take, then forgets which they are. */
export const defineDialect = <K extends keyof Services>(dialect: Dialect<K>): Dialect => dialect as Dialect;

/**
 * Serves a dialect in an encapsulated scope under its prefix: its error (and maybe not-found)
 * handler, its authentication in `onRequest` (before the body is read, so anonymous clients cannot
 * make the server parse), and its routes over the services they use.
 */
export async function registerDialect(app: FastifyInstance, dialect: Dialect, services: Services) {
  const { auth } = services;
  // Only the services it names: its routes cannot reach one its descriptor does not list.
  const deps = Object.fromEntries(dialect.uses.map((k) => [k, services[k]])) as Pick<
    Services,
    keyof Services
  >;
  await app.register(
    async (scope) => {
      scope.setErrorHandler(dialect.errors.errorHandler);
      if (dialect.ownsPrefix) scope.setNotFoundHandler(dialect.errors.notFound);
      dialect.setup?.(scope);
      if (dialect.openapi) {
        // Its OpenAPI document is the operations with its tag: a route without it would be missing.
        scope.addHook('onRoute', (route) => {
          const schema = route.schema as { hide?: boolean; tags?: string[] } | undefined;
          if (!schema?.hide && !schema?.tags?.includes(dialect.name)) {
            throw new Error(
              `${route.method} ${route.url} is of the ${dialect.name} dialect: tag it ${dialect.name}.`,
            );
          }
        });
      }
      scope.addHook('onRequest', async (req) => {
        if (req.routeOptions.config.public) return;
        await dialect.authenticate(req, auth);
      });
      await scope.register(dialect.routes, deps);
    },
    { prefix: dialect.prefix },
  );
}
