import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';

/** RFC 8785 canonical JSON. Inputs are validated first, so it cannot meet NaN or lone surrogates. */
export function canonicalJson(value: unknown): string {
  return canonicalize(value) as string;
}

export const sha256Hex = (text: string): string => createHash('sha256').update(text).digest('hex');

/**
 * Seals an event at commit: adds what the server assigns and hashes the canonical JSON.
 * `body` is that canonical JSON (hash left out), so `sha256(body) === hash` verifies it.
 */
export function sealEvent(
  event: object,
  tenant: string,
  seq: number,
  receivedAt: string,
): { body: string; hash: string } {
  const body = canonicalJson({ ...event, tenant, seq, received_at: receivedAt });
  return { body, hash: sha256Hex(body) };
}

/** The event as returned: the sealed body with its hash added (key order is not significant in JSON). */
export const withHash = (body: string, hash: string): string => `${body.slice(0, -1)},"hash":"${hash}"}`;

/** Recomputes an event's hash from its returned JSON object; true when it is unaltered. */
export function verifyEvent(event: Record<string, unknown>): boolean {
  const { hash, ...rest } = event;
  return typeof hash === 'string' && sha256Hex(canonicalJson(rest)) === hash;
}
