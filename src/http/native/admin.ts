import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { TENANT_ID_PATTERN } from '../../core/tenant.js';
import { OPERATOR_SCOPES, SCOPES } from '../../services/auth/principal.js';
import type { Services } from '../../services/index.js';
import { requireAdmin, requireTenantAdmin } from '../auth.js';
import { ErrorResponses } from './schemas.js';

const TenantName = Type.String({ minLength: 1, maxLength: 200 });
const RecordViewerReads = Type.Boolean({
  description:
    'Whether every read through a viewer token is recorded as an audit.log.view event of the tenant (docs/embedding.md). On for a new tenant.',
});
const TenantSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  created_at: Type.String(),
  record_viewer_reads: RecordViewerReads,
});
const TenantParams = Type.Object({ tenant: Type.String({ pattern: TENANT_ID_PATTERN }) });
const CredentialParams = Type.Object({
  tenant: Type.String({ pattern: TENANT_ID_PATTERN }),
  id: Type.String(),
});
const IdParams = Type.Object({ id: Type.String() });
const CredentialSchema = Type.Object({
  id: Type.String(),
  tenant: Type.Union([Type.String(), Type.Null()]),
  name: Type.String(),
  scopes: Type.Array(Type.String()),
  created_at: Type.String(),
  revoked_at: Type.Union([Type.String(), Type.Null()]),
});

/**
 * Operator and tenant administration: tenants and operator keys (admin token), and each
 * tenant's API keys and OAuth clients (admin token, or the tenant's own `tenant:admin` credential).
 */
export const adminRoutes: FastifyPluginAsyncTypebox<Pick<Services, 'tenants' | 'auth'>> = async (
  app,
  { tenants, auth },
) => {
  app.post(
    '/tenants',
    {
      schema: {
        tags: ['tenants'],
        summary: 'Create a tenant (admin token).',
        body: Type.Object(
          {
            id: Type.String({ pattern: TENANT_ID_PATTERN }),
            name: Type.Optional(TenantName),
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

  app.get(
    '/tenants/:tenant',
    {
      schema: {
        tags: ['tenants'],
        summary: 'A tenant and its settings (admin token, or the tenant’s own tenant:admin credential).',
        params: TenantParams,
        response: { 200: TenantSchema, ...ErrorResponses },
      },
    },
    async (req) => {
      requireTenantAdmin(req, req.params.tenant);
      return tenants.get(req.params.tenant);
    },
  );

  app.patch(
    '/tenants/:tenant',
    {
      schema: {
        tags: ['tenants'],
        summary:
          'Change a tenant’s name or settings (admin token, or the tenant’s own tenant:admin credential); members left out keep their value.',
        params: TenantParams,
        body: Type.Object(
          { name: Type.Optional(TenantName), record_viewer_reads: Type.Optional(RecordViewerReads) },
          { additionalProperties: false, minProperties: 1 },
        ),
        response: { 200: TenantSchema, ...ErrorResponses },
      },
    },
    async (req) => {
      requireTenantAdmin(req, req.params.tenant);
      return tenants.update(req.params.tenant, req.body);
    },
  );

  /** Each family of credentials: where it lives, what it may be granted, who manages it. */
  const families = [
    { path: '/tenants/:tenant/keys', kind: 'key', noun: 'API key', scopes: SCOPES, operator: false },
    {
      path: '/tenants/:tenant/oauth-clients',
      kind: 'oauth_client',
      noun: 'OAuth client',
      scopes: SCOPES,
      operator: false,
    },
    { path: '/keys', kind: 'key', noun: 'operator key', scopes: OPERATOR_SCOPES, operator: true },
  ] as const;

  for (const { path, kind, noun, scopes, operator } of families) {
    const whose = operator ? 'the' : "the tenant's";
    /** The owning tenant (null: operator level), once the caller is known to manage it. */
    const ownerOf = (req: FastifyRequest): string | null => {
      if (operator) {
        requireAdmin(req);
        return null;
      }
      const { tenant } = req.params as { tenant: string };
      requireTenantAdmin(req, tenant);
      return tenant;
    };
    const tags = ['credentials'];

    app.post(
      path,
      {
        schema: {
          tags,
          summary: `Create an ${noun}${operator ? ' (admin token)' : ''}; its secret is shown only in this response.`,
          ...(operator ? {} : { params: TenantParams }),
          body: Type.Object(
            {
              name: Type.String({ minLength: 1, maxLength: 200 }),
              scopes: Type.Array(Type.Union(scopes.map((s) => Type.Literal(s))), {
                minItems: 1,
                uniqueItems: true,
              }),
            },
            { additionalProperties: false },
          ),
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
        const { name, scopes: granted } = req.body as { name: string; scopes: string[] };
        const { credential, secret } = await auth.createCredential(ownerOf(req), kind, name, granted);
        const shown = kind === 'key' ? { secret } : { client_id: credential.id, client_secret: secret };
        return reply.code(201).send({ ...credential, ...shown });
      },
    );

    app.get(
      path,
      {
        schema: {
          tags,
          summary: `List ${whose} ${noun}s (secrets are never shown again).`,
          ...(operator ? {} : { params: TenantParams }),
          response: { 200: Type.Object({ data: Type.Array(CredentialSchema) }), ...ErrorResponses },
        },
      },
      async (req) => {
        const owner = ownerOf(req);
        if (owner !== null) await tenants.get(owner);
        return { data: await auth.list(owner, kind) };
      },
    );

    app.delete(
      `${path}/:id`,
      {
        schema: {
          tags,
          summary: `Revoke an ${noun}: it stops working at once${operator ? ', with the access tokens it minted' : ''}.`,
          params: operator ? IdParams : CredentialParams,
          response: { 204: Type.Null(), ...ErrorResponses },
        },
      },
      async (req, reply) => {
        await auth.revoke(ownerOf(req), kind, (req.params as { id: string }).id);
        return reply.code(204).send(null);
      },
    );
  }
};
