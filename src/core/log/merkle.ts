import { createHash, hash } from 'node:crypto';
import { inclusionSides } from './inclusion-path.js';

/**
 * RFC 6962 / RFC 9162 §2.1 Merkle tree hashing and proofs, as every transparency-log client
 * computes them. Sizes and indexes are plain numbers: a tree of up to 2^53 leaves, divided with
 * arithmetic, never with 32-bit bitwise operators.
 */

export type Hash = Buffer;

export const HASH_BYTES = 32;

/** The root of the empty tree: SHA-256 of nothing. */
export const EMPTY_ROOT: Hash = createHash('sha256').digest();

/**
 * SHA-256 of a prefix byte and the given parts, in one call: one-shot hashing of a buffer put
 * together here costs half of createHash().update()…digest(), and proofs and checkpoints
 * compute hundreds of these per request.
 */
function prefixed(prefix: number, a: Uint8Array, b?: Uint8Array): Hash {
  const input = Buffer.allocUnsafe(1 + a.length + (b?.length ?? 0));
  input[0] = prefix;
  input.set(a, 1);
  if (b) input.set(b, 1 + a.length);
  return hash('sha256', input, 'buffer');
}

/** A leaf's hash: SHA-256(0x00 ‖ entry). */
export const leafHash = (entry: Uint8Array): Hash => prefixed(0x00, entry);

/** An interior node's hash: SHA-256(0x01 ‖ left ‖ right). */
export const nodeHash = (left: Uint8Array, right: Uint8Array): Hash => prefixed(0x01, left, right);

/**
 * The root of a power-of-two run of `count` node hashes laid end to end in `hashes` from byte
 * `start`, hashed level by level in one scratch buffer: each pair's input (0x01 ‖ left ‖ right)
 * is a view of the scratch with the prefix byte written just before it, over bytes already
 * consumed, so no level allocates more than the digests.
 */
export function runRoot(hashes: Uint8Array, start: number, count: number): Hash {
  if (count === 1) return Buffer.from(hashes.subarray(start, start + HASH_BYTES));
  const scratch = Buffer.allocUnsafe(1 + count * HASH_BYTES);
  scratch.set(hashes.subarray(start, start + count * HASH_BYTES), 1);
  for (let n = count; n > 1; n /= 2) {
    for (let i = 0; i < n / 2; i++) {
      // Pair i is at 1 + 64i; its prefix goes at 64i, which pair i − 1 (or the spare byte) has done with.
      scratch[64 * i] = 0x01;
      const digest = hash('sha256', scratch.subarray(64 * i, 64 * i + 65), 'buffer');
      scratch.set(digest, 1 + 32 * i);
    }
  }
  return Buffer.from(scratch.subarray(1, 1 + HASH_BYTES));
}

/**
 * The hash of a complete, aligned subtree: `level` 0 is a leaf hash, level `l` covers leaves
 * `index·2^l … (index+1)·2^l − 1`. Proof generation asks for these and nothing else, so a store
 * keeps only them (in tiles).
 */
export type NodeSource = (level: number, index: number) => Hash;

/** The largest power of two strictly below `n` (n ≥ 2). */
export function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

const isPowerOfTwo = (n: number): boolean => n > 0 && 2 ** Math.round(Math.log2(n)) === n;

/**
 * MTH(D[lo:hi]) as RFC 9162 §2.1.1 splits it. `lo` is always aligned to the subtrees the
 * recursion makes, so every power-of-two part is one node of `node`.
 */
export function rangeHash(lo: number, hi: number, node: NodeSource): Hash {
  const n = hi - lo;
  if (n === 0) return EMPTY_ROOT;
  if (isPowerOfTwo(n) && lo % n === 0) {
    const level = Math.round(Math.log2(n));
    return node(level, lo / n);
  }
  const k = splitPoint(n);
  return nodeHash(rangeHash(lo, lo + k, node), rangeHash(lo + k, hi, node));
}

/** The root of a tree of `size` leaves. */
export const rootHash = (size: number, node: NodeSource): Hash => rangeHash(0, size, node);

/** The audit path of leaf `index` in a tree of `size` (RFC 9162 §2.1.3.1), nearest sibling first. */
export function inclusionProof(index: number, size: number, node: NodeSource): Hash[] {
  if (!(index >= 0 && index < size)) throw new RangeError(`leaf ${index} is not in a tree of ${size}`);
  const path: Hash[] = [];
  const walk = (m: number, lo: number, hi: number): void => {
    if (hi - lo <= 1) return;
    const k = splitPoint(hi - lo);
    if (m < k) {
      walk(m, lo, lo + k);
      path.push(rangeHash(lo + k, hi, node));
    } else {
      walk(m - k, lo + k, hi);
      path.push(rangeHash(lo, lo + k, node));
    }
  };
  walk(index, 0, size);
  return path;
}

/** The proof that the tree of `size2` extends the tree of `size1` (RFC 9162 §2.1.4.1). */
export function consistencyProof(size1: number, size2: number, node: NodeSource): Hash[] {
  if (!(size1 >= 0 && size1 <= size2)) throw new RangeError(`no consistency from ${size1} to ${size2}`);
  if (size1 === 0 || size1 === size2) return [];
  const proof: Hash[] = [];
  const sub = (m: number, lo: number, hi: number, complete: boolean): void => {
    if (m === hi - lo) {
      if (!complete) proof.push(rangeHash(lo, hi, node));
      return;
    }
    const k = splitPoint(hi - lo);
    if (m <= k) {
      sub(m, lo, lo + k, complete);
      proof.push(rangeHash(lo + k, hi, node));
    } else {
      sub(m - k, lo + k, hi, false);
      proof.push(rangeHash(lo, lo + k, node));
    }
  };
  sub(size1, 0, size2, true);
  return proof;
}

const half = (n: number) => Math.floor(n / 2);
const odd = (n: number) => n % 2 === 1;

/**
 * The root an audit path leads to from a leaf hash (RFC 9162 §2.1.3.2), or null when the path
 * cannot belong to that index and size (too long or too short).
 */
export function rootFromInclusion(index: number, size: number, leaf: Hash, proof: Hash[]): Hash | null {
  const sides = inclusionSides(index, size, proof.length);
  if (!sides) return null;
  let r = leaf;
  proof.forEach((p, i) => {
    r = sides[i] ? nodeHash(p, r) : nodeHash(r, p);
  });
  return r;
}

/** Whether `proof` shows the leaf with hash `leaf` at `index` in the tree of `size` with `root`. */
export function verifyInclusion(index: number, size: number, leaf: Hash, proof: Hash[], root: Hash): boolean {
  if (leaf.length !== HASH_BYTES || root.length !== HASH_BYTES) return false;
  if (proof.some((p) => p.length !== HASH_BYTES)) return false;
  const computed = rootFromInclusion(index, size, leaf, proof);
  return computed?.equals(root) === true;
}

/**
 * Whether `proof` shows the tree of `size2` with `root2` extends the tree of `size1` with
 * `root1` (RFC 9162 §2.1.4.2). Equal sizes need equal roots and no proof. A proof from the
 * empty tree proves nothing (every tree extends it) and is refused, as the reference verifier
 * refuses it.
 */
export function verifyConsistency(
  size1: number,
  size2: number,
  proof: Hash[],
  root1: Hash,
  root2: Hash,
): boolean {
  const sizes = Number.isSafeInteger(size1) && Number.isSafeInteger(size2) && size1 >= 1 && size1 <= size2;
  if (!sizes) return false;
  if (size1 === size2) return proof.length === 0 && root1.equals(root2);
  if (root1.length !== HASH_BYTES || root2.length !== HASH_BYTES || proof.length === 0) return false;
  if (proof.some((p) => p.length !== HASH_BYTES)) return false;
  const path = isPowerOfTwo(size1) ? [root1, ...proof] : proof;
  let fn = size1 - 1;
  let sn = size2 - 1;
  while (odd(fn)) {
    fn = half(fn);
    sn = half(sn);
  }
  let fr = path[0] as Hash;
  let sr = fr;
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (odd(fn) || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      while (!odd(fn) && fn !== 0) {
        fn = half(fn);
        sn = half(sn);
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 && fr.equals(root1) && sr.equals(root2);
}
