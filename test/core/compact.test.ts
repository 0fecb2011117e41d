import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CompactRange, subtreesOf } from '../../src/core/log/compact.js';
import { EMPTY_ROOT } from '../../src/core/log/merkle.js';
import { flipped, memoryTree, mth } from '../helpers/merkle.js';

// Seeded, so a failure names a case that can be run again.
let seed = 29;
const random = (n: number) => {
  seed = (seed * 1103515245 + 12345) % 2 ** 31;
  return seed % n;
};

test('subtreesOf covers a range exactly, with aligned subtrees no two of which could be one', () => {
  for (let i = 0; i < 500; i++) {
    const lo = random(5000);
    const hi = lo + random(3000);
    const parts = subtreesOf(lo, hi);
    let at = lo;
    for (const [k, { level, index }] of parts.entries()) {
      const width = 2 ** level;
      assert.equal(index * width, at, `subtree ${k} of ${lo}-${hi} starts where the last ended`);
      at += width;
      const next = parts[k + 1];
      // Two neighbours of one level that would form an aligned parent are never both listed.
      if (next?.level === level)
        assert.notEqual(index % 2, 0, `${lo}-${hi}: ${level}/${index} and its sibling`);
    }
    assert.equal(at, hi);
  }
  assert.deepEqual(subtreesOf(4, 4), []);
});

/**
 * A tree cut into random runs, some given leaf by leaf (an export's events), the others as the
 * hashes of their subtrees (its gaps), builds the root the definition gives; any bit changed in
 * any part changes it.
 */
test('a compact range of leaves and gap subtrees gives the tree root, and notices any changed bit', () => {
  for (const size of [1, 2, 3, 7, 8, 255, 256, 257, ...Array.from({ length: 20 }, () => 1 + random(2500))]) {
    const { leaves, node } = memoryTree(size);
    const parts: { level: number; hash: Buffer }[] = [];
    for (let at = 0; at < size; ) {
      const run = Math.min(size - at, 1 + random(300));
      if (random(2) === 0)
        for (let i = at; i < at + run; i++) parts.push({ level: 0, hash: leaves[i] as Buffer });
      else
        for (const s of subtreesOf(at, at + run))
          parts.push({ level: s.level, hash: node(s.level, s.index) });
      at += run;
    }
    const rootOf = (list: typeof parts) => {
      const range = new CompactRange();
      for (const p of list) range.push(p.level, p.hash);
      assert.equal(range.size, size);
      return range.root();
    };
    const root = rootOf(parts);
    assert.ok(root.equals(mth(leaves)), `size ${size}`);
    const k = random(parts.length);
    const changed = parts.map((p, i) => (i === k ? { ...p, hash: flipped(p.hash, random(256)) } : p));
    assert.ok(!rootOf(changed).equals(root), `size ${size}: a bit of part ${k}`);
  }
  assert.ok(new CompactRange().root().equals(EMPTY_ROOT));
});

test('a subtree that does not start at its own alignment is refused', () => {
  const range = new CompactRange();
  range.push(0, Buffer.alloc(32));
  assert.throws(() => range.push(1, Buffer.alloc(32)), RangeError);
});
