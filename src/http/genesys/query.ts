import { Readable } from 'node:stream';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { type Static, Type } from 'typebox';
import { TrailkeepError } from '../../core/errors.js';
import type { Job } from '../../core/jobs.js';
import type { EventRow } from '../../core/query.js';
import type { Services } from '../../services/index.js';
import { requestOf } from '../../services/jobs/params.js';
import { tenantFor } from '../auth.js';
import { holdExpensiveRead } from '../expensive.js';
import { sendJsonText } from '../raw.js';
import { messageOf } from './mapping.js';
import {
  AuditQueryExecutionLargeResultsResponse,
  AuditQueryExecutionResultsResponse,
  AuditQueryExecutionStatusResponse,
  AuditQueryRequest,
  ErrorResponses,
  Expand,
  TransactionParams,
} from './schemas.js';
import { expandsUser, STATE, translateQuery } from './translate.js';

const tags = ['genesys'];

function statusView(job: Job) {
  const r = (requestOf(job) ?? {}) as Record<string, unknown>;
  return {
    id: job.id,
    state: STATE[job.state],
    startDate: new Date(job.created_at).toISOString(),
    ...(typeof r.interval === 'string' ? { interval: r.interval } : {}),
    ...(typeof r.serviceName === 'string' ? { serviceName: r.serviceName } : {}),
    ...(Array.isArray(r.filters) ? { filters: r.filters } : {}),
    ...(Array.isArray(r.sort) ? { sort: r.sort } : {}),
  };
}

/** The download URL's `expand` variant: it is signed, so it cannot be changed on the way. */
const variantOf = (expandUser: boolean) => (expandUser ? 'user' : '');

/** `{"id":…,"entities":[…]}`, one chunk of events at a time. */
async function* resultDocument(id: string, chunks: AsyncIterable<EventRow[]>, expandUser: boolean) {
  yield `{"id":${JSON.stringify(id)},"entities":[`;
  let first = true;
  for await (const rows of chunks) {
    const text = rows.map((r) => JSON.stringify(messageOf(r.json, { expandUser }))).join(',');
    yield first ? text : `,${text}`;
    first = false;
  }
  yield ']}';
}

const downloadUrl = (req: FastifyRequest, id: string, token: string, expandUser: boolean) =>
  `${req.protocol}://${req.host}/api/v2/audits/query/${encodeURIComponent(id)}/download?token=${token}${
    expandUser ? '&expand=user' : ''
  }`;

/**
 * The async audit query: a persisted query job (the same jobs as /v1/queries), whose results
 * are frozen when it runs and paged with signed cursors.
 */
export const queryRoutes: FastifyPluginAsyncTypebox<
  Pick<Services, 'jobs' | 'resultLinks' | 'config'>
> = async (app, { jobs, resultLinks, config }) => {
  app.post(
    '/query',
    {
      schema: {
        tags,
        summary: 'Create audit query execution (postAuditsQuery).',
        body: AuditQueryRequest,
        response: { 200: AuditQueryExecutionStatusResponse, ...ErrorResponses },
      },
    },
    async (req) => {
      const tenant = tenantFor(req, 'events:read');
      const { filter, order } = translateQuery(req.body);
      const { interval, serviceName, filters: given, sort } = req.body;
      const request = {
        interval,
        ...(serviceName !== undefined ? { serviceName } : {}),
        ...(given !== undefined ? { filters: given } : {}),
        ...(sort !== undefined ? { sort } : {}),
      };
      return statusView(await jobs.createQuery(tenant, filter, { order, request }));
    },
  );

  app.get(
    '/query/:transactionId',
    {
      schema: {
        tags,
        summary: 'Get status of audit query execution (getAuditsQueryTransactionId).',
        params: TransactionParams,
        response: { 200: AuditQueryExecutionStatusResponse, ...ErrorResponses },
      },
    },
    async (req) =>
      statusView(await jobs.get(tenantFor(req, 'events:read'), 'query', req.params.transactionId)),
  );

  app.get(
    '/query/:transactionId/results',
    {
      config: { expensive: true },
      schema: {
        tags,
        summary: 'Get results of audit query (getAuditsQueryTransactionIdResults); 400 before Succeeded.',
        params: TransactionParams,
        querystring: Type.Object({
          cursor: Type.Optional(Type.String({ maxLength: 512 })),
          pageSize: Type.Integer({ minimum: 1, maximum: 500, default: 25 }),
          expand: Expand,
          allowRedirect: Type.Optional(Type.Boolean()),
        }),
        response: {
          200: Type.Union([AuditQueryExecutionResultsResponse, AuditQueryExecutionLargeResultsResponse]),
          ...ErrorResponses,
        },
      },
    },
    // Sent as JSON text: Fastify's serializer picks a union's branch by validating the whole
    // page against each, which cost more than the rest of the request. The schema above still
    // documents the answer, and the tests check the wire output against it.
    async (req, reply) => {
      const tenant = tenantFor(req, 'events:read');
      const id = req.params.transactionId;
      const { cursor, pageSize, allowRedirect } = req.query;
      const expandUser = expandsUser(req.query.expand);
      const job = await jobs.get(tenant, 'query', id);
      if (job.state !== 'succeeded') {
        throw new TrailkeepError(
          'job_not_ready',
          `The query is ${STATE[job.state]}; its results are available once it has Succeeded.`,
        );
      }
      // Only a fresh read is redirected: a client already paging with a cursor keeps paging.
      if (allowRedirect && cursor === undefined && (job.rows ?? 0) > config.TRAILKEEP_GENESYS_REDIRECT_ROWS) {
        const { token } = resultLinks.create(job, variantOf(expandUser));
        const large: Static<typeof AuditQueryExecutionLargeResultsResponse> = {
          id,
          pageSize,
          downloadUrl: downloadUrl(req, id, token, expandUser),
        };
        return sendJsonText(reply, JSON.stringify(large));
      }
      const page = await jobs.results(tenant, id, {
        limit: pageSize,
        ...(cursor !== undefined ? { cursor } : {}),
      });
      const results: Static<typeof AuditQueryExecutionResultsResponse> = {
        id,
        pageSize,
        ...(page.nextCursor !== null ? { cursor: page.nextCursor } : {}),
        entities: page.rows.map((r) => messageOf(r.json, { expandUser })),
      };
      return sendJsonText(reply, JSON.stringify(results));
    },
  );

  app.get(
    '/query/:transactionId/download',
    {
      config: { public: true },
      schema: {
        tags,
        summary:
          'The whole result of a query as one JSON document, streamed: the downloadUrl of allowRedirect. Presigned; expires.',
        security: [],
        params: TransactionParams,
        querystring: Type.Object({
          token: Type.Optional(Type.String({ maxLength: 1024 })),
          expand: Expand,
        }),
        response: ErrorResponses,
      },
    },
    async (req, reply) => {
      const { token } = req.query;
      if (!token) throw new TrailkeepError('unauthorized', 'The download link has no token.');
      const expandUser = expandsUser(req.query.expand);
      const id = req.params.transactionId;
      const { job, chunks } = await resultLinks.open(token, id, variantOf(expandUser));
      // The link carries no credential: it counts against its tenant and the client's address.
      holdExpensiveRead(req, reply, job.tenant);
      return (
        reply
          .type('application/json; charset=utf-8')
          .header('cache-control', 'private, no-store')
          .header('content-disposition', `attachment; filename="audit-query-${job.id}.json"`)
          // The response schema covers only errors; the body is streamed as it is read.
          .send(Readable.from(resultDocument(job.id, chunks, expandUser)) as never)
      );
    },
  );
};
