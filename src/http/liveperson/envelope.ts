import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { TrailkeepError } from '../../core/errors.js';
import type { Problem } from '../../core/schema.js';
import { classify } from '../errors.js';

/** `$.query` → `query`: fields named as the client sent them. */
const fieldName = (path: string) => path.replace(/^(?:\$|query|path|headers)(?:\.|(?=\[)|$)/, '');

/**
 * GraphQL's error shape for every status: `{"errors":[{"message"}]}`, one entry per problem the
 * error names (every GraphQL syntax or validation error, every invalid body field), else one.
 * LivePerson documents the codes (400, 401, 403, 500) but not the body.
 */
export function renderLivePersonError(err: unknown, req: FastifyRequest, reply: FastifyReply) {
  const e = classify(err);
  if (e.code === 'internal') req.log.error({ err }, 'request failed');
  else req.log.info({ code: e.code, status: e.status }, 'request rejected');
  if (e.code === 'unauthorized') reply.header('www-authenticate', 'Bearer');
  if (e.code === 'unavailable') reply.header('retry-after', '1');
  const problems = Array.isArray(e.details)
    ? (e.details as Problem[]).filter((p) => typeof p?.message === 'string')
    : [];
  const messages =
    e.code !== 'internal' && problems.length > 0
      ? problems.map((p) => (p.path ? `${fieldName(p.path)} ${p.message}`.trim() : p.message))
      : [e.message];
  return reply
    .code(e.status)
    .type('application/json; charset=utf-8')
    .send({ errors: messages.map((message) => ({ message })) });
}

export const livePersonErrorHandler = (err: FastifyError, req: FastifyRequest, reply: FastifyReply) =>
  renderLivePersonError(err, req, reply);

export const livePersonNotFound = (req: FastifyRequest, reply: FastifyReply) =>
  renderLivePersonError(new TrailkeepError('not_found'), req, reply);
