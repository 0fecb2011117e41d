import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { genesysErrorHandler } from './genesys/envelope.js';
import { livePersonErrorHandler } from './liveperson/envelope.js';
import { nativeErrorHandler } from './native/envelope.js';
import { zendeskErrorHandler } from './zendesk/envelope.js';

/**
 * The prefixes buildApp registers dialects with a not-found handler of their own under, most
 * specific first; everything else is native (Agilicus has no prefix of its own under /v1).
 */
const BY_PREFIX = [
  ['/api/v2/audits', genesysErrorHandler],
  ['/api/v2', zendeskErrorHandler],
  ['/api/account', livePersonErrorHandler],
] as const;

/**
 * Errors Fastify raises before routing (a path that is not valid percent-encoding, a path
 * parameter longer than maxParamLength) reach no route, so no dialect's error handler: they are
 * answered in the envelope of the dialect whose prefix the path is under, as a 404 there is.
 */
export function frameworkErrors(err: FastifyError, req: FastifyRequest, reply: FastifyReply) {
  // The app's onSend hook does not run here: the request id header is set by hand.
  reply.header('x-request-id', req.id);
  const path = req.url.split('?')[0] ?? '';
  const handler = BY_PREFIX.find(([p]) => path === p || path.startsWith(`${p}/`))?.[1] ?? nativeErrorHandler;
  return handler(err, req, reply);
}
