import { createHmac, timingSafeEqual } from 'node:crypto';
import { strictBase64url } from './base64url.js';
import { TrailkeepError } from './errors.js';

/**
 * Expiring, signed tokens for links that carry their own authority (presigned download URLs).
 * The MAC covers the tenant, the resource the link opens and the expiry, so a token opens that
 * one resource of that one tenant until it expires, and any edit is detected. The key is a
 * purpose-bound derivation of the server secret: a link can never pass for a cursor or a JWT.
 */
export class LinkSigner {
  constructor(private readonly key: Buffer) {}

  private mac(tenant: string, resource: string, expiresAt: number): Buffer {
    return createHmac('sha256', this.key).update(`link\n${tenant}\n${resource}\n${expiresAt}`).digest();
  }

  /** A token for `resource` of `tenant`, valid until `expiresAt` (epoch ms). */
  sign(tenant: string, resource: string, expiresAt: number): string {
    const payload = Buffer.from(`${expiresAt}.${tenant}`).toString('base64url');
    return `${payload}.${this.mac(tenant, resource, expiresAt).toString('base64url')}`;
  }

  /**
   * The tenant a token for `resource` was signed for. Throws `unauthorized` for a token that is
   * not one, `forbidden` for a tampered, foreign or expired one.
   */
  verify(token: string, resource: string, now: number): string {
    const [p, m, extra] = token.split('.');
    const payload = p && m && extra === undefined ? strictBase64url(p) : null;
    if (!payload) throw new TrailkeepError('unauthorized', 'The link token is malformed.');
    const match = /^(\d{1,16})\.(.+)$/s.exec(payload.toString());
    if (!match?.[1] || !match[2]) throw new TrailkeepError('unauthorized', 'The link token is malformed.');
    // A MAC written otherwise than canonically is an edit, even when it decodes to the right bytes.
    const given = strictBase64url(m as string) ?? Buffer.alloc(0);
    const expiresAt = Number(match[1]);
    const want = this.mac(match[2], resource, expiresAt);
    if (given.length !== want.length || !timingSafeEqual(given, want)) {
      throw new TrailkeepError('forbidden', 'The link is not valid.');
    }
    if (expiresAt <= now) throw new TrailkeepError('forbidden', 'The link has expired.');
    return match[2];
  }
}
