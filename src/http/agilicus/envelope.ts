import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { Problem } from '../../core/schema.js';
import { classify } from '../errors.js';

/** `query.limit` → `limit`: Agilicus names a parameter as the client sent it. */
const fieldName = (path: string) => path.replace(/^(?:\$|query|path|headers)(?:\.|(?=\[)|$)/, '');

const problemsOf = (details: unknown): Problem[] =>
  Array.isArray(details) ? (details as Problem[]).filter((p) => typeof p?.path === 'string') : [];

/**
 * Agilicus `ErrorMessage`: `{"error_code","error_message"}`. `error_code` is the catalogue code
 * (`invalid_request`, `unauthorized`, `forbidden`, …); a 400 names every parameter it rejects.
 */
export function renderAgilicusError(err: unknown, req: FastifyRequest, reply: FastifyReply) {
  const e = classify(err);
  if (e.code === 'internal') req.log.error({ err }, 'request failed');
  else req.log.info({ code: e.code, status: e.status }, 'request rejected');
  if (e.code === 'unauthorized') reply.header('www-authenticate', 'Bearer');
  if (e.code === 'unavailable') reply.header('retry-after', '1');
  const problems = problemsOf(e.details);
  const message = problems.length
    ? problems.map((p) => `${fieldName(p.path)} ${p.message}`.trim()).join('; ')
    : e.message;
  return reply
    .code(e.status)
    .type('application/json; charset=utf-8')
    .send({ error_code: e.code, error_message: message });
}

export const agilicusErrorHandler = (err: FastifyError, req: FastifyRequest, reply: FastifyReply) =>
  renderAgilicusError(err, req, reply);
