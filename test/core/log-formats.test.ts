import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { appendLeaves, type Edge, EMPTY_EDGE } from '../../src/core/log/append.js';
import { checkpointText, parseCheckpoint } from '../../src/core/log/checkpoint.js';
import { type Hash, inclusionProof, leafHash, rootHash, verifyInclusion } from '../../src/core/log/merkle.js';
import { generateSigner, openNote, parseSigner, parseVerifier, signNote } from '../../src/core/log/note.js';
import {
  encodeIndex,
  hashAt,
  parseEntriesPath,
  parseTilePath,
  TILE_WIDTH,
  tileKey,
  tileLevels,
  tileNodes,
  tilePath,
  tilesNeeded,
} from '../../src/core/log/tiles.js';
import { mth } from '../helpers/merkle.js';

describe('C2SP tile paths', () => {
  test('indexes in groups of three digits, all but the last prefixed with x', () => {
    assert.equal(encodeIndex(0), '000');
    assert.equal(encodeIndex(67), '067');
    assert.equal(encodeIndex(1000), 'x001/000');
    assert.equal(encodeIndex(1234067), 'x001/x234/067');
    assert.equal(tilePath({ level: 1, index: 1234067, width: TILE_WIDTH }), '1/x001/x234/067');
    assert.equal(tilePath({ level: 0, index: 5, width: 17 }), '0/005.p/17');
  });

  test('paths read back exactly; any other spelling names no tile', () => {
    assert.deepEqual(parseTilePath('0/000'), { level: 0, index: 0, width: 256 });
    assert.deepEqual(parseTilePath('2/x001/x234/067.p/255'), { level: 2, index: 1234067, width: 255 });
    assert.deepEqual(parseEntriesPath('x001/000.p/1'), { index: 1000, width: 1 });
    for (const bad of [
      '0/0',
      '0/00',
      '0/0000',
      '0/x000/067',
      '0/001/000',
      '0/x1/000',
      '0/000.p/0',
      '0/000.p/256',
      '0/000.p/05',
      '0/000.p/',
      '00/000',
      '/000',
      '0/-01',
      '0/000/',
      'a/000',
    ]) {
      assert.equal(parseTilePath(bad), null, bad);
    }
    assert.equal(parseEntriesPath('000.p/300'), null);
  });
});

describe('appending to a tiled tree', () => {
  const leaves = Array.from({ length: 70_000 }, (_, i) => leafHash(Buffer.from(`entry ${i}`)));

  test('batches of any size give the definition’s root, and the tiles hold every level', () => {
    const stored = new Map<string, Buffer>();
    let edge: Edge = EMPTY_EDGE;
    // Sizes that cross tile edges at level 0 and 1 (256 and 65,536 leaves).
    for (const batch of [1, 2, 253, 1, 255, 256, 700, 1, 65_000, 3_000, 531]) {
      const from = edge.size;
      const added = appendLeaves(edge, leaves.slice(from, from + batch));
      for (const w of added.writes) stored.set(tileKey(w.level, w.index), Buffer.from(w.hashes));
      edge = added.edge;
      assert.equal(edge.size, from + batch);
      assert.ok(added.root.equals(mth(leaves.slice(0, edge.size))), `root at ${edge.size}`);
    }
    const size = edge.size;
    // A level-0 tile is leaf hashes; a level-1 hash is the root of 256 leaves.
    assert.ok(hashAt(stored.get(tileKey(0, 3)) as Buffer, 5).equals(leaves[3 * 256 + 5] as Hash));
    assert.ok(hashAt(stored.get(tileKey(1, 0)) as Buffer, 2).equals(mth(leaves.slice(512, 768))));
    assert.equal(stored.get(tileKey(2, 0))?.length, 32);
    // Proofs and roots of any earlier size read from the tiles alone, hashing inside each tile
    // or reading every full tile's kept levels: the same nodes either way.
    const kept = new Map<string, Buffer[]>();
    const withLevels = tileNodes(stored, (level, index, hashes) => {
      const key = tileKey(level, index);
      if (!kept.has(key)) kept.set(key, tileLevels(hashes));
      return kept.get(key) as Buffer[];
    });
    for (const node of [tileNodes(stored), withLevels])
      for (const [index, treeSize] of [
        [0, 1],
        [255, 256],
        [256, 65_537],
        [69_999, size],
        [12_345, 40_000],
      ] as [number, number][]) {
        const root = mth(leaves.slice(0, treeSize));
        assert.ok(rootHash(treeSize, node).equals(root));
        const proof = inclusionProof(index, treeSize, node);
        assert.ok(
          verifyInclusion(index, treeSize, leaves[index] as Hash, proof, root),
          `${index} in ${treeSize}`,
        );
        const needed = tilesNeeded((n) => inclusionProof(index, treeSize, n));
        assert.ok(needed.length >= (treeSize > 1 ? 1 : 0) && needed.length <= 4, `${needed.length} tiles`);
      }
    assert.ok(kept.size > 0, 'full tiles were read from their levels');
    // Each level of a full tile is the roots of its pairs below.
    const levels = tileLevels(stored.get(tileKey(0, 3)) as Buffer);
    assert.deepEqual(
      levels.map((l) => l.length / 32),
      [256, 128, 64, 32, 16, 8, 4, 2, 1],
    );
    assert.ok((levels[8] as Buffer).equals(mth(leaves.slice(768, 1024))));
    assert.ok(hashAt(levels[3] as Buffer, 5).equals(mth(leaves.slice(768 + 40, 768 + 48))));
  });
});

describe('signed notes and checkpoints', () => {
  // The example of Go's golang.org/x/mod/sumdb/note, the reference implementation: Ed25519 is
  // deterministic, so the same key must give the same bytes.
  const GO_SIGNER = 'PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz';
  const GO_VERIFIER = 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW';
  const GO_TEXT =
    "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
  const GO_NOTE = `${GO_TEXT}\n— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n`;

  test('signs and names keys exactly as the reference implementation does', () => {
    const signer = parseSigner(GO_SIGNER);
    assert.ok(signer);
    assert.equal(signer.text, GO_VERIFIER);
    assert.equal(signer.secret, GO_SIGNER);
    assert.equal(signNote(GO_TEXT, signer), GO_NOTE);
    const verifier = parseVerifier(GO_VERIFIER);
    assert.ok(verifier);
    assert.equal(openNote(GO_NOTE, verifier), GO_TEXT);
  });

  test('an edited text, another key, a bad key string or a mangled signature does not open', () => {
    const verifier = parseVerifier(GO_VERIFIER);
    assert.ok(verifier);
    assert.equal(openNote(GO_NOTE.replace('cryptography', 'Cryptography'), verifier), null);
    assert.equal(openNote(GO_NOTE.replace('x08go', 'x08gp'), verifier), null);
    assert.equal(openNote(GO_TEXT, verifier), null);
    const other = generateSigner('PeterNeumann');
    assert.equal(openNote(signNote(GO_TEXT, other), verifier), null, 'same name, another key');
    assert.equal(parseVerifier(GO_VERIFIER.replace('c74f20a3', 'c74f20a4')), null, 'id not of the key');
    assert.equal(parseVerifier('PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10T'), null);
    assert.equal(parseSigner(GO_VERIFIER), null);
    assert.throws(() => generateSigner('two words'));
  });

  test('a generated key signs checkpoints that read back; another origin is another log', () => {
    const signer = generateSigner('trailkeep.example');
    assert.match(signer.text, /^trailkeep\.example\+[0-9a-f]{8}\+[A-Za-z0-9+/]{44}$/);
    assert.equal(parseSigner(signer.secret)?.text, signer.text);
    const root = leafHash(Buffer.from('x'));
    const text = checkpointText({ origin: 'trailkeep.example/acme', size: 42, root });
    assert.equal(text, `trailkeep.example/acme\n42\n${root.toString('base64')}\n`);
    const opened = openNote(signNote(text, signer), signer);
    assert.deepEqual(parseCheckpoint(opened as string), { origin: 'trailkeep.example/acme', size: 42, root });
    for (const bad of [
      'a\n042\nroot\n',
      `a\n1\n${root.toString('base64')}`,
      `\n1\n${root.toString('base64')}\n`,
      'a\n1\nAAAA\n',
    ]) {
      assert.equal(parseCheckpoint(bad), null, JSON.stringify(bad));
    }
  });
});
