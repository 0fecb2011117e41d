import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { FilterBodySchema, toEventFilter } from '../../core/filters.js';
import { JOB_STATES, type Job } from '../../core/jobs.js';
import { pageJson } from '../../services/events.js';
import { CONTENT_TYPES, EXPORT_FORMATS } from '../../services/exports/writer.js';
import type { Services } from '../../services/index.js';
import { exportFormatOf, exportProofsOf } from '../../services/jobs/params.js';
import { readFor, tenantFor } from '../auth.js';
import { sendJsonText } from '../raw.js';
import { ErrorResponses, PageSchema } from './schemas.js';

const Time = Type.Union([Type.String({ format: 'date-time' }), Type.Null()]);

const JobFields = {
  id: Type.String(),
  state: Type.Enum(JOB_STATES),
  created_at: Type.String({ format: 'date-time' }),
  started_at: Time,
  finished_at: Time,
  expires_at: { ...Time, description: 'When the job and its results are deleted; null until it ends.' },
  rows: Type.Union([Type.Integer(), Type.Null()], { description: 'Events in the result, once known.' }),
  error: Type.Union([Type.String(), Type.Null()], { description: 'Why it failed; null otherwise.' }),
};
const QueryJobSchema = Type.Object(JobFields);
const ExportJobSchema = Type.Object({
  ...JobFields,
  format: Type.Enum(EXPORT_FORMATS),
  proofs: Type.Boolean({ description: 'Whether the file ends with a proof line.' }),
  bytes: Type.Union([Type.Integer(), Type.Null()], {
    description: 'The file’s size once the export has succeeded (what the byte quota counts); null before.',
  }),
  download_url: Type.Union([Type.String(), Type.Null()], {
    description: 'Absolute URL of the file once the export has succeeded; null before.',
  }),
});

const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });
const QueryBody = Type.Object({ filters: Type.Optional(FilterBodySchema) }, { additionalProperties: false });
const ExportBody = Type.Object(
  {
    format: Type.Enum(EXPORT_FORMATS),
    filters: Type.Optional(FilterBodySchema),
    proofs: Type.Optional(
      Type.Boolean({
        description:
          'NDJSON only: end the file with a proof line (a signed checkpoint and Merkle proof material) that `trailkeep verify` checks offline.',
      }),
    ),
  },
  { additionalProperties: false },
);
const ResultsQuery = Type.Object(
  {
    limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
    cursor: Type.Optional(Type.String({ maxLength: 512 })),
  },
  { additionalProperties: false },
);

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

function queryView(job: Job) {
  return {
    id: job.id,
    state: job.state,
    created_at: new Date(job.created_at).toISOString(),
    started_at: iso(job.started_at),
    finished_at: iso(job.finished_at),
    expires_at: iso(job.expires_at),
    rows: job.rows,
    error: job.error,
  };
}

/** `deleted`: the job as it was before DELETE removed it, so it links to no file. */
function exportView(job: Job, req: FastifyRequest, deleted = false) {
  return {
    ...queryView(job),
    format: exportFormatOf(job),
    proofs: exportProofsOf(job),
    bytes: job.bytes,
    download_url:
      job.state === 'succeeded' && !deleted
        ? `${req.protocol}://${req.host}/v1/exports/${job.id}/download`
        : null,
  };
}

/**
 * Async queries and exports: persisted jobs run by the worker. Every route needs `events:read`;
 * a job of another tenant, or of the other kind, is 404 like an unknown one.
 */
export const jobRoutes: FastifyPluginAsyncTypebox<Pick<Services, 'jobs'>> = async (app, { jobs }) => {
  app.post(
    '/queries',
    {
      schema: {
        tags: ['jobs'],
        summary: 'Start an async query; its result set is frozen when it runs.',
        body: QueryBody,
        response: { 202: QueryJobSchema, ...ErrorResponses },
      },
    },
    async (req, reply) => {
      const tenant = tenantFor(req, 'events:read');
      const job = await jobs.createQuery(tenant, toEventFilter(req.body.filters ?? {}));
      return reply.code(202).header('location', `/v1/queries/${job.id}`).send(queryView(job));
    },
  );

  app.get(
    '/queries/:id',
    {
      schema: {
        tags: ['jobs'],
        summary: 'The state of an async query.',
        params: IdParams,
        response: { 200: QueryJobSchema, ...ErrorResponses },
      },
    },
    async (req) => queryView(await jobs.get(tenantFor(req, 'events:read'), 'query', req.params.id)),
  );

  app.get(
    '/queries/:id/results',
    {
      schema: {
        tags: ['jobs'],
        summary: 'A page of a succeeded query’s results, newest first (409 job_not_ready before).',
        params: IdParams,
        querystring: ResultsQuery,
        response: { 200: PageSchema, ...ErrorResponses },
      },
    },
    async (req, reply) => {
      const tenant = tenantFor(req, 'events:read');
      const { limit, cursor } = req.query;
      const page = await jobs.results(tenant, req.params.id, {
        limit,
        ...(cursor !== undefined ? { cursor } : {}),
      });
      return sendJsonText(reply, pageJson(page));
    },
  );

  app.delete(
    '/queries/:id',
    {
      schema: {
        tags: ['jobs'],
        summary: 'Cancel a queued or running query; a finished one is returned unchanged.',
        params: IdParams,
        response: { 200: QueryJobSchema, ...ErrorResponses },
      },
    },
    async (req) => queryView(await jobs.cancel(tenantFor(req, 'events:read'), 'query', req.params.id)),
  );

  app.post(
    '/exports',
    {
      config: { viewer: true },
      schema: {
        tags: ['jobs'],
        summary: 'Start an export of the matching events to a CSV or NDJSON file, oldest first.',
        body: ExportBody,
        response: { 202: ExportJobSchema, ...ErrorResponses },
      },
    },
    async (req, reply) => {
      const { format, filters, proofs } = req.body;
      const { tenant, filter, within } = readFor(req, filters);
      const job = await jobs.createExport(tenant, format, filter, {
        proofs: proofs === true,
        ...(within ? { within } : {}),
      });
      return reply.code(202).header('location', `/v1/exports/${job.id}`).send(exportView(job, req));
    },
  );

  app.get(
    '/exports/:id',
    {
      config: { viewer: true },
      schema: {
        tags: ['jobs'],
        summary: 'The state of an export, with its download URL once it has succeeded.',
        params: IdParams,
        response: { 200: ExportJobSchema, ...ErrorResponses },
      },
    },
    async (req) => {
      const { tenant, within } = readFor(req);
      return exportView(await jobs.get(tenant, 'export', req.params.id, within), req);
    },
  );

  app.get(
    '/exports/:id/download',
    {
      config: { expensive: true, viewer: true },
      schema: {
        tags: ['jobs'],
        summary: 'Stream the export file (409 job_not_ready before it has succeeded).',
        produces: [CONTENT_TYPES.csv, CONTENT_TYPES.ndjson],
        params: IdParams,
        response: ErrorResponses,
      },
    },
    async (req, reply) => {
      const { tenant, within } = readFor(req);
      const { job, format, file } = await jobs.download(tenant, req.params.id, within);
      return (
        reply
          .type(CONTENT_TYPES[format])
          .header('content-length', file.size)
          .header('content-disposition', `attachment; filename="trailkeep-export-${job.id}.${format}"`)
          // The response schema covers only errors; the body is the file, streamed as it is read.
          .send(file.stream as never)
      );
    },
  );

  app.delete(
    '/exports/:id',
    {
      schema: {
        tags: ['jobs'],
        summary:
          'Cancel a queued or running export (its partial file is deleted); delete a finished one with its file.',
        params: IdParams,
        response: { 200: ExportJobSchema, ...ErrorResponses },
      },
    },
    async (req) => {
      const { job, deleted } = await jobs.deleteExport(tenantFor(req, 'events:read'), req.params.id);
      return exportView(job, req, deleted);
    },
  );
};
