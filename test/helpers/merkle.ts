import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
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

/** An RFC 6962 inclusion vector of test/fixtures/rfc6962 (its README), hashes in base64. */
export interface InclusionVector {
  leafIdx: number;
  treeSize: number;
  root: string;
  leafHash: string;
  proof: string[] | null;
  wantErr: boolean;
}

/** An RFC 6962 consistency vector. */
export interface ConsistencyVector {
  size1: number;
  size2: number;
  root1: string;
  root2: string;
  proof: string[] | null;
  wantErr: boolean;
}

const VECTORS = join(import.meta.dirname, '..', 'fixtures', 'rfc6962');

/** Every vector of a kind, each with its file for the failure message. */
function vectors<T>(kind: string): { file: string; c: T }[] {
  const walk = (dir: string): string[] =>
    readdirSync(dir).flatMap((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? walk(path) : name.endsWith('.json') ? [path] : [];
    });
  return walk(join(VECTORS, kind)).map((file) => ({ file, c: JSON.parse(readFileSync(file, 'utf8')) as T }));
}

export const inclusionVectors = () => vectors<InclusionVector>('inclusion');

/**
 * Runs every inclusion vector through a verifier (the server's or the browser's): the valid ones
 * must verify and the others be refused, each failure naming its file. Returns how many verified.
 */
export async function checkInclusionVectors(
  verify: (
    index: number,
    size: number,
    leaf: Buffer,
    proof: Buffer[],
    root: Buffer,
  ) => boolean | Promise<boolean>,
): Promise<number> {
  const all = inclusionVectors();
  if (all.length <= 50) throw new Error(`only ${all.length} inclusion vectors`);
  const b64 = (text: string) => Buffer.from(text, 'base64');
  let valid = 0;
  for (const { file, c } of all) {
    const ok = await verify(c.leafIdx, c.treeSize, b64(c.leafHash), (c.proof ?? []).map(b64), b64(c.root));
    if (ok === c.wantErr) throw new Error(`${file}: ${ok ? 'verified' : 'refused'}, expected the opposite`);
    if (ok) valid += 1;
  }
  return valid;
}
export const consistencyVectors = () => vectors<ConsistencyVector>('consistency');
