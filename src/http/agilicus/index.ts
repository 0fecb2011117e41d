import { authenticate } from '../auth.js';
import { defineDialect } from '../dialect.js';
import { agilicusErrors } from './envelope.js';
import { auditRoutes } from './routes.js';

/**
 * The Agilicus AuditsApi dialect (docs/agilicus.md), under /v1 beside the native API: bearer
 * authentication (key secrets or access tokens, scope events:read) and the
 * `{"error_code","error_message"}` envelope for its two routes only. It owns no prefix on
 * purpose: a not-found handler of its own would take every unknown `/v1/...` path from the
 * native API.
 */
export const agilicus = defineDialect({
  name: 'agilicus',
  prefix: '/v1',
  errors: agilicusErrors,
  ownsPrefix: false,
  authenticate,
  uses: ['events', 'clock'],
  routes: auditRoutes,
  openapi: {
    title: 'Agilicus AuditsApi',
    description: 'The Agilicus audit and auth-audit lists served by Trailkeep: see docs/agilicus.md.',
  },
});
