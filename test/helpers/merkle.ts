import { EMPTY_ROOT, type Hash, nodeHash } from '../../src/core/log/merkle.js';

/**
 * MTH, the root of a list of leaf hashes, by RFC 9162 §2.1.1's definition itself, straight from
 * the leaves: what every stored or computed form of the tree must agree with.
 */
export function mth(leaves: Hash[]): Hash {
  if (leaves.length === 0) return EMPTY_ROOT;
  if (leaves.length === 1) return leaves[0] as Hash;
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return nodeHash(mth(leaves.slice(0, k)), mth(leaves.slice(k)));
}
