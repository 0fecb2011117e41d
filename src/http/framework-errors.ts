import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { APP_DIALECT, DIALECTS } from './dialects.js';

/** The dialects that own their prefix, most specific prefix first (Genesys's inside Zendesk's). */
const OWNERS = DIALECTS.filter((d) => d.ownsPrefix).sort((a, b) => b.prefix.length - a.prefix.length);

/**
 * Errors Fastify raises before routing (a path that is not valid percent-encoding, a path
 * parameter longer than maxParamLength) reach no route, so no dialect's error handler: they are
 * answered in the envelope of the dialect whose prefix the path is under, as a 404 there is.
 */
export function frameworkErrors(err: FastifyError, req: FastifyRequest, reply: FastifyReply) {
  // The app's onSend hook does not run here: the request id header is set by hand.
  reply.header('x-request-id', req.id);
  return ownerOf(req).errors.errorHandler(err, req, reply);
}

/**
 * The app's own not-found handler. A path under a dialect's prefix that matches no route gets
 * that dialect's handler from Fastify already; this one also answers for the app's catch-all
 * routes (the CORS plugin's `OPTIONS *`), whose 404s would otherwise all be the native envelope.
 */
export const notFoundByPrefix = (req: FastifyRequest, reply: FastifyReply) =>
  ownerOf(req).errors.notFound(req, reply);

/** The dialect whose prefix the request's path is under, else the app's. */
function ownerOf(req: FastifyRequest) {
  const path = req.url.split('?')[0] ?? '';
  return OWNERS.find(({ prefix }) => path === prefix || path.startsWith(`${prefix}/`)) ?? APP_DIALECT;
}
