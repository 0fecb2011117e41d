import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Services } from '../../services/index.js';
import { authenticate } from '../auth.js';
import { defineDialect } from '../dialect.js';
import { adminRoutes } from './admin.js';
import { nativeErrors } from './envelope.js';
import { eventRoutes } from './events.js';
import { jobRoutes } from './jobs.js';
import { logRoutes } from './log.js';
import { oauthRoutes } from './oauth.js';
import { siemStreamRoutes } from './siem-streams.js';
import { streamRoutes } from './stream.js';
import { viewerTokenRoutes } from './viewer-tokens.js';

type NativeDeps = Pick<
  Services,
  'auth' | 'tenants' | 'events' | 'jobs' | 'log' | 'metrics' | 'tails' | 'config' | 'streams'
>;

const routes: FastifyPluginAsyncTypebox<NativeDeps> = async (
  app,
  { auth, tenants, events, jobs, log, metrics, tails, config, streams },
) => {
  await app.register(oauthRoutes, { auth });
  await app.register(adminRoutes, { tenants, auth, prefix: '/v1' });
  await app.register(eventRoutes, { events, metrics, prefix: '/v1' });
  await app.register(streamRoutes, { tails, auth, config, prefix: '/v1' });
  await app.register(jobRoutes, { jobs, prefix: '/v1' });
  await app.register(logRoutes, { log, prefix: '/v1' });
  await app.register(viewerTokenRoutes, { auth, prefix: '/v1' });
  await app.register(siemStreamRoutes, { streams, prefix: '/v1' });
};

/**
 * Trailkeep's own API: events (and their live tail), tenants, credentials, viewer tokens, jobs, streams to SIEMs and the tamper-evident log under /v1, plus the OAuth token
 * endpoint (public: it authenticates the client's id and secret itself). Its envelope is also the
 * app's, for every path no other dialect owns; its OpenAPI document is `/openapi.json`.
 */
export const native = defineDialect({
  name: 'native',
  prefix: '',
  errors: nativeErrors,
  ownsPrefix: false,
  authenticate,
  uses: ['auth', 'tenants', 'events', 'jobs', 'log', 'metrics', 'tails', 'config', 'streams'],
  routes,
});
