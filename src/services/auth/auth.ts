import { randomUUID, webcrypto } from 'node:crypto';
import { type JWTPayload, errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import { strictBase64url } from '../../core/base64url.js';
import type { Credential, CredentialKind } from '../../core/credentials.js';
import { TrailkeepError } from '../../core/errors.js';
import { toEventFilter } from '../../core/filters.js';
import { isTenantId, TENANT_ID_PATTERN } from '../../core/tenant.js';
import type { CredentialRecord, CredentialStore, TenantStore } from '../../store/types.js';
import type { AuthFailures } from './failures.js';
import {
  MINTABLE_SCOPES,
  OPERATOR_SCOPES,
  type Principal,
  SCOPES,
  type ViewerPrincipal,
} from './principal.js';
import { credentialIdOf, hashSecret, makeSecret, newCredentialId, secretMatches } from './secrets.js';
import { grantOf, type ViewerTokenRequest, viewerGrantOf } from './viewer-tokens.js';

const ISSUER = 'trailkeep';
const ALG = 'HS256';

export interface IssuedToken {
  access_token: string;
  token_type: 'bearer';
  expires_in: number;
  scope: string;
}

export interface IssuedViewerToken {
  token: string;
  /** RFC 3339. */
  expires_at: string;
}

/** An operator key (tenant null): it acts for the tenant each request names. */
const isOperatorKey = (c: Credential): boolean => c.kind === 'key' && c.tenant === null;

/**
 * Credentials: the operator's admin token, operator keys, tenant API keys, OAuth clients, and
 * the short-lived JWT access tokens OAuth clients and operator keys obtain. Only hashes of
 * secrets are ever stored.
 */
export class AuthService {
  /**
   * The JWT key imported once: given raw bytes, jose imports them into a CryptoKey on every
   * sign and verify (a verify took 108 µs with the import, 36 µs without).
   */
  private signingKey: Promise<webcrypto.CryptoKey> | undefined;

  constructor(
    private readonly credentials: CredentialStore,
    /** Only to check that a tenant a credential is made or a token is minted for exists. */
    private readonly tenants: Pick<TenantStore, 'get'>,
    private readonly adminTokenHash: string,
    private readonly jwtKey: Uint8Array,
    private readonly tokenTtlSeconds: number,
    /** The longest a viewer token may live (TRAILKEEP_VIEWER_TOKEN_MAX_TTL), in seconds. */
    readonly viewerTokenMaxTtl: number,
    /** Failed authentications per client address, which every entry point counts (http/auth.ts). */
    readonly failures: AuthFailures,
    private readonly clock: () => number = Date.now,
  ) {}

  private key(): Promise<webcrypto.CryptoKey> {
    this.signingKey ??= webcrypto.subtle.importKey(
      'raw',
      this.jwtKey,
      { name: 'HMAC', hash: 'SHA-256' },
      false,
      ['sign', 'verify'],
    );
    return this.signingKey;
  }

  /**
   * Resolves a bearer credential to its principal, or null when it is not (or no longer) valid.
   * `namedTenant` is the tenant the request names (the Trailkeep-Tenant header): for an operator
   * key it is checked and looked up here, once; other credentials compare it with their own.
   */
  async authenticate(bearer: string, namedTenant?: string): Promise<Principal | null> {
    if (secretMatches(bearer, this.adminTokenHash)) return { kind: 'admin' };
    const id = credentialIdOf(bearer);
    if (id) {
      const c = await this.credentials.find(id);
      if (c?.kind !== 'key' || c.revoked_at || !secretMatches(bearer, c.secret_hash)) return null;
      if (c.tenant !== null) {
        return { kind: 'credential', tenant: c.tenant, scopes: c.scopes, credentialId: c.id, via: 'key' };
      }
      if (namedTenant === undefined)
        return { kind: 'operator', scopes: c.scopes, credentialId: c.id, tenant: null };
      if (!isTenantId(namedTenant)) {
        throw new TrailkeepError('invalid_request', `Trailkeep-Tenant must match ${TENANT_ID_PATTERN}.`);
      }
      const tenant = { id: namedTenant, exists: await this.exists(namedTenant) };
      return { kind: 'operator', scopes: c.scopes, credentialId: c.id, tenant };
    }
    const parts = bearer.split('.');
    // jose decodes leniently: an edited signature could still verify unless it is canonical.
    if (parts.length === 3 && parts.every((part) => strictBase64url(part))) return this.verifyToken(bearer);
    return null;
  }

  private async verifyToken(token: string): Promise<Principal | null> {
    try {
      const { payload } = await jwtVerify(token, await this.key(), {
        algorithms: [ALG],
        issuer: ISSUER,
        currentDate: new Date(this.clock()),
      });
      const sub = payload.sub;
      const tenant = payload.tnt;
      const scope = payload.scope;
      if (typeof sub !== 'string' || typeof tenant !== 'string' || typeof scope !== 'string') return null;
      if (payload.viewer !== undefined) return this.viewer(payload, sub, tenant);
      if (!(await this.issuer(sub, tenant))) return null;
      return {
        kind: 'credential',
        tenant,
        scopes: scope.split(' ').filter(Boolean),
        credentialId: sub,
        via: 'token',
      };
    } catch (e) {
      if (e instanceof joseErrors.JOSEError) return null;
      throw e;
    }
  }

  /**
   * The credential that minted a token for `tenant`, while it may: a revoked client's (or
   * operator key's) tokens stop working at once, not at expiry.
   */
  private async issuer(id: string, tenant: string): Promise<CredentialRecord | null> {
    const c = await this.credentials.find(id);
    return c && !c.revoked_at && (c.tenant === tenant || isOperatorKey(c)) ? c : null;
  }

  /** A viewer token's principal, with its tenant's setting for recording its reads, read on each use. */
  private async viewer(payload: JWTPayload, sub: string, tenant: string): Promise<ViewerPrincipal | null> {
    const grant = grantOf(payload);
    if (!grant || typeof payload.jti !== 'string') return null;
    const [client, record] = await Promise.all([this.issuer(sub, tenant), this.tenants.get(tenant)]);
    if (!client || !record || !client.scopes.includes('events:read')) return null;
    return {
      kind: 'viewer',
      tenant,
      scopes: ['events:read'],
      credentialId: sub,
      tokenId: payload.jti,
      ...grant,
      filter: toEventFilter(grant.filters),
      recordReads: record.record_viewer_reads,
    };
  }

  /**
   * A viewer token (docs/embedding.md) minted by `issuer`, a credential with `events:read` acting
   * on `tenant`: signed like an access token, read-only, narrowed to the request's filters, alive
   * `ttl_seconds` (900 by default, at most viewerTokenMaxTtl).
   */
  async issueViewerToken(
    issuer: { tenant: string; credentialId: string },
    req: ViewerTokenRequest,
  ): Promise<IssuedViewerToken> {
    const { grant, ttl } = viewerGrantOf(req, this.viewerTokenMaxTtl);
    const { token, expiresAt } = await this.sign(
      { tnt: issuer.tenant, scope: 'events:read', viewer: grant },
      issuer.credentialId,
      ttl,
      randomUUID(),
    );
    return { token, expires_at: new Date(expiresAt * 1000).toISOString() };
  }

  /** A JWT of these claims for `sub`, alive `ttl` seconds from now; its expiry in epoch seconds. */
  private async sign(
    claims: JWTPayload,
    sub: string,
    ttl: number,
    jti?: string,
  ): Promise<{ token: string; expiresAt: number }> {
    const now = Math.floor(this.clock() / 1000);
    const jwt = new SignJWT(claims)
      .setProtectedHeader({ alg: ALG, typ: 'JWT' })
      .setIssuer(ISSUER)
      .setSubject(sub)
      .setIssuedAt(now)
      .setExpirationTime(now + ttl);
    if (jti !== undefined) jwt.setJti(jti);
    return { token: await jwt.sign(await this.key()), expiresAt: now + ttl };
  }

  /**
   * OAuth 2.0 client credentials grant, for an OAuth client or an operator key. The token is
   * bound to one tenant: the client's own, or the existing `tenant` an operator key names (a
   * token never creates one). `scope` may narrow the grantable scopes, never widen them; an
   * operator key grants only `events:read` and `events:write` of its scopes.
   */
  async issueToken(
    clientId: string,
    clientSecret: string,
    scope?: string,
    tenant?: string,
  ): Promise<IssuedToken> {
    // Only a well-formed id is looked up (the client's own text may hold anything, NUL included).
    const c = /^(?:cli|opk)_[0-9a-f]{20}$/.test(clientId) ? await this.credentials.find(clientId) : null;
    const operator = c !== null && isOperatorKey(c);
    if (
      !c ||
      c.revoked_at ||
      !(operator || (c.kind === 'oauth_client' && c.tenant !== null)) ||
      !secretMatches(clientSecret, c.secret_hash)
    ) {
      throw new TrailkeepError('unauthorized', 'Unknown client or wrong secret.');
    }
    const boundTo = operator ? await this.mintingTenant(tenant) : (c.tenant as string);
    if (tenant !== undefined && tenant !== boundTo) {
      throw new TrailkeepError('forbidden', 'The client is bound to its own tenant.', {
        oauth_error: 'invalid_target',
      });
    }
    const grantable = operator ? c.scopes.filter((s) => MINTABLE_SCOPES.includes(s)) : c.scopes;
    let scopes = grantable;
    if (scope !== undefined && scope.trim() !== '') {
      const asked = scope.split(/\s+/).filter(Boolean);
      const extra = asked.filter((s) => !grantable.includes(s));
      if (extra.length)
        throw new TrailkeepError('forbidden', `The client may not have scope ${extra.join(' ')}.`);
      scopes = asked;
    }
    if (scopes.length === 0)
      throw new TrailkeepError('forbidden', 'The key has no scope an access token can carry.');
    const { token: access_token } = await this.sign(
      { tnt: boundTo, scope: scopes.join(' ') },
      c.id,
      this.tokenTtlSeconds,
    );
    return { access_token, token_type: 'bearer', expires_in: this.tokenTtlSeconds, scope: scopes.join(' ') };
  }

  /** The existing tenant an operator key mints a token for. */
  private async mintingTenant(tenant: string | undefined): Promise<string> {
    if (tenant === undefined || !isTenantId(tenant)) {
      throw new TrailkeepError(
        'invalid_request',
        'An operator key names the tenant its token is for: tenant, a valid tenant id.',
      );
    }
    if (!(await this.exists(tenant))) {
      throw new TrailkeepError('not_found', `Tenant ${tenant} does not exist.`, {
        oauth_error: 'invalid_target',
      });
    }
    return tenant;
  }

  private async exists(tenant: string): Promise<boolean> {
    return (await this.tenants.get(tenant)) !== null;
  }

  /**
   * Creates a key or OAuth client of a tenant, or with tenant null an operator key; the secret
   * is returned this once and only its hash is kept.
   */
  async createCredential(
    tenant: string | null,
    kind: CredentialKind,
    name: string,
    scopes: string[],
  ): Promise<{ credential: Credential; secret: string }> {
    if (tenant === null && kind !== 'key') throw new Error('Only keys exist at operator level.');
    const known: readonly string[] = tenant === null ? OPERATOR_SCOPES : SCOPES;
    const unknown = scopes.filter((s) => !known.includes(s));
    if (unknown.length) {
      throw new TrailkeepError(
        'invalid_request',
        `Unknown scope ${unknown.join(', ')}; known: ${known.join(', ')}.`,
      );
    }
    if (tenant !== null && !(await this.exists(tenant)))
      throw new TrailkeepError('not_found', `Tenant ${tenant} does not exist.`);
    const id = newCredentialId(tenant === null ? 'opk' : kind === 'key' ? 'key' : 'cli');
    const secret = makeSecret(id);
    const credential = await this.credentials.create(
      { id, tenant, kind, name, scopes: [...new Set(scopes)], secret_hash: hashSecret(secret) },
      this.clock(),
    );
    return { credential, secret };
  }

  /** A tenant's keys or OAuth clients; with tenant null, the operator keys. */
  list(tenant: string | null, kind: CredentialKind): Promise<Credential[]> {
    return this.credentials.list(tenant, kind);
  }

  async revoke(tenant: string | null, kind: CredentialKind, id: string): Promise<void> {
    if (!(await this.credentials.revoke(tenant, kind, id, this.clock()))) {
      const noun = tenant === null ? 'operator key' : kind === 'key' ? 'key' : 'OAuth client';
      throw new TrailkeepError('not_found', `No active ${noun} ${id}.`);
    }
  }
}
