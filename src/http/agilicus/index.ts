import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Services } from '../../services/index.js';
import { authenticate } from '../auth.js';
import { agilicusErrorHandler } from './envelope.js';
import { auditRoutes } from './routes.js';

/**
 * The Agilicus AuditsApi dialect (docs/agilicus.md), registered under /v1 beside the native API:
 * bearer authentication (key secrets or access tokens, scope events:read) and the
 * `{"error_code","error_message"}` envelope for its two routes only. It sets no not-found handler
 * on purpose: one set here would take every unknown `/v1/...` path from the native API.
 */
export const agilicusApi: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  app.setErrorHandler(agilicusErrorHandler);
  app.addHook('onRequest', async (req) => {
    await authenticate(req, services.auth);
  });
  await app.register(auditRoutes, { services });
};
