import { EMPTY_ROOT, type Hash, leafHash, type NodeSource, nodeHash } from '../../src/core/log/merkle.js';

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

/** A whole tree of `size` made-up leaves held in memory, every level, as a NodeSource. */
export function memoryTree(size: number): { leaves: Hash[]; node: NodeSource } {
  const leaves = Array.from({ length: size }, (_, i) => leafHash(Buffer.from(`leaf ${i}`)));
  const levels: Hash[][] = [leaves];
  for (let below = leaves; below.length > 1; ) {
    const up: Hash[] = [];
    for (let i = 0; i + 1 < below.length; i += 2) up.push(nodeHash(below[i] as Hash, below[i + 1] as Hash));
    levels.push(up);
    below = up;
  }
  const node: NodeSource = (level, index) => {
    const h = levels[level]?.[index];
    if (!h) throw new Error(`no node ${level}/${index} in a tree of ${size}`);
    return h;
  };
  return { leaves, node };
}

/** The same hash with one bit flipped. */
export const flipped = (h: Hash, bit: number): Hash => {
  const copy = Buffer.from(h);
  copy[bit >> 3] = (copy[bit >> 3] as number) ^ (1 << (bit & 7));
  return copy;
};
