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
  const path = req.url.split('?')[0] ?? '';
  const owner = OWNERS.find(({ prefix }) => path === prefix || path.startsWith(`${prefix}/`)) ?? APP_DIALECT;
  return owner.errors.errorHandler(err, req, reply);
}
