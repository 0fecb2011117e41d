import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Services } from '../../services/index.js';
import { authenticate } from '../auth.js';
import { livePersonErrorHandler, livePersonNotFound } from './envelope.js';
import { auditRoutes } from './routes.js';

/**
 * The LivePerson Audit Trail dialect (docs/liveperson.md), registered under /api/account: bearer
 * authentication (key secrets or OAuth access tokens, scope events:read), GraphQL's
 * `{"errors":[{"message"}]}` envelope for every error and 404, and the `auditData` query.
 */
export const livePersonApi: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  app.setErrorHandler(livePersonErrorHandler);
  app.setNotFoundHandler(livePersonNotFound);
  // Before the body is read, so anonymous clients cannot make the server parse.
  app.addHook('onRequest', async (req) => {
    await authenticate(req, services.auth);
  });
  await app.register(auditRoutes, { services });
};
