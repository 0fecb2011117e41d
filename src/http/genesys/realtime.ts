import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { invalidParameter, TrailkeepError } from '../../core/errors.js';
import type { ServiceMap } from '../../core/facets.js';
import type { Services } from '../../services/index.js';
import { tenantFor } from '../auth.js';
import { messageOf } from './mapping.js';
import {
  AuditQueryServiceMapping,
  AuditRealtimeQueryRequest,
  AuditRealtimeQueryResultsResponse,
  AuditRealtimeRelatedRequest,
  AuditRealtimeRelatedResultsResponse,
  ErrorResponses,
  Expand,
} from './schemas.js';
import { expandsUser, orderOfSort, translateQuery } from './translate.js';

const tags = ['genesys'];
const DAY_MS = 86_400_000;
const ExpandQuery = Type.Object({ expand: Expand });

const mappingView = (map: ServiceMap) => ({
  services: map.map((s) => ({
    name: s.service,
    entities: s.targetTypes.map((t) => ({ name: t.type, actions: t.actions })),
  })),
});

/** The synchronous reads: realtime query (page numbers), related audits, service mappings. */
export const realtimeRoutes: FastifyPluginAsyncTypebox<
  Pick<Services, 'events' | 'config' | 'clock'>
> = async (app, { events, config, clock }) => {
  const windowDays = config.TRAILKEEP_GENESYS_REALTIME_DAYS;
  const windowStart = () => clock() - windowDays * DAY_MS;

  app.post(
    '/query/realtime',
    {
      config: { expensive: true },
      schema: {
        tags,
        summary: `Realtime audit query (postAuditsQueryRealtime): intervals within the last ${windowDays} days, by page number.`,
        querystring: ExpandQuery,
        body: AuditRealtimeQueryRequest,
        response: { 200: AuditRealtimeQueryResultsResponse, ...ErrorResponses },
      },
    },
    async (req) => {
      const tenant = tenantFor(req, 'events:read');
      const expandUser = expandsUser(req.query.expand);
      const { filter, order, range } = translateQuery(req.body);
      if (range.from < windowStart()) {
        const why = `starts more than ${windowDays} days ago, outside the realtime window; use POST /api/v2/audits/query for older audits`;
        invalidParameter('interval', why, '$.interval');
      }
      const pageSize = req.body.pageSize ?? 25;
      const pageNumber = req.body.pageNumber ?? 1;
      const { rows, total } = await events.offsetPage(tenant, filter, {
        order,
        limit: pageSize,
        offset: (pageNumber - 1) * pageSize,
      });
      return {
        entities: rows.map((r) => messageOf(r.json, { expandUser })),
        pageSize,
        pageNumber,
        total,
        pageCount: Math.ceil(total / pageSize),
      };
    },
  );

  app.post(
    '/query/realtime/related',
    {
      schema: {
        tags,
        summary: 'The audits created by the same action as the given audit (postAuditsQueryRealtimeRelated).',
        querystring: ExpandQuery,
        body: AuditRealtimeRelatedRequest,
        response: { 200: AuditRealtimeRelatedResultsResponse, ...ErrorResponses },
      },
    },
    async (req) => {
      const tenant = tenantFor(req, 'events:read');
      const expandUser = expandsUser(req.query.expand);
      const { auditId, trustorOrgId } = req.body;
      // No cross-organisation trust here: the only organisation a caller reads is its own tenant.
      if (trustorOrgId !== undefined && trustorOrgId !== '' && trustorOrgId !== tenant) {
        throw new TrailkeepError('not_found', `Audit ${auditId} not found.`);
      }
      const rows = await events.related(tenant, auditId, orderOfSort(req.body.sort));
      return { entities: rows.map((r) => messageOf(r.json, { expandUser })) };
    },
  );

  app.get(
    '/query/servicemapping',
    {
      config: { expensive: true },
      schema: {
        tags,
        summary:
          'Services, entity types and actions found in the tenant’s audits (getAuditsQueryServicemapping).',
        response: { 200: AuditQueryServiceMapping, ...ErrorResponses },
      },
    },
    async (req) => mappingView(await events.serviceMap(tenantFor(req, 'events:read'), {})),
  );

  app.get(
    '/query/realtime/servicemapping',
    {
      config: { expensive: true },
      schema: {
        tags,
        summary: `The service mapping of the realtime window, the last ${windowDays} days (getAuditsQueryRealtimeServicemapping).`,
        response: { 200: AuditQueryServiceMapping, ...ErrorResponses },
      },
    },
    async (req) =>
      mappingView(await events.serviceMap(tenantFor(req, 'events:read'), { from: windowStart() })),
  );
};
