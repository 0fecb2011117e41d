import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import { strictBase64url } from '../../core/base64url.js';
import { TrailkeepError } from '../../core/errors.js';
import type { Credential, CredentialKind, Store } from '../../store/types.js';
import type { Principal } from './principal.js';
import { SCOPES } from './principal.js';
import { credentialIdOf, hashSecret, makeSecret, newCredentialId, secretMatches } from './secrets.js';

const ISSUER = 'trailkeep';
const ALG = 'HS256';

export interface IssuedToken {
  access_token: string;
  token_type: 'bearer';
  expires_in: number;
  scope: string;
}

/**
 * Credentials: the operator's admin token, tenant API keys, OAuth clients, and the short-lived
 * JWT access tokens those clients obtain. Only hashes of secrets are ever stored.
 */
export class AuthService {
  constructor(
    private readonly store: Store,
    private readonly adminTokenHash: string,
    private readonly jwtKey: Uint8Array,
    private readonly tokenTtlSeconds: number,
    private readonly clock: () => number = Date.now,
  ) {}

  /** Resolves a bearer credential to its principal, or null when it is not (or no longer) valid. */
  async authenticate(bearer: string): Promise<Principal | null> {
    if (secretMatches(bearer, this.adminTokenHash)) return { kind: 'admin' };
    const id = credentialIdOf(bearer);
    if (id) {
      const c = await this.store.credentials.find(id);
      if (c?.kind !== 'key' || c.revoked_at || c.tenant === null || !secretMatches(bearer, c.secret_hash)) {
        return null;
      }
      return { kind: 'credential', tenant: c.tenant, scopes: c.scopes, credentialId: c.id, via: 'key' };
    }
    const parts = bearer.split('.');
    // jose decodes leniently: an edited signature could still verify unless it is canonical.
    if (parts.length === 3 && parts.every((part) => strictBase64url(part))) return this.verifyToken(bearer);
    return null;
  }

  private async verifyToken(token: string): Promise<Principal | null> {
    try {
      const { payload } = await jwtVerify(token, this.jwtKey, {
        algorithms: [ALG],
        issuer: ISSUER,
        currentDate: new Date(this.clock()),
      });
      const sub = payload.sub;
      const tenant = payload.tnt;
      const scope = payload.scope;
      if (typeof sub !== 'string' || typeof tenant !== 'string' || typeof scope !== 'string') return null;
      // A revoked client's tokens stop working at once, not at expiry.
      const client = await this.store.credentials.find(sub);
      if (!client || client.revoked_at || client.tenant !== tenant) return null;
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

  /** OAuth 2.0 client credentials grant. `scope` may narrow the client's scopes, never widen them. */
  async issueToken(clientId: string, clientSecret: string, scope?: string): Promise<IssuedToken> {
    // Only a well-formed id is looked up (the client's own text may hold anything, NUL included).
    const c = /^cli_[0-9a-f]{20}$/.test(clientId) ? await this.store.credentials.find(clientId) : null;
    if (
      c?.kind !== 'oauth_client' ||
      c.revoked_at ||
      c.tenant === null ||
      !secretMatches(clientSecret, c.secret_hash)
    ) {
      throw new TrailkeepError('unauthorized', 'Unknown client or wrong secret.');
    }
    let scopes = c.scopes;
    if (scope !== undefined && scope.trim() !== '') {
      const asked = scope.split(/\s+/).filter(Boolean);
      const extra = asked.filter((s) => !c.scopes.includes(s));
      if (extra.length)
        throw new TrailkeepError('forbidden', `The client may not have scope ${extra.join(' ')}.`);
      scopes = asked;
    }
    const now = Math.floor(this.clock() / 1000);
    const access_token = await new SignJWT({ tnt: c.tenant, scope: scopes.join(' ') })
      .setProtectedHeader({ alg: ALG, typ: 'JWT' })
      .setIssuer(ISSUER)
      .setSubject(c.id)
      .setIssuedAt(now)
      .setExpirationTime(now + this.tokenTtlSeconds)
      .sign(this.jwtKey);
    return { access_token, token_type: 'bearer', expires_in: this.tokenTtlSeconds, scope: scopes.join(' ') };
  }

  /** Creates a key or OAuth client; the secret is returned this once and only its hash is kept. */
  async createCredential(
    tenant: string,
    kind: CredentialKind,
    name: string,
    scopes: string[],
  ): Promise<{ credential: Credential; secret: string }> {
    const unknown = scopes.filter((s) => !(SCOPES as readonly string[]).includes(s));
    if (unknown.length) {
      throw new TrailkeepError(
        'invalid_request',
        `Unknown scope ${unknown.join(', ')}; known: ${SCOPES.join(', ')}.`,
      );
    }
    if (!(await this.store.tenants.get(tenant)))
      throw new TrailkeepError('not_found', `Tenant ${tenant} does not exist.`);
    const id = newCredentialId(kind === 'key' ? 'key' : 'cli');
    const secret = makeSecret(id);
    const credential = await this.store.credentials.create(
      { id, tenant, kind, name, scopes: [...new Set(scopes)], secret_hash: hashSecret(secret) },
      this.clock(),
    );
    return { credential, secret };
  }

  list(tenant: string, kind: CredentialKind): Promise<Credential[]> {
    return this.store.credentials.list(tenant, kind);
  }

  async revoke(tenant: string, kind: CredentialKind, id: string): Promise<void> {
    if (!(await this.store.credentials.revoke(tenant, kind, id, this.clock()))) {
      throw new TrailkeepError('not_found', `No active ${kind === 'key' ? 'key' : 'OAuth client'} ${id}.`);
    }
  }
}
