import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { type ErrorCode, TrailkeepError } from '../../core/errors.js';
import type { Problem } from '../../core/schema.js';
import { classify } from '../errors.js';

/**
 * The closed catalogue as Genesys ErrorBody codes (the swagger's x-inin-error-codes). Genesys
 * answers "results asked for too early" with a 400, not the catalogue's 409: the status is
 * part of the wire format, so the dialect overrides it here and nowhere else.
 */
const GENESYS: Record<ErrorCode, { code: string; status?: number }> = {
  invalid_json: { code: 'bad.request' },
  invalid_request: { code: 'bad.request' },
  invalid_event: { code: 'bad.request' },
  invalid_cursor: { code: 'bad.request' },
  unauthorized: { code: 'bad.credentials' },
  forbidden: { code: 'missing.permissions' },
  not_found: { code: 'not.found' },
  conflict: { code: 'conflict' },
  job_not_ready: { code: 'bad.request', status: 400 },
  payload_too_large: { code: 'request.entity.too.large' },
  unsupported_media_type: { code: 'unsupported.media.type' },
  rate_limited: { code: 'too.many.requests' },
  unavailable: { code: 'service.unavailable' },
  internal: { code: 'internal.server.error' },
};

/** `$.filters[0].property` / `query.pageSize` → `filters[0].property` / `pageSize`. */
const fieldName = (path: string) => path.replace(/^(?:\$|query|path|headers)(?:\.|(?=\[)|$)/, '');

const problemsOf = (e: TrailkeepError): Problem[] =>
  Array.isArray(e.details) ? e.details.filter((p) => typeof p?.path === 'string') : [];

/**
 * Genesys `ErrorBody`: `{message, code, status, contextId, details, errors}`. A 400 that names
 * fields is `invalid.value`, each field a `details` entry; `contextId` is the request id.
 */
export function renderGenesysError(err: unknown, req: FastifyRequest, reply: FastifyReply) {
  const e = classify(err);
  if (e.code === 'internal') req.log.error({ err }, 'request failed');
  else req.log.info({ code: e.code, status: e.status }, 'request rejected');
  const wire = GENESYS[e.code];
  const status = wire.status ?? e.status;
  const problems = problemsOf(e);
  const fields = problems.map((p) => ({
    errorCode: 'invalid.value',
    fieldName: fieldName(p.path) || 'body',
  }));
  const message = problems.length
    ? problems.map((p) => `${fieldName(p.path) || 'The request body'} ${p.message}`.trim()).join('; ')
    : e.message;
  if (e.code === 'unauthorized') reply.header('www-authenticate', 'Bearer');
  if (e.code === 'unavailable') reply.header('retry-after', '1');
  return reply
    .code(status)
    .type('application/json; charset=utf-8')
    .send({
      message,
      code: fields.length ? 'invalid.value' : wire.code,
      status,
      contextId: req.id,
      details: fields,
      errors: [],
    });
}

export const genesysErrorHandler = (err: FastifyError, req: FastifyRequest, reply: FastifyReply) =>
  renderGenesysError(err, req, reply);

export const genesysNotFound = (req: FastifyRequest, reply: FastifyReply) =>
  renderGenesysError(
    new TrailkeepError('not_found', `No route ${req.method} ${req.url.split('?')[0]}.`),
    req,
    reply,
  );
