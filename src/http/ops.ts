import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Services } from '../services/index.js';
import type { Metrics } from '../services/metrics.js';

const Status = Type.Object({ status: Type.String() });

// Probes and scrapes are the operator's, not a client's: never rate limited.
const unlimited = { rateLimit: false } as const;

/** Liveness, readiness and metrics; no credential needed. */
export const opsRoutes: FastifyPluginAsyncTypebox<{
  store: Pick<Services['store'], 'ping'>;
  metrics: Metrics;
}> = async (app, { store, metrics }) => {
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
        await store.ping();
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
      const text = await metrics.registry.metrics();
      return reply.type(metrics.registry.contentType).send(text);
    },
  );
};
