import type { FastifyInstance } from 'fastify';
import { defineDialect } from '../dialect.js';
import { authenticateZendesk } from './auth.js';
import { zendeskErrors } from './envelope.js';
import { auditLogRoutes } from './routes.js';

/** node-zendesk sends `Content-Type: application/json` with an empty POST body (export). */
function emptyBodiesAllowed(scope: FastifyInstance) {
  scope.removeContentTypeParser('application/json');
  scope.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    const text = String(body);
    if (text.trim() === '') return done(null, undefined);
    try {
      done(null, JSON.parse(text));
    } catch {
      done(new SyntaxError('The request body is not valid JSON.'), undefined);
    }
  });
}

/**
 * The Zendesk Audit Logs dialect (docs/zendesk.md), under /api/v2: Basic API-token or Bearer
 * authentication (scope events:read), Zendesk's error envelope and 404s, the core reads.
 */
export const zendesk = defineDialect({
  name: 'zendesk',
  prefix: '/api/v2',
  errors: zendeskErrors,
  ownsPrefix: true,
  authenticate: authenticateZendesk,
  setup: emptyBodiesAllowed,
  uses: ['events', 'jobs'],
  routes: auditLogRoutes,
  openapi: {
    title: 'Zendesk Audit Logs API',
    description:
      'The Zendesk Support audit-log API (list, show, CSV export) served by Trailkeep: see docs/zendesk.md.',
    security: {
      schemes: {
        basic: {
          type: 'http',
          scheme: 'basic',
          description:
            'Zendesk API-token form: `{email}/token:{API token}`, where the API token is a Trailkeep key secret and the email names the reader in the server log.',
        },
      },
      requirement: [{ basic: [] }],
    },
  },
});
