import { EMPTY_ROOT, type Hash, nodeHash } from './merkle.js';

/** A complete, aligned subtree: level `l` index `i` covers leaves `i·2^l … (i+1)·2^l − 1`. */
export interface Subtree {
  level: number;
  index: number;
}

/**
 * Leaves `lo … hi − 1` as the fewest complete, aligned subtrees, left to right: the largest
 * subtree that starts at `lo` and fits, then the same from its end. Both the server (which
 * sends their hashes) and the verifier (which expects them) derive the shape from the range
 * alone, so a proof carries hashes and nothing that could disagree with them.
 */
export function subtreesOf(lo: number, hi: number): Subtree[] {
  const out: Subtree[] = [];
  while (lo < hi) {
    let size = 1;
    while (lo % (size * 2) === 0 && lo + size * 2 <= hi) size *= 2;
    out.push({ level: Math.round(Math.log2(size)), index: lo / size });
    lo += size;
  }
  return out;
}

/**
 * The root of a tree built from its leaves and subtrees in order, left to right, without
 * holding more than one hash per level: a compact range (as transparency-dev's `compact`
 * package calls it). Two neighbours of one size merge into their parent at once; what is left
 * at the end are the perfect subtrees RFC 9162 §2.1.1 splits the tree into, and the root
 * folds them from the right.
 */
export class CompactRange {
  private readonly stack: { level: number; hash: Hash }[] = [];
  /** Leaves covered so far. */
  size = 0;

  /**
   * Appends a complete subtree of 2^level leaves that starts at `size`. Throws when it is not
   * aligned there: a caller's bug, since every subtree comes from subtreesOf.
   */
  push(level: number, hash: Hash): void {
    const width = 2 ** level;
    if (this.size % width !== 0)
      throw new RangeError(`a subtree of ${width} leaves cannot start at ${this.size}`);
    let top = { level, hash };
    for (let last = this.stack.at(-1); last && last.level === top.level; last = this.stack.at(-1)) {
      this.stack.pop();
      top = { level: top.level + 1, hash: nodeHash(last.hash, top.hash) };
    }
    this.stack.push(top);
    this.size += width;
  }

  /** The root of the tree of `size` leaves. */
  root(): Hash {
    let i = this.stack.length - 1;
    if (i < 0) return EMPTY_ROOT;
    let hash = (this.stack[i] as { hash: Hash }).hash;
    while (--i >= 0) hash = nodeHash((this.stack[i] as { hash: Hash }).hash, hash);
    return hash;
  }
}
