import { inclusionSides } from '../../../src/core/log/inclusion-path.js';
import { equal, sha256 } from './bytes.js';

/**
 * RFC 6962 / RFC 9162 §2.1 hashing and the inclusion proof's verification with WebCrypto: the
 * browser's side of src/core/log/merkle.ts (which hashes with node:crypto, synchronously), over
 * the same path arithmetic (core/log/inclusion-path.ts), proven against the same conformance
 * vectors (test/web/verify.test.ts).
 */

export const HASH_BYTES = 32;

const LEAF = new Uint8Array([0x00]);
const NODE = new Uint8Array([0x01]);

/** A leaf's hash: SHA-256(0x00 ‖ entry). */
export const leafHash = (entry: Uint8Array): Promise<Uint8Array> => sha256(LEAF, entry);

/** An interior node's hash: SHA-256(0x01 ‖ left ‖ right). */
export const nodeHash = (left: Uint8Array, right: Uint8Array): Promise<Uint8Array> =>
  sha256(NODE, left, right);

/**
 * The root an audit path leads to from a leaf hash (RFC 9162 §2.1.3.2), or null when the path
 * cannot belong to that index and size (too long or too short). The sides come from the core's
 * own arithmetic; only the hashing is the browser's.
 */
export async function rootFromInclusion(
  index: number,
  size: number,
  leaf: Uint8Array,
  proof: Uint8Array[],
): Promise<Uint8Array | null> {
  const sides = inclusionSides(index, size, proof.length);
  if (!sides) return null;
  let r = leaf;
  for (const [i, p] of proof.entries()) r = sides[i] ? await nodeHash(p, r) : await nodeHash(r, p);
  return r;
}

/** Whether `proof` shows the leaf hash `leaf` at `index` in the tree of `size` whose root is `root`. */
export async function verifyInclusion(
  index: number,
  size: number,
  leaf: Uint8Array,
  proof: Uint8Array[],
  root: Uint8Array,
): Promise<boolean> {
  if (leaf.length !== HASH_BYTES || root.length !== HASH_BYTES) return false;
  if (proof.some((p) => p.length !== HASH_BYTES)) return false;
  const computed = await rootFromInclusion(index, size, leaf, proof);
  return computed !== null && equal(computed, root);
}
