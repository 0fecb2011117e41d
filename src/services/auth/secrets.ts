import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Credential secrets are 256 random bits, so a fast hash is as strong as a slow one: SHA-256
 * is stored, and comparisons run in constant time.
 */
export const hashSecret = (secret: string): string => createHash('sha256').update(secret).digest('hex');

export function secretMatches(secret: string, storedHash: string): boolean {
  const a = Buffer.from(hashSecret(secret), 'hex');
  const b = Buffer.from(storedHash, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}

export const randomToken = (bytes = 32): string => randomBytes(bytes).toString('base64url');

/** `key_` tenant keys, `cli_` OAuth clients, `opk_` operator keys (told apart at a glance in logs and scanners). */
export const newCredentialId = (prefix: 'key' | 'cli' | 'opk'): string =>
  `${prefix}_${randomBytes(10).toString('hex')}`;

/** `tk_<credential id>_<random>`: the id inside lets a presented secret be looked up by key. */
export const makeSecret = (id: string): string => `tk_${id}_${randomToken()}`;

export function credentialIdOf(secret: string): string | null {
  const m = /^tk_((?:key|cli|opk)_[0-9a-f]{20})_[A-Za-z0-9_-]{43}$/.exec(secret);
  return m?.[1] ?? null;
}

/** Derives a purpose-bound key from the server secret, so one leaked use cannot forge another. */
export const deriveKey = (secret: string, purpose: string): Buffer =>
  createHmac('sha256', secret).update(`trailkeep:${purpose}`).digest();
