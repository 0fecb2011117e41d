import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { type ErrorCode, TrailkeepError } from '../../core/errors.js';
import type { Problem } from '../../core/schema.js';
import { classify } from '../errors.js';

/**
 * The closed catalogue as Zendesk error labels. A 401 is the bare `{"error":"Couldn't
 * authenticate you"}`; 403 and 404 carry Zendesk's own descriptions; every other error keeps the
 * catalogue's message as its description.
 */
const ZENDESK: Record<ErrorCode, { error: string; description?: string }> = {
  invalid_json: { error: 'InvalidJSON' },
  invalid_request: { error: 'InvalidValue' },
  invalid_event: { error: 'RecordInvalid' },
  invalid_cursor: { error: 'InvalidPaginationParameter' },
  unauthorized: { error: "Couldn't authenticate you" },
  forbidden: {
    error: 'Forbidden',
    description:
      'You do not have access to this page. Please contact the account owner of this help desk for further help.',
  },
  not_found: { error: 'RecordNotFound', description: 'Not found' },
  conflict: { error: 'Conflict' },
  job_not_ready: { error: 'Conflict' },
  payload_too_large: { error: 'PayloadTooLarge' },
  unsupported_media_type: { error: 'UnsupportedMediaType' },
  rate_limited: { error: 'TooManyRequests' },
  unavailable: { error: 'ServiceUnavailable' },
  internal: { error: 'InternalError' },
};

/** `query.page[size]` / `$.x` → `page[size]` / `x`: Zendesk names fields as the client sent them. */
const fieldName = (path: string) => path.replace(/^(?:\$|query|path|headers)(?:\.|(?=\[)|$)/, '') || 'base';

/** `{"field":[{"description","error"}]}` from the problems an error names. */
function detailsOf(e: TrailkeepError): Record<string, { description: string; error: string }[]> | null {
  const problems = Array.isArray(e.details)
    ? (e.details as Problem[]).filter((p) => typeof p?.path === 'string')
    : [];
  if (problems.length === 0) return null;
  const out: Record<string, { description: string; error: string }[]> = {};
  for (const p of problems) {
    const name = fieldName(p.path);
    const list = out[name] ?? [];
    list.push({ description: `${name} ${p.message}`.trim(), error: 'InvalidValue' });
    out[name] = list;
  }
  return out;
}

/** Zendesk's envelope `{"error","description","details"}`; a 429 carries `Retry-After`. */
export function renderZendeskError(err: unknown, req: FastifyRequest, reply: FastifyReply) {
  const e = classify(err);
  if (e.code === 'internal') req.log.error({ err }, 'request failed');
  else req.log.info({ code: e.code, status: e.status }, 'request rejected');
  const wire = ZENDESK[e.code];
  if (e.code === 'unauthorized') reply.header('www-authenticate', 'Basic realm="Web Password"');
  if (e.code === 'unavailable') reply.header('retry-after', '1');
  const retry = !Array.isArray(e.details) ? e.details?.retry_after : undefined;
  if (e.code === 'rate_limited' && typeof retry === 'number') reply.header('retry-after', String(retry));
  const details = detailsOf(e);
  const body =
    e.code === 'unauthorized'
      ? { error: wire.error }
      : {
          error: wire.error,
          description: wire.description ?? (e.code === 'internal' ? 'Internal error.' : e.message),
          ...(details ? { details } : {}),
        };
  return reply.code(e.status).type('application/json; charset=utf-8').send(body);
}

export const zendeskErrorHandler = (err: FastifyError, req: FastifyRequest, reply: FastifyReply) =>
  renderZendeskError(err, req, reply);

export const zendeskNotFound = (req: FastifyRequest, reply: FastifyReply) =>
  renderZendeskError(new TrailkeepError('not_found'), req, reply);
