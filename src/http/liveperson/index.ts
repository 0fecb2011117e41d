import { authenticate } from '../auth.js';
import { defineDialect } from '../dialect.js';
import { livePersonErrors } from './envelope.js';
import { auditRoutes } from './routes.js';

/**
 * The LivePerson Audit Trail dialect (docs/liveperson.md), under /api/account: bearer
 * authentication (key secrets or OAuth access tokens, scope events:read), GraphQL's
 * `{"errors":[{"message"}]}` envelope for every error and 404, and the `auditData` query.
 */
export const livePerson = defineDialect({
  name: 'liveperson',
  prefix: '/api/account',
  errors: livePersonErrors,
  ownsPrefix: true,
  authenticate,
  uses: ['events', 'config'],
  routes: auditRoutes,
  openapi: {
    title: 'LivePerson Audit Trail API',
    description:
      'The LivePerson audit trail (the GraphQL `auditData` query) served by Trailkeep: see docs/liveperson.md.',
  },
});
