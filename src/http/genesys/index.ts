import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Services } from '../../services/index.js';
import { authenticate } from '../auth.js';
import { defineDialect } from '../dialect.js';
import { genesysErrors } from './envelope.js';
import { queryRoutes } from './query.js';
import { realtimeRoutes } from './realtime.js';

type GenesysDeps = Pick<Services, 'events' | 'jobs' | 'resultLinks' | 'config' | 'clock'>;

const routes: FastifyPluginAsyncTypebox<GenesysDeps> = async (
  app,
  { events, jobs, resultLinks, config, clock },
) => {
  await app.register(realtimeRoutes, { events, config, clock });
  await app.register(queryRoutes, { jobs, resultLinks, config });
};

/**
 * The Genesys Cloud AuditApi dialect (docs/genesys.md), under /api/v2/audits: bearer
 * authentication (key secrets or access tokens from POST /oauth/token, scope events:read; a
 * presigned results download is public), its own ErrorBody envelope and 404s; the reads are the
 * core services'.
 */
export const genesys = defineDialect({
  name: 'genesys',
  prefix: '/api/v2/audits',
  errors: genesysErrors,
  ownsPrefix: true,
  authenticate,
  uses: ['events', 'jobs', 'resultLinks', 'config', 'clock'],
  routes,
  openapi: {
    title: 'Genesys Cloud AuditApi',
    description:
      'The Genesys Cloud audit query API (realtime and asynchronous queries, service mappings) served by Trailkeep: see docs/genesys.md.',
  },
});
