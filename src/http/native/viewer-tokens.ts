import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { FilterBodySchema } from '../../core/filters.js';
import { ViewerActorSchema } from '../../core/viewer.js';
import type { Services } from '../../services/index.js';
import { viewerIssuerFor } from '../auth.js';
import { ErrorResponses } from './schemas.js';

const IssuedSchema = Type.Object({
  token: Type.String({ description: 'The viewer token: send it as `Authorization: Bearer <token>`.' }),
  expires_at: Type.String({ format: 'date-time' }),
});

/**
 * Minting viewer tokens (docs/embedding.md): a credential of the tenant with `events:read`, or
 * an operator key naming the tenant, asks for a read-only token for one of its users.
 */
export const viewerTokenRoutes: FastifyPluginAsyncTypebox<Pick<Services, 'auth'>> = async (app, { auth }) => {
  app.post(
    '/viewer-tokens',
    {
      schema: {
        tags: ['viewer'],
        summary:
          'Mint a short-lived, read-only viewer token of the tenant for one user, narrowed to filters that every read through it ANDs in; each read through it is recorded as an audit.log.view event of the tenant.',
        body: Type.Object(
          {
            actor: ViewerActorSchema,
            filters: Type.Optional(FilterBodySchema),
            ttl_seconds: Type.Optional(
              Type.Integer({
                minimum: 1,
                maximum: auth.viewerTokenMaxTtl,
                description: `Seconds the token lives: 900 by default, at most ${auth.viewerTokenMaxTtl} (TRAILKEEP_VIEWER_TOKEN_MAX_TTL).`,
              }),
            ),
          },
          { additionalProperties: false },
        ),
        response: { 201: IssuedSchema, ...ErrorResponses },
      },
    },
    async (req, reply) => reply.code(201).send(await auth.issueViewerToken(viewerIssuerFor(req), req.body)),
  );
};
