import type { FastifyRequest } from 'fastify';
import { TrailkeepError } from '../core/errors.js';
import { type FilterParams, toEventFilter } from '../core/filters.js';
import { andFilters } from '../core/narrow.js';
import type { EventFilter } from '../core/query.js';
import type { AuthService } from '../services/auth/auth.js';
import type { Principal, Scope } from '../services/auth/principal.js';
import type { WriteAs } from '../services/events.js';
import { refuseViewerHere, VIEWER_ROUTES_ONLY } from './viewer.js';

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

/** The tenant a request names, for operator keys; a tenant-bound credential may name only its own. */
export const TENANT_HEADER = 'trailkeep-tenant';

const namedTenant = (req: FastifyRequest): string | undefined => {
  const v = req.headers[TENANT_HEADER];
  return Array.isArray(v) ? v.join(', ') : v;
};

/**
 * Authenticates a presented secret (a bearer credential, or a dialect's own carrier of one);
 * throws `unauthorized` when absent or invalid. Every dialect comes through here, so failures
 * are counted per client address in one place: past TRAILKEEP_AUTH_FAILURES an address gets
 * 429 before its credential is looked up, unless that credential authenticated lately.
 */
export async function authenticateSecret(
  req: FastifyRequest,
  auth: AuthService,
  secret: string | null,
): Promise<Principal> {
  if (!secret) throw new TrailkeepError('unauthorized');
  const principal = await auth.failures.guard(req.ip, secret, async () => {
    const found = await auth.authenticate(secret, namedTenant(req));
    if (!found) throw new TrailkeepError('unauthorized');
    return found;
  });
  req.principal = principal;
  refuseViewerHere(req, principal);
  return principal;
}

/** Authenticates the request's bearer credential; throws `unauthorized` when absent or invalid. */
export const authenticate = (req: FastifyRequest, auth: AuthService): Promise<Principal> =>
  authenticateSecret(req, auth, bearerOf(req));

function principal(req: FastifyRequest): Principal {
  if (!req.principal) throw new TrailkeepError('unauthorized');
  return req.principal;
}

/** A credential that acts on tenant data: a tenant-bound one, or an operator key. */
type DataPrincipal = Extract<Principal, { kind: 'credential' | 'operator' }>;

/**
 * A data request's principal, which must carry `scope`. The operator token reads no tenant data;
 * a viewer token reads only through `readFor`, which narrows every read.
 */
function dataPrincipal(req: FastifyRequest, scope: Scope): DataPrincipal {
  const p = principal(req);
  if (p.kind === 'admin')
    throw new TrailkeepError(
      'forbidden',
      'The admin token manages tenants; use a tenant key (or an operator key) for data.',
    );
  if (p.kind === 'viewer') throw new TrailkeepError('forbidden', VIEWER_ROUTES_ONLY);
  if (!p.scopes.includes(scope)) throw new TrailkeepError('forbidden', `This needs the ${scope} scope.`);
  if (p.kind === 'credential') refuseOtherTenant(req, p.tenant);
  return p;
}

/** A tenant-bound credential (or viewer token) naming another tenant in Trailkeep-Tenant: 403. */
function refuseOtherTenant(req: FastifyRequest, own: string): void {
  const named = namedTenant(req);
  if (named !== undefined && named !== own) {
    throw new TrailkeepError(
      'forbidden',
      `This credential is bound to its tenant; it cannot act for ${named}.`,
    );
  }
}

/**
 * The credential a data request comes with and the tenant it acts on; the credential must carry
 * `scope`. A tenant-bound credential acts on its own tenant; an operator key on the one its
 * Trailkeep-Tenant header names.
 */
function actingFor(req: FastifyRequest, scope: Scope): { principal: DataPrincipal; tenant: string } {
  const p = dataPrincipal(req, scope);
  if (p.kind === 'credential') return { principal: p, tenant: p.tenant };
  if (!p.tenant) {
    throw new TrailkeepError(
      'invalid_request',
      'An operator key names the tenant with the Trailkeep-Tenant header.',
    );
  }
  if (!p.tenant.exists) throw new TrailkeepError('not_found', `Tenant ${p.tenant.id} does not exist.`);
  return { principal: p, tenant: p.tenant.id };
}

/** The tenant a data request acts on (see actingFor); never a viewer token's: reads take `readFor`. */
export const tenantFor = (req: FastifyRequest, scope: Scope): string => actingFor(req, scope).tenant;

/** Who mints a viewer token, and for which tenant: a credential with `events:read` (not a viewer token). */
export function viewerIssuerFor(req: FastifyRequest): { tenant: string; credentialId: string } {
  const { principal, tenant } = actingFor(req, 'events:read');
  return { tenant, credentialId: principal.credentialId };
}

/** What a read acts on: its tenant and the filter it applies. */
export interface Read {
  tenant: string;
  /** The request's own filter, ANDed with a viewer token's narrowing. */
  filter: EventFilter;
  /** A viewer token's narrowing, which an event read by its id must match as well; absent for other credentials. */
  within?: EventFilter;
}

/**
 * The tenant and filter of a read (`events:read`) whose own filter is `params`: the one way a
 * route open to viewer tokens learns its tenant, so none can read past a token's narrowing.
 */
export function readFor(req: FastifyRequest, params: FilterParams = {}): Read {
  const p = principal(req);
  const own = toEventFilter(params);
  if (p.kind !== 'viewer') return { tenant: tenantFor(req, 'events:read'), filter: own };
  refuseOtherTenant(req, p.tenant);
  return { tenant: p.tenant, filter: andFilters(p.filter, own), within: p.filter };
}

/**
 * Whether the request's bearer credential still reads `tenant` with `scope`, asked again by what
 * outlives its request (a live tail): a credential revoked since, or an access token expired,
 * answers false, and so does a store that cannot be asked.
 */
export async function stillGrants(
  req: FastifyRequest,
  auth: AuthService,
  scope: Scope,
  tenant: string,
): Promise<boolean> {
  const secret = bearerOf(req);
  if (!secret) return false;
  const p = await auth.authenticate(secret, namedTenant(req)).catch(() => null);
  if (!p || p.kind === 'admin' || !p.scopes.includes(scope)) return false;
  if (p.kind === 'operator') return p.tenant?.id === tenant && p.tenant.exists;
  // A viewer token's tenant and narrowing are in the token: the stream's filter holds them already.
  return p.tenant === tenant;
}

/**
 * Who administers a tenant's streams (and the like) and for which tenant: its own credential with
 * `tenant:admin`, or an operator key with `tenants:manage` naming it in Trailkeep-Tenant.
 */
export function tenantAdminFor(req: FastifyRequest): { tenant: string; credentialId: string } {
  const p = principal(req);
  if (p.kind === 'admin')
    throw new TrailkeepError(
      'forbidden',
      "The admin token manages tenants and their credentials; use the tenant's tenant:admin credential, or an operator key naming the tenant.",
    );
  if (p.kind === 'viewer') throw new TrailkeepError('forbidden', VIEWER_ROUTES_ONLY);
  const scope = p.kind === 'credential' ? 'tenant:admin' : 'tenants:manage';
  if (!p.scopes.includes(scope)) throw new TrailkeepError('forbidden', `This needs the ${scope} scope.`);
  if (p.kind === 'credential') {
    refuseOtherTenant(req, p.tenant);
    return { tenant: p.tenant, credentialId: p.credentialId };
  }
  if (!p.tenant)
    throw new TrailkeepError(
      'invalid_request',
      'An operator key names the tenant with the Trailkeep-Tenant header.',
    );
  if (!p.tenant.exists) throw new TrailkeepError('not_found', `Tenant ${p.tenant.id} does not exist.`);
  return { tenant: p.tenant.id, credentialId: p.credentialId };
}

/** Who writes a batch of events (`events:write`), and so where its events may go. */
export function writerFor(req: FastifyRequest): WriteAs {
  const p = dataPrincipal(req, 'events:write');
  if (p.kind === 'credential') return { kind: 'tenant', tenant: p.tenant };
  return { kind: 'operator', tenant: p.tenant?.id, createTenants: p.scopes.includes('tenants:manage') };
}

export function requireAdmin(req: FastifyRequest): void {
  if (principal(req).kind !== 'admin') throw new TrailkeepError('forbidden', 'This needs the admin token.');
}

/** Managing a tenant's credentials: the operator, or that tenant's own `tenant:admin` credential. */
export function requireTenantAdmin(req: FastifyRequest, tenant: string): void {
  const p = principal(req);
  if (p.kind === 'admin') return;
  if (p.kind === 'operator') throw new TrailkeepError('forbidden', 'This needs the admin token.');
  if (p.kind === 'viewer') throw new TrailkeepError('forbidden', VIEWER_ROUTES_ONLY);
  // Another tenant does not exist for this caller.
  if (p.tenant !== tenant) throw new TrailkeepError('not_found', `Tenant ${tenant} does not exist.`);
  if (!p.scopes.includes('tenant:admin'))
    throw new TrailkeepError('forbidden', 'This needs the tenant:admin scope.');
}
