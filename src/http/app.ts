import { randomUUID } from 'node:crypto';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import { trustProxyOf } from '../config/config.js';
import type { Services } from '../services/index.js';
import { registerDialect } from './dialect.js';
import { APP_DIALECT, DIALECTS } from './dialects.js';
import { frameworkErrors, notFoundByPrefix } from './framework-errors.js';
import { BODY_LIMIT, connectionLimits, registerLimits } from './limits.js';
import { openapiRoutes } from './openapi.js';
import { opsRoutes } from './ops.js';
import { boundedValidatorCompiler } from './validation.js';
import { registerViewerReads, viewerPreflights } from './viewer.js';
import { viewerFileRoutes } from './viewer-files.js';

export interface AppOptions {
  /** A pino logger, or false for none (the CLI passes its configured logger). */
  logger?: FastifyBaseLogger | false;
  /** The viewer's built files (default: the package's dist/web, http/viewer-files.ts). */
  webRoot?: string;
}

/**
 * Builds the HTTP application over composed services, without listening: the CLI listens,
 * tests inject or listen on an ephemeral port. Each API dialect (dialects.ts) is an encapsulated
 * plugin with its own prefix, authentication and error envelope.
 */
export async function buildApp(services: Services, options: AppOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    ...(options.logger ? { loggerInstance: options.logger } : { logger: false }),
    genReqId: () => randomUUID(),
    logController: new LogController({ requestIdLogLabel: 'request_id' }),
    bodyLimit: BODY_LIMIT,
    trustProxy: trustProxyOf(services.config),
    // Slow or stuck clients cannot hold connections open forever.
    ...connectionLimits(services.config),
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 512 },
    frameworkErrors,
  }).withTypeProvider<TypeBoxTypeProvider>();
  app.setValidatorCompiler(boundedValidatorCompiler());

  app.decorateRequest('principal', null);
  app.setErrorHandler(APP_DIALECT.errors.errorHandler);
  app.setNotFoundHandler(notFoundByPrefix);
  app.addHook('onSend', async (req, reply) => {
    reply.header('x-request-id', req.id);
  });
  app.addHook('onResponse', async (req, reply) => {
    services.metrics.requests
      .labels(req.method, req.routeOptions.url ?? 'unmatched', String(reply.statusCode))
      .observe(reply.elapsedTime / 1000);
  });

  await registerLimits(app, services.config);
  registerViewerReads(app, services.views);
  const preflights = viewerPreflights(app);
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Trailkeep',
        version: '0.1.0',
        description: 'Audit-trail server: ingest canonical audit events and read them back.',
      },
      components: {
        securitySchemes: {
          bearer: {
            type: 'http',
            scheme: 'bearer',
            description:
              'A tenant key, an OAuth access token, or an operator key. An operator key names the tenant it acts on with the Trailkeep-Tenant header (a write may name it per event instead); a tenant-bound credential may name only its own. A viewer token (POST /v1/viewer-tokens) reads only through the routes open to viewers, within its filters.',
          },
        },
      },
      security: [{ bearer: [] }],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  await app.register(opsRoutes, { store: services.store, metrics: services.metrics });
  await app.register(openapiRoutes);
  await app.register(viewerFileRoutes, options.webRoot === undefined ? {} : { root: options.webRoot });
  for (const dialect of DIALECTS) await registerDialect(app, dialect, services);
  preflights.register();
  return app;
}
