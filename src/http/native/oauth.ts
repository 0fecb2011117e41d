import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { TrailkeepError } from '../../core/errors.js';
import type { Services } from '../../services/index.js';
import { retryAfterOf } from '../envelope.js';
import { classify } from '../errors.js';

/** RFC 6749 §5.2 error codes for the catalogue entries this endpoint can produce. */
const OAUTH_CODES: Partial<Record<string, string>> = {
  unauthorized: 'invalid_client',
  forbidden: 'invalid_scope',
  unsupported_media_type: 'invalid_request',
  // RFC 6749 has no code for it; this is the registry's nearest (and the 429 says the rest).
  rate_limited: 'temporarily_unavailable',
};

const TokenBody = Type.Object({
  grant_type: Type.Optional(Type.String()),
  client_id: Type.Optional(Type.String()),
  client_secret: Type.Optional(Type.String()),
  scope: Type.Optional(Type.String()),
  tenant: Type.Optional(
    Type.String({
      description:
        'Operator keys: the existing tenant the token is bound to. OAuth clients: their own, if given.',
    }),
  ),
});

/**
 * The client's id and secret, from HTTP Basic or the body. RFC 6749 §2.3: a client MUST NOT use
 * more than one authentication method in a request, so Basic with a body secret, or with a body
 * client_id naming another client, is refused rather than one of them silently used (a body
 * client_id equal to Basic's only identifies the client, which §3.2.1 allows).
 */
function clientOf(req: FastifyRequest, body: Record<string, unknown>): { id: string; secret: string } {
  const basic = /^Basic\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
  if (basic?.[1]) {
    const twice = () =>
      new TrailkeepError(
        'invalid_request',
        'Authenticate the client one way: HTTP Basic, or client_id and client_secret in the body, not both (RFC 6749 §2.3).',
      );
    if (body.client_secret !== undefined) throw twice();
    const decoded = Buffer.from(basic[1], 'base64').toString();
    const colon = decoded.indexOf(':');
    if (colon > 0) {
      let client: { id: string; secret: string } | undefined;
      try {
        client = {
          id: decodeURIComponent(decoded.slice(0, colon)),
          secret: decodeURIComponent(decoded.slice(colon + 1)),
        };
      } catch {
        // Not URL-encoded after all: fall through to the error below.
      }
      if (client) {
        if (body.client_id !== undefined && body.client_id !== client.id) throw twice();
        return client;
      }
    }
    throw new TrailkeepError('unauthorized', 'Malformed HTTP Basic client credentials.');
  }
  const { client_id: id, client_secret: secret } = body;
  if (typeof id === 'string' && typeof secret === 'string') return { id, secret };
  throw new TrailkeepError(
    'unauthorized',
    'Authenticate the client with HTTP Basic or client_id and client_secret.',
  );
}

/** OAuth 2.0 token endpoint (client credentials grant), with OAuth's own error format. */
export const oauthRoutes: FastifyPluginAsyncTypebox<Pick<Services, 'auth'>> = async (app, { auth }) => {
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string', bodyLimit: 64 * 1024 },
    (_req, body, done) => done(null, Object.fromEntries(new URLSearchParams(body as string))),
  );

  app.setErrorHandler((err, req, reply) => {
    const e = classify(err);
    if (e.code === 'internal') req.log.error({ err }, 'token request failed');
    if (e.code === 'unauthorized') reply.header('www-authenticate', 'Basic realm="trailkeep"');
    const retry = retryAfterOf(e);
    if (retry !== undefined) reply.header('retry-after', String(retry));
    const given = (e.details as { oauth_error?: unknown } | undefined)?.oauth_error;
    const error =
      typeof given === 'string'
        ? given
        : (OAUTH_CODES[e.code] ?? (e.status < 500 ? 'invalid_request' : 'server_error'));
    return reply.code(e.status).send({ error, error_description: e.message });
  });

  app.post(
    '/oauth/token',
    {
      config: { public: true },
      schema: {
        tags: ['oauth'],
        summary:
          'Client credentials grant: exchange an OAuth client’s (or an operator key’s) id and secret for a tenant-bound access token.',
        security: [],
        consumes: ['application/x-www-form-urlencoded', 'application/json'],
        body: TokenBody,
        response: {
          200: Type.Object({
            access_token: Type.String(),
            token_type: Type.Literal('bearer'),
            expires_in: Type.Integer(),
            scope: Type.String(),
          }),
        },
      },
    },
    async (req, reply) => {
      const body = (req.body ?? {}) as Record<string, unknown>;
      const client = clientOf(req, body);
      if (body.grant_type !== 'client_credentials') {
        throw new TrailkeepError('invalid_request', 'grant_type must be client_credentials.', {
          oauth_error: body.grant_type === undefined ? 'invalid_request' : 'unsupported_grant_type',
        });
      }
      // Counted with every other failed authentication of this address (http/auth.ts).
      const token = await auth.failures.guard(req.ip, `${client.id}:${client.secret}`, () =>
        auth.issueToken(
          client.id,
          client.secret,
          body.scope as string | undefined,
          body.tenant as string | undefined,
        ),
      );
      return reply.header('cache-control', 'no-store').header('pragma', 'no-cache').send(token);
    },
  );
};
