import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  consistencyProof,
  EMPTY_ROOT,
  type Hash,
  inclusionProof,
  rootHash,
  verifyConsistency,
  verifyInclusion,
} from '../../src/core/log/merkle.js';
import { checkInclusionVectors, consistencyVectors, flipped, memoryTree, mth } from '../helpers/merkle.js';

const b64 = (s: string): Hash => Buffer.from(s, 'base64');

describe('RFC 6962 vectors', () => {
  test('every inclusion case: the valid ones verify, the others are refused', async () => {
    assert.ok((await checkInclusionVectors(verifyInclusion)) >= 6);
  });

  test('every consistency case: the valid ones verify, the others are refused', () => {
    const all = consistencyVectors();
    assert.ok(all.length > 50, `${all.length} cases`);
    for (const { file, c } of all) {
      const ok = verifyConsistency(c.size1, c.size2, (c.proof ?? []).map(b64), b64(c.root1), b64(c.root2));
      assert.equal(ok, !c.wantErr, file);
    }
  });
});

/** A whole tree in memory, every complete node computed level by level from its leaves. */
describe('proofs over random trees', () => {
  // Seeded, so a failure names a case that can be run again.
  let seed = 17;
  const random = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  const sizes = [
    1,
    2,
    3,
    4,
    5,
    7,
    8,
    9,
    255,
    256,
    257,
    ...Array.from({ length: 12 }, () => 1 + random(3000)),
  ];

  test('the root over stored nodes is the definition’s root', () => {
    for (const size of sizes) {
      const { leaves, node } = memoryTree(size);
      assert.ok(rootHash(size, node).equals(mth(leaves)), `size ${size}`);
    }
    assert.ok(rootHash(0, () => EMPTY_ROOT).equals(EMPTY_ROOT));
  });

  test('every inclusion proof verifies, and fails with any one bit changed or at another index', () => {
    for (const size of sizes) {
      const { leaves, node } = memoryTree(size);
      const root = rootHash(size, node);
      const indexes = size <= 9 ? leaves.map((_, i) => i) : [0, size - 1, random(size), random(size)];
      for (const index of indexes) {
        const leaf = leaves[index] as Hash;
        const proof = inclusionProof(index, size, node);
        assert.ok(verifyInclusion(index, size, leaf, proof, root), `${index} of ${size}`);
        if (size > 1) assert.ok(!verifyInclusion((index + 1) % size, size, leaf, proof, root));
        assert.ok(!verifyInclusion(index, size, flipped(leaf, random(256)), proof, root));
        assert.ok(!verifyInclusion(index, size, leaf, proof, flipped(root, random(256))));
        proof.forEach((_, i) => {
          const bad = proof.map((p, j) => (j === i ? flipped(p, random(256)) : p));
          assert.ok(!verifyInclusion(index, size, leaf, bad, root), `bit in hash ${i} of ${index}/${size}`);
        });
      }
    }
  });

  test('every consistency proof verifies, and fails with any one bit changed', () => {
    for (const size2 of sizes) {
      const { leaves, node } = memoryTree(size2);
      const root2 = rootHash(size2, node);
      const firsts =
        size2 <= 9 ? leaves.map((_, i) => i + 1) : [1, size2, random(size2) + 1, random(size2) + 1];
      for (const size1 of firsts) {
        const root1 = mth(leaves.slice(0, size1));
        const proof = consistencyProof(size1, size2, node);
        assert.ok(verifyConsistency(size1, size2, proof, root1, root2), `${size1} → ${size2}`);
        assert.ok(!verifyConsistency(size1, size2, proof, flipped(root1, random(256)), root2));
        assert.ok(!verifyConsistency(size1, size2, proof, root1, flipped(root2, random(256))));
        proof.forEach((_, i) => {
          const bad = proof.map((p, j) => (j === i ? flipped(p, random(256)) : p));
          assert.ok(
            !verifyConsistency(size1, size2, bad, root1, root2),
            `bit in hash ${i} of ${size1} → ${size2}`,
          );
        });
      }
    }
  });
});
