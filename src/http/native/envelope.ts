import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { TrailkeepError } from '../../core/errors.js';
import { classify } from '../errors.js';

/** Trailkeep's own error envelope: `{"error":{"code","message","details"},"request_id"}`. */
export function renderNativeError(err: unknown, req: FastifyRequest, reply: FastifyReply) {
  const e = classify(err);
  if (e.code === 'internal') req.log.error({ err }, 'request failed');
  else req.log.info({ code: e.code, status: e.status }, 'request rejected');
  if (e.code === 'unauthorized') reply.header('www-authenticate', 'Bearer');
  if (e.code === 'unavailable') reply.header('retry-after', '1');
  return reply
    .code(e.status)
    .type('application/json; charset=utf-8')
    .send({
      error: { code: e.code, message: e.message, ...(e.details ? { details: e.details } : {}) },
      request_id: req.id,
    });
}

export const nativeErrorHandler = (err: FastifyError, req: FastifyRequest, reply: FastifyReply) =>
  renderNativeError(err, req, reply);

export const nativeNotFound = (req: FastifyRequest, reply: FastifyReply) =>
  renderNativeError(
    new TrailkeepError('not_found', `No route ${req.method} ${req.url.split('?')[0]}.`),
    req,
    reply,
  );
