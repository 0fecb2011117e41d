import type { FastifyRequest } from 'fastify';
import { TrailkeepError } from '../core/errors.js';
import type { AuthService } from '../services/auth/auth.js';
import type { Principal, Scope } from '../services/auth/principal.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
}

/** The bearer credential of a request, if it carries one. */
export function bearerOf(req: FastifyRequest): string | null {
  const h = req.headers.authorization;
  if (!h) return null;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(h);
  return m?.[1] ?? null;
}

/** Authenticates the request's bearer credential; throws `unauthorized` when absent or invalid. */
export async function authenticate(req: FastifyRequest, auth: AuthService): Promise<Principal> {
  const bearer = bearerOf(req);
  const principal = bearer ? await auth.authenticate(bearer) : null;
  if (!principal) throw new TrailkeepError('unauthorized');
  req.principal = principal;
  return principal;
}

function principal(req: FastifyRequest): Principal {
  if (!req.principal) throw new TrailkeepError('unauthorized');
  return req.principal;
}

/** The tenant a data request acts on; it must carry `scope`. The operator token reads no tenant data. */
export function tenantFor(req: FastifyRequest, scope: Scope): string {
  const p = principal(req);
  if (p.kind !== 'credential')
    throw new TrailkeepError('forbidden', 'The admin token manages tenants; use a tenant key for data.');
  if (!p.scopes.includes(scope)) throw new TrailkeepError('forbidden', `This needs the ${scope} scope.`);
  return p.tenant;
}

export function requireAdmin(req: FastifyRequest): void {
  if (principal(req).kind !== 'admin') throw new TrailkeepError('forbidden', 'This needs the admin token.');
}

/** Managing a tenant's credentials: the operator, or that tenant's own `tenant:admin` credential. */
export function requireTenantAdmin(req: FastifyRequest, tenant: string): void {
  const p = principal(req);
  if (p.kind === 'admin') return;
  // Another tenant does not exist for this caller.
  if (p.tenant !== tenant) throw new TrailkeepError('not_found', `Tenant ${tenant} does not exist.`);
  if (!p.scopes.includes('tenant:admin'))
    throw new TrailkeepError('forbidden', 'This needs the tenant:admin scope.');
}
