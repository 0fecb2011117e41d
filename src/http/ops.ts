import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Services } from '../services/index.js';

const Status = Type.Object({ status: Type.String() });

// Probes and scrapes are the operator's, not a client's: never rate limited.
const unlimited = { rateLimit: false } as const;

/** Liveness, readiness, metrics and the OpenAPI document; no credential needed. */
export const opsRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  app.get(
    '/healthz',
    { config: unlimited, schema: { tags: ['ops'], security: [], response: { 200: Status } } },
    async () => ({
      status: 'ok',
    }),
  );

  app.get(
    '/readyz',
    { config: unlimited, schema: { tags: ['ops'], security: [], response: { 200: Status, 503: Status } } },
    async (req, reply) => {
      try {
        await services.store.ping();
        return { status: 'ready' };
      } catch (err) {
        req.log.warn({ err }, 'store not reachable');
        return reply.code(503).send({ status: 'unavailable' });
      }
    },
  );

  app.get(
    '/metrics',
    { config: unlimited, schema: { tags: ['ops'], security: [], hide: true } },
    async (_req, reply) => {
      const text = await services.metrics.registry.metrics();
      return reply.type(services.metrics.registry.contentType).send(text);
    },
  );

  app.get('/openapi.json', { schema: { tags: ['ops'], security: [], hide: true } }, async () =>
    app.swagger(),
  );
};
