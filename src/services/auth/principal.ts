import type { EventFilter } from '../../core/query.js';
import type { ViewerGrant } from '../../core/viewer.js';

/** What a tenant-bound credential (key, OAuth client, access token) may be granted. */
export const SCOPES = ['events:write', 'events:read', 'tenant:admin'] as const;
export type Scope = (typeof SCOPES)[number];

/**
 * What an operator key may be granted: writing and reading any tenant's events, and creating a
 * tenant by writing to it.
 */
export const OPERATOR_SCOPES = ['events:write', 'events:read', 'tenants:manage'] as const;
export type OperatorScope = (typeof OPERATOR_SCOPES)[number];

/** The scopes an operator key can pass on to the tenant-bound access tokens it mints. */
export const MINTABLE_SCOPES: readonly string[] = ['events:write', 'events:read'] satisfies Scope[];

/**
 * Who is calling: the operator (admin token), a tenant-bound credential with its scopes, or an
 * operator key, whose requests name the tenant they act on.
 */
export type Principal =
  | { kind: 'admin' }
  | {
      kind: 'credential';
      tenant: string;
      scopes: readonly string[];
      credentialId: string;
      via: 'key' | 'token';
    }
  | {
      kind: 'operator';
      scopes: readonly string[];
      credentialId: string;
      /** The tenant the request names (Trailkeep-Tenant), looked up once; null when it names none. */
      tenant: { id: string; exists: boolean } | null;
    }
  | ViewerPrincipal;

/**
 * A viewer token (docs/embedding.md): reads one tenant's events within its narrowing, on the
 * routes that let viewers in (http/viewer.ts), and nothing else.
 */
export interface ViewerPrincipal extends ViewerGrant {
  kind: 'viewer';
  tenant: string;
  /** `events:read`, and only it. */
  scopes: readonly string[];
  /** The credential that minted it: revoking that ends the token, and its requests count against it. */
  credentialId: string;
  /** The token's `jti`, recorded with each view. */
  tokenId: string;
  /** `filters` parsed: ANDed into every read through the token. */
  filter: EventFilter;
  /** Whether its reads are recorded: the tenant's `record_viewer_reads` when the token was presented. */
  recordReads: boolean;
}
