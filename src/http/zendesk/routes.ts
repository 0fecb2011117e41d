import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Static } from 'typebox';
import { invalidParameter, TrailkeepError } from '../../core/errors.js';
import type { Order } from '../../core/query.js';
import type { Services } from '../../services/index.js';
import { tenantFor } from '../auth.js';
import { sendJsonText } from '../raw.js';
import { zendeskFilter } from './filters.js';
import { baseOf, pageLink } from './links.js';
import { auditLogOf } from './mapping.js';
import {
  CursorPage,
  ErrorResponses,
  FilterQuery,
  IdParams,
  ListQuery,
  OffsetPage,
  ShowResponse,
} from './schemas.js';

const tags = ['zendesk'];
/** Zendesk refuses offset pages reaching past this many records (cursor paging has no limit). */
export const OFFSET_LIMIT = 10_000;
/** Cursors are bound to this list (and the tenant): native and job cursors are refused here. */
const SCOPE = 'zendesk:audit_logs';
const EXPORT_INTERVAL_MS = 60_000;
const EXPORT_HEADER = 'zendesk-ratelimit-audit-logs-export';

const invalidPaging = (param: string, message: string): never =>
  invalidParameter(param, message, `query.${param}`, 'invalid_cursor');

/**
 * The audit-log routes; each path also answers with `.json`, which is how node-zendesk calls them.
 * Paging: cursor mode with any `page[…]` or `sort`; offset mode otherwise (Zendesk's default).
 */
export const auditLogRoutes: FastifyPluginAsyncTypebox<Pick<Services, 'events' | 'jobs'>> = async (
  app,
  { events, jobs },
) => {
  for (const suffix of ['', '.json']) {
    app.get(
      `/audit_logs${suffix}`,
      {
        schema: {
          tags,
          summary: 'List audit logs (cursor or offset pagination).',
          querystring: ListQuery,
          response: { 200: { anyOf: [CursorPage, OffsetPage] }, ...ErrorResponses },
        },
      },
      // Sent as JSON text: Fastify's serializer picks an anyOf branch by validating the whole
      // page against each, which cost more than the rest of the request. The schema above still
      // documents the answer, and the tests check the wire output against it.
      async (req, reply) => {
        const tenant = tenantFor(req, 'events:read');
        const q = req.query;
        const filter = zendeskFilter(q);
        const base = baseOf(req);
        const cursorMode =
          q['page[size]'] !== undefined ||
          q['page[after]'] !== undefined ||
          q['page[before]'] !== undefined ||
          q.sort !== undefined;
        const offsetMode =
          q.page !== undefined ||
          q.per_page !== undefined ||
          q.sort_by !== undefined ||
          q.sort_order !== undefined;
        if (cursorMode && offsetMode) invalidPaging('page', 'mixes cursor and offset pagination parameters.');

        if (!offsetMode) {
          if (q['page[after]'] !== undefined && q['page[before]'] !== undefined) {
            invalidPaging('page[before]', 'cannot be used with page[after].');
          }
          const limit = q['page[size]'] ?? 100;
          const span = await events.span(
            tenant,
            filter,
            {
              ...(q.sort ? { order: (q.sort === 'created_at' ? 'asc' : 'desc') as Order } : {}),
              limit,
              ...(q['page[after]'] !== undefined ? { after: q['page[after]'] } : {}),
              ...(q['page[before]'] !== undefined ? { before: q['page[before]'] } : {}),
            },
            SCOPE,
          );
          const cursorGiven = q['page[after]'] !== undefined || q['page[before]'] !== undefined;
          // A page reached from a cursor always has the page it came from on that side.
          const hasNext = span.direction === 'after' ? span.more : true;
          const hasPrev = span.direction === 'before' ? span.more : cursorGiven;
          const size = String(limit);
          const body: Static<typeof CursorPage> = {
            audit_logs: span.rows.map((r) => auditLogOf(r.json, base)),
            meta: { has_more: span.more, after_cursor: span.last, before_cursor: span.first },
            links: {
              next:
                hasNext && span.last ? pageLink(req, { 'page[after]': span.last, 'page[size]': size }) : null,
              prev:
                hasPrev && span.first
                  ? pageLink(req, { 'page[before]': span.first, 'page[size]': size })
                  : null,
            },
          };
          return sendJsonText(reply, JSON.stringify(body));
        }

        const perPage = q.per_page ?? 100;
        const page = q.page ?? 1;
        const offset = (page - 1) * perPage;
        if (offset + perPage > OFFSET_LIMIT) {
          throw new TrailkeepError(
            'invalid_request',
            `Offset pagination is limited to ${OFFSET_LIMIT} records; use cursor pagination (page[size]).`,
            [{ path: 'query.page', message: `reaches past record ${OFFSET_LIMIT}.` }],
          );
        }
        const { rows, total } = await events.offsetPage(tenant, filter, {
          order: q.sort_order ?? 'desc',
          limit: perPage,
          offset,
        });
        const link = (n: number) => pageLink(req, { page: String(n), per_page: String(perPage) });
        const body: Static<typeof OffsetPage> = {
          audit_logs: rows.map((r) => auditLogOf(r.json, base)),
          next_page: offset + perPage < total ? link(page + 1) : null,
          previous_page: page > 1 ? link(page - 1) : null,
          count: total,
        };
        return sendJsonText(reply, JSON.stringify(body));
      },
    );

    app.get(
      `/audit_logs/:id${suffix}`,
      {
        schema: {
          tags,
          summary: 'Show an audit log (the id is the event’s seq).',
          params: IdParams,
          response: { 200: ShowResponse, ...ErrorResponses },
        },
      },
      async (req) => {
        const tenant = tenantFor(req, 'events:read');
        const id = /^[1-9]\d{0,14}$/.test(req.params.id) ? Number(req.params.id) : 0;
        const json = await events.getBySeq(tenant, id);
        return { audit_log: auditLogOf(json, baseOf(req)) };
      },
    );

    app.post(
      `/audit_logs/export${suffix}`,
      {
        schema: {
          tags,
          summary:
            'Start a CSV export of the matching audit logs (202; Location is the export job). One per minute.',
          querystring: FilterQuery,
          response: { ...ErrorResponses },
        },
      },
      async (req, reply) => {
        const tenant = tenantFor(req, 'events:read');
        // One export per minute per tenant, on every node: the jobs store decides atomically.
        const made = await jobs.createExportSpaced(
          tenant,
          'csv',
          zendeskFilter(req.query),
          EXPORT_INTERVAL_MS,
        );
        const resets =
          'job' in made ? EXPORT_INTERVAL_MS / 1000 : Math.max(1, Math.ceil(made.retryAfterMs / 1000));
        reply.header(EXPORT_HEADER, `total=1; remaining=0; resets=${resets}`);
        if (!('job' in made)) {
          throw new TrailkeepError(
            'rate_limited',
            'Rate limit for Audit log CSV Export exceeded. Please wait 1 minute and try again.',
            { retry_after: resets },
          );
        }
        const { job } = made;
        req.log.info({ job: job.id }, 'zendesk audit log export started');
        // No body (Zendesk's is null, which node-zendesk turns into an error); the job is at Location.
        return reply
          .code(202)
          .header('location', `${baseOf(req)}/v1/exports/${job.id}`)
          .send(undefined as never);
      },
    );
  }
};
