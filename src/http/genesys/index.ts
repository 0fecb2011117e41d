import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Services } from '../../services/index.js';
import { authenticate } from '../auth.js';
import { genesysErrorHandler, genesysNotFound } from './envelope.js';
import { queryRoutes } from './query.js';
import { realtimeRoutes } from './realtime.js';

/**
 * The Genesys Cloud AuditApi dialect (docs/genesys.md), registered under /api/v2/audits: its
 * own bearer authentication (key secrets or access tokens from POST /oauth/token, scope
 * events:read), its own ErrorBody envelope and 404s; the reads are the core services'.
 */
export const genesysApi: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  app.setErrorHandler(genesysErrorHandler);
  app.setNotFoundHandler(genesysNotFound);
  // Before the body is read, so anonymous clients cannot make the server parse.
  app.addHook('onRequest', async (req) => {
    if (req.routeOptions.config.public) return;
    await authenticate(req, services.auth);
  });
  await app.register(realtimeRoutes, { services });
  await app.register(queryRoutes, { services });
};
