import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Services } from '../../services/index.js';
import { authenticate } from '../auth.js';
import { adminRoutes } from './admin.js';
import { eventRoutes } from './events.js';
import { jobRoutes } from './jobs.js';
import { oauthRoutes } from './oauth.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route needs no bearer credential (it authenticates otherwise, or not at all). */
    public?: boolean;
  }
}

/** Trailkeep's own API: events, tenants and credentials, under /v1, plus the OAuth token endpoint. */
export const nativeApi: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  // Authenticate before the body is read, so anonymous clients cannot make the server parse.
  app.addHook('onRequest', async (req) => {
    if (req.routeOptions.config.public) return;
    await authenticate(req, services.auth);
  });
  await app.register(oauthRoutes, { services });
  await app.register(adminRoutes, { services, prefix: '/v1' });
  await app.register(eventRoutes, { services, prefix: '/v1' });
  await app.register(jobRoutes, { services, prefix: '/v1' });
};
