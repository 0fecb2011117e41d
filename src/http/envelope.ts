import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { TrailkeepError } from '../core/errors.js';
import type { Problem } from '../core/schema.js';
import { classify } from './errors.js';

/** What a dialect decides about an error: its wire body, and a status only where it differs. */
export interface Envelope {
  /** The `WWW-Authenticate` challenge sent with a 401. */
  challenge: string;
  body(e: TrailkeepError, req: FastifyRequest, problems: Problem[]): unknown;
  /** The status to answer with, when the dialect's wire format overrides the catalogue's. */
  status?(e: TrailkeepError): number | undefined;
}

/** The located problems an error names (schema validation, invalid events, bad parameters). */
export const problemsOf = (e: TrailkeepError): Problem[] =>
  Array.isArray(e.details) ? e.details.filter((p) => typeof p?.path === 'string') : [];

/** The seconds a 429 asks the client to wait, when it knows them. */
export const retryAfterOf = (e: TrailkeepError): number | undefined => {
  const retry = Array.isArray(e.details) ? undefined : e.details?.retry_after;
  return e.code === 'rate_limited' && typeof retry === 'number' ? retry : undefined;
};

/**
 * `query.limit` / `$.filters[0]` / `query["page[size]"]` → `limit` / `filters[0]` / `page[size]`:
 * a field named as the client sent it.
 */
export const clientFieldName = (path: string): string =>
  path
    .replace(/^(?:\$|query|path|headers)(?:\.|(?=\[)|$)/, '')
    .replace(/^\[("(?:[^"\\]|\\.)*")\]/, (_, quoted: string) => JSON.parse(quoted) as string);

/** A dialect's error rendering, as Fastify's error and not-found handlers take it. */
export interface DialectErrors {
  errorHandler(err: FastifyError, req: FastifyRequest, reply: FastifyReply): FastifyReply;
  notFound(req: FastifyRequest, reply: FastifyReply): FastifyReply;
}

/**
 * A dialect's error and not-found handlers. Everything but the body is the same for every
 * dialect: the catalogue classification, the log line (with the stack only for `internal`),
 * the challenge of a 401, and `Retry-After` on 503 and on a 429 that knows its wait.
 */
export function dialectErrors(envelope: Envelope): DialectErrors {
  const render = (err: unknown, req: FastifyRequest, reply: FastifyReply) => {
    const e = classify(err);
    if (e.code === 'internal') req.log.error({ err }, 'request failed');
    else req.log.info({ code: e.code, status: e.status }, 'request rejected');
    if (e.code === 'unauthorized') reply.header('www-authenticate', envelope.challenge);
    if (e.code === 'unavailable') reply.header('retry-after', '1');
    const retry = retryAfterOf(e);
    if (retry !== undefined) reply.header('retry-after', String(retry));
    return reply
      .code(envelope.status?.(e) ?? e.status)
      .type('application/json; charset=utf-8')
      .send(envelope.body(e, req, problemsOf(e)));
  };
  return {
    errorHandler: (err: FastifyError, req: FastifyRequest, reply: FastifyReply) => render(err, req, reply),
    notFound: (req: FastifyRequest, reply: FastifyReply) =>
      render(new TrailkeepError('not_found', `No route ${req.method} ${req.url.split('?')[0]}.`), req, reply),
  };
}
