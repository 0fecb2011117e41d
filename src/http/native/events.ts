import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { TrailkeepError } from '../../core/errors.js';
import { EventInputSchema, MAX_BATCH_EVENTS } from '../../core/event/schema.js';
import { FilterQuerySchema } from '../../core/filters.js';
import { pageJson, tooManyEvents } from '../../services/events.js';
import type { Services } from '../../services/index.js';
import { readFor, writerFor } from '../auth.js';
import { JSON_BODY_LIMIT } from '../limits.js';
import { sendJsonText } from '../raw.js';
import { ErrorResponses, PageSchema, StoredEventSchema } from './schemas.js';

export const NDJSON_BODY_LIMIT = 16 * 1024 * 1024;

const ListQuery = Type.Object(
  {
    ...FilterQuerySchema.properties,
    order: Type.Optional(Type.Union([Type.Literal('desc'), Type.Literal('asc')], { default: 'desc' })),
    limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
    cursor: Type.Optional(Type.String({ maxLength: 512 })),
  },
  { additionalProperties: false },
);

const IngestReply = Type.Object({
  accepted: Type.Integer({ description: 'Events acknowledged: all of them are committed.' }),
  duplicates: Type.Integer({
    description: 'Of those, repeats of events stored before (same id and content).',
  }),
  events: Type.Array(
    Type.Object({
      id: Type.String(),
      tenant: Type.Optional(
        Type.String({ description: 'Where the event went, for an operator key (seqs count per tenant).' }),
      ),
      seq: Type.Integer(),
      hash: Type.String(),
      duplicate: Type.Optional(Type.Boolean()),
    }),
  ),
});

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Ingest bodies are decoded strictly: bytes that are not UTF-8 would otherwise become U+FFFD, and
 * an event be stored (and hashed) with other text than the client sent. Malformed JSON, a 400.
 */
function utf8(body: Buffer): string {
  try {
    return strictUtf8.decode(body);
  } catch {
    throw new TrailkeepError('invalid_json', 'The request body is not valid UTF-8.');
  }
}

/**
 * JSON text parsed as JSON says, `__proto__` included as a plain key: the core refuses that key
 * naming its path, the same on every encoding (Fastify's parser would refuse only the JSON body,
 * calling it invalid JSON).
 */
function parseJson(text: string, where: string, details?: Record<string, unknown>): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new TrailkeepError('invalid_json', `${where} is not valid JSON.`, details);
  }
}

/**
 * The events of an NDJSON body, one per non-blank line. The lines are counted before any is
 * parsed, so a body of 100,000 small events is refused for its count at the cost of a scan.
 */
function ndjsonEvents(body: string): unknown[] {
  const lines: { text: string; no: number }[] = [];
  let no = 0;
  for (let start = 0; start <= body.length; no++) {
    const found = body.indexOf('\n', start);
    const end = found < 0 ? body.length : found;
    const text = body.slice(start, end);
    start = end + 1;
    if (text.trim() === '') continue;
    if (lines.length === MAX_BATCH_EVENTS) throw tooManyEvents();
    lines.push({ text, no: no + 1 });
  }
  return lines.map(({ text, no }) => parseJson(text, `Line ${no}`, { line: no }));
}

/** The events of a POST body, with how to name event i in problems. */
function eventsOf(req: FastifyRequest): { inputs: unknown[]; rootOf: (i: number) => string } {
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (type === 'application/x-ndjson')
    return { inputs: ndjsonEvents(req.body as string), rootOf: (i) => `$[${i}]` };
  if (type !== 'application/json') {
    throw new TrailkeepError('unsupported_media_type', 'Send application/json or application/x-ndjson.');
  }
  const body = req.body as Record<string, unknown> | unknown[] | null;
  if (body !== null && typeof body === 'object' && !Array.isArray(body) && 'events' in body) {
    if (!Array.isArray(body.events)) throw new TrailkeepError('invalid_event', '$.events must be an array.');
    if (body.events.length > MAX_BATCH_EVENTS) throw tooManyEvents();
    return { inputs: body.events, rootOf: (i) => `$.events[${i}]` };
  }
  return { inputs: [body], rootOf: () => '$' };
}

export const eventRoutes: FastifyPluginAsyncTypebox<Pick<Services, 'events' | 'metrics'>> = async (
  app,
  { events, metrics },
) => {
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser(
    'application/json',
    { parseAs: 'buffer', bodyLimit: JSON_BODY_LIMIT },
    (_req, body, done) => {
      try {
        const text = utf8(body as Buffer);
        if (text.trim() === '') throw new TrailkeepError('invalid_json', 'The request body is empty.');
        done(null, parseJson(text, 'The request body'));
      } catch (err) {
        done(err as Error, undefined);
      }
    },
  );
  app.addContentTypeParser(
    'application/x-ndjson',
    { parseAs: 'buffer', bodyLimit: NDJSON_BODY_LIMIT },
    (_req, body, done) => {
      try {
        done(null, utf8(body as Buffer));
      } catch (err) {
        done(err as Error, undefined);
      }
    },
  );

  app.post(
    '/events',
    {
      schema: {
        tags: ['events'],
        summary:
          'Ingest one event, a batch {"events":[…]} or NDJSON (one event a line), at most 1,000 events; a batch is atomic. An operator key names each event’s tenant, or the batch’s with Trailkeep-Tenant; its batch may span tenants.',
        consumes: ['application/json', 'application/x-ndjson'],
        body: Type.Union([
          EventInputSchema,
          Type.Object({ events: Type.Array(EventInputSchema, { maxItems: MAX_BATCH_EVENTS }) }),
        ]),
        response: { 200: IngestReply, 201: IngestReply, ...ErrorResponses },
      },
      // The core validates events (the CLI's local ingest shares it) and names every problem's
      // JSON path across the batch; the body schema above documents the API.
      validatorCompiler: () => () => true,
    },
    async (req, reply) => {
      const writer = writerFor(req);
      const started = performance.now();
      try {
        const { inputs, rootOf } = eventsOf(req);
        const results = await events.ingest(writer, inputs, rootOf);
        const duplicates = results.filter((r) => r.duplicate).length;
        metrics.ingested.inc(results.length - duplicates);
        metrics.ingestRequests.labels('ok').inc();
        return reply.code(duplicates === results.length ? 200 : 201).send({
          accepted: results.length,
          duplicates,
          events: results.map(({ id, seq, hash, duplicate, tenant }) => {
            const r = tenant === undefined ? { id, seq, hash } : { id, tenant, seq, hash };
            return duplicate ? { ...r, duplicate } : r;
          }),
        });
      } catch (err) {
        metrics.ingestRequests.labels('rejected').inc();
        throw err;
      } finally {
        metrics.ingestLatency.observe((performance.now() - started) / 1000);
      }
    },
  );

  app.get(
    '/events',
    {
      config: { viewer: true },
      schema: {
        tags: ['events'],
        summary: 'List events, newest first by default; repeat a filter parameter to OR its values.',
        querystring: ListQuery,
        response: { 200: PageSchema, ...ErrorResponses },
      },
    },
    async (req, reply) => {
      const end = metrics.queryLatency.labels('list').startTimer();
      const { order, limit, cursor, ...filters } = req.query;
      const { tenant, filter } = readFor(req, filters);
      const page = await events.page(tenant, filter, {
        limit,
        ...(order && req.query.cursor === undefined ? { order } : {}),
        ...(cursor !== undefined ? { cursor } : {}),
      });
      end();
      return sendJsonText(reply, pageJson(page));
    },
  );

  app.get(
    '/events/count',
    {
      config: { viewer: true },
      schema: {
        tags: ['events'],
        summary: 'Count the events that match the same filters as the list.',
        querystring: Type.Object(FilterQuerySchema.properties, { additionalProperties: false }),
        response: { 200: Type.Object({ count: Type.Integer() }), ...ErrorResponses },
      },
    },
    async (req) => {
      const end = metrics.queryLatency.labels('count').startTimer();
      const { tenant, filter } = readFor(req, req.query);
      const count = await events.count(tenant, filter);
      end();
      return { count };
    },
  );

  app.get(
    '/events/:id',
    {
      config: { viewer: true },
      schema: {
        tags: ['events'],
        summary: 'One stored event by its id, or by its seq.',
        params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 128 }) }),
        response: { 200: StoredEventSchema, ...ErrorResponses },
      },
    },
    async (req, reply) => {
      const { tenant, within } = readFor(req);
      const json = await events.get(tenant, req.params.id, within);
      return sendJsonText(reply, json);
    },
  );
};
