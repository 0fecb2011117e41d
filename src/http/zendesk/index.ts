import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Services } from '../../services/index.js';
import { authenticateZendesk } from './auth.js';
import { zendeskErrorHandler, zendeskNotFound } from './envelope.js';
import { auditLogRoutes } from './routes.js';

/**
 * The Zendesk Audit Logs dialect (docs/zendesk.md), registered under /api/v2: Basic API-token or
 * Bearer authentication (scope events:read), Zendesk's error envelope and 404s, the core reads.
 */
export const zendeskApi: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  app.setErrorHandler(zendeskErrorHandler);
  app.setNotFoundHandler(zendeskNotFound);
  // node-zendesk sends `Content-Type: application/json` with an empty POST body (export).
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    const text = String(body);
    if (text.trim() === '') return done(null, undefined);
    try {
      done(null, JSON.parse(text));
    } catch {
      done(new SyntaxError('The request body is not valid JSON.'), undefined);
    }
  });
  // Before the body is read, so anonymous clients cannot make the server parse.
  app.addHook('onRequest', async (req) => authenticateZendesk(req, services.auth));
  await app.register(auditLogRoutes, { services });
};
