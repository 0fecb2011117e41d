import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { TENANT_ID_PATTERN } from '../../core/tenant.js';
import { SCOPES } from '../../services/auth/principal.js';
import type { Services } from '../../services/index.js';
import { requireAdmin, requireTenantAdmin } from '../auth.js';
import { ErrorResponses } from './schemas.js';

const TenantSchema = Type.Object({ id: Type.String(), name: Type.String(), created_at: Type.String() });
const TenantParams = Type.Object({ tenant: Type.String({ pattern: TENANT_ID_PATTERN }) });
const CredentialParams = Type.Object({
  tenant: Type.String({ pattern: TENANT_ID_PATTERN }),
  id: Type.String(),
});
const Scopes = Type.Array(Type.Union(SCOPES.map((s) => Type.Literal(s))), { minItems: 1, uniqueItems: true });
const NewCredential = Type.Object(
  { name: Type.String({ minLength: 1, maxLength: 200 }), scopes: Scopes },
  { additionalProperties: false },
);
const CredentialSchema = Type.Object({
  id: Type.String(),
  tenant: Type.Union([Type.String(), Type.Null()]),
  name: Type.String(),
  scopes: Type.Array(Type.String()),
  created_at: Type.String(),
  revoked_at: Type.Union([Type.String(), Type.Null()]),
});

/**
 * Operator and tenant administration: tenants (admin token), and each tenant's API keys and
 * OAuth clients (admin token, or the tenant's own `tenant:admin` credential).
 */
export const adminRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  const { tenants, auth } = services;

  app.post(
    '/tenants',
    {
      schema: {
        tags: ['tenants'],
        summary: 'Create a tenant (admin token).',
        body: Type.Object(
          {
            id: Type.String({ pattern: TENANT_ID_PATTERN }),
            name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
          },
          { additionalProperties: false },
        ),
        response: { 201: TenantSchema, ...ErrorResponses },
      },
    },
    async (req, reply) => {
      requireAdmin(req);
      return reply.code(201).send(await tenants.create(req.body.id, req.body.name));
    },
  );

  app.get(
    '/tenants',
    {
      schema: {
        tags: ['tenants'],
        summary: 'List tenants (admin token).',
        response: { 200: Type.Object({ data: Type.Array(TenantSchema) }), ...ErrorResponses },
      },
    },
    async (req) => {
      requireAdmin(req);
      return { data: await tenants.list() };
    },
  );

  for (const [path, kind, noun] of [
    ['keys', 'key', 'API key'],
    ['oauth-clients', 'oauth_client', 'OAuth client'],
  ] as const) {
    app.post(
      `/tenants/:tenant/${path}`,
      {
        schema: {
          tags: ['credentials'],
          summary: `Create an ${noun}; its secret is shown only in this response.`,
          params: TenantParams,
          body: NewCredential,
          response: {
            201: Type.Intersect([
              CredentialSchema,
              kind === 'key'
                ? Type.Object({ secret: Type.String() })
                : Type.Object({ client_id: Type.String(), client_secret: Type.String() }),
            ]),
            ...ErrorResponses,
          },
        },
      },
      async (req, reply) => {
        requireTenantAdmin(req, req.params.tenant);
        const { credential, secret } = await auth.createCredential(
          req.params.tenant,
          kind,
          req.body.name,
          req.body.scopes,
        );
        const shown = kind === 'key' ? { secret } : { client_id: credential.id, client_secret: secret };
        return reply.code(201).send({ ...credential, ...shown });
      },
    );

    app.get(
      `/tenants/:tenant/${path}`,
      {
        schema: {
          tags: ['credentials'],
          summary: `List the tenant's ${noun}s (secrets are never shown again).`,
          params: TenantParams,
          response: { 200: Type.Object({ data: Type.Array(CredentialSchema) }), ...ErrorResponses },
        },
      },
      async (req) => {
        requireTenantAdmin(req, req.params.tenant);
        await tenants.get(req.params.tenant);
        return { data: await auth.list(req.params.tenant, kind) };
      },
    );

    app.delete(
      `/tenants/:tenant/${path}/:id`,
      {
        schema: {
          tags: ['credentials'],
          summary: `Revoke an ${noun}: it stops working at once.`,
          params: CredentialParams,
          response: { 204: Type.Null(), ...ErrorResponses },
        },
      },
      async (req, reply) => {
        requireTenantAdmin(req, req.params.tenant);
        await auth.revoke(req.params.tenant, kind, req.params.id);
        return reply.code(204).send(null);
      },
    );
  }
};
