import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Services } from '../../services/index.js';
import { tenantFor } from '../auth.js';
import { type AgilicusRead, auditsRead, authAuditsRead } from './filters.js';
import { auditOf, authAuditOf, type Stored } from './mapping.js';
import {
  AuditsQuery,
  AuthAuditsQuery,
  ErrorResponses,
  ListAuditsResponse,
  ListAuthAuditsResponse,
} from './schemas.js';

const tags = ['agilicus'];

/**
 * Exactly the two AuditsApi routes, relative to the plugin's `/v1` prefix: every other `/v1`
 * path stays the native API's (and its 404).
 */
export const auditRoutes: FastifyPluginAsyncTypebox<Pick<Services, 'events' | 'clock'>> = async (
  app,
  { events, clock },
) => {
  /** Up to `limit` matching events, newest first: one query, every filter the store's. */
  async function read(tenant: string, { filter, otherOrg }: AgilicusRead, limit: number) {
    if (otherOrg) return [];
    const rows = await events.take(tenant, filter, 'desc', limit, (row) => row);
    return rows.map((row) => JSON.parse(row.json) as Stored);
  }

  app.get(
    '/audits',
    {
      schema: {
        tags,
        summary: 'Agilicus list_audits: admin, data and system events, newest first.',
        querystring: AuditsQuery,
        response: { 200: ListAuditsResponse, ...ErrorResponses },
      },
    },
    async (req) => {
      const tenant = tenantFor(req, 'events:read');
      const { limit } = req.query;
      const rows = await read(tenant, auditsRead(tenant, req.query, clock()), limit);
      return { limit, audits: rows.map(auditOf) };
    },
  );

  app.get(
    '/auth_audits',
    {
      schema: {
        tags,
        summary: 'Agilicus list_auth_records: authentication events, newest first.',
        querystring: AuthAuditsQuery,
        response: { 200: ListAuthAuditsResponse, ...ErrorResponses },
      },
    },
    async (req) => {
      const tenant = tenantFor(req, 'events:read');
      const { limit } = req.query;
      const rows = await read(tenant, authAuditsRead(tenant, req.query, clock()), limit);
      return { limit, auth_audits: rows.map(authAuditOf) };
    },
  );
};
