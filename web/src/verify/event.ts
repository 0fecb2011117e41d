import canonicalize from 'canonicalize';
import { sha256, toHex, utf8 } from './bytes.js';

/**
 * The hash an event's content gives: SHA-256 of its RFC 8785 canonical JSON without `hash`
 * (src/core/event/seal.ts `contentHash`), hex. The reference implementation of RFC 8785 here;
 * the server's own, faster one is tested against it (test/core/canonical.test.ts).
 */
export async function contentHash(event: Record<string, unknown>): Promise<string> {
  const { hash: _, ...rest } = event;
  return toHex(await sha256(utf8(canonicalize(rest) ?? '')));
}
