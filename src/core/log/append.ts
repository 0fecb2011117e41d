import { EMPTY_ROOT, type Hash, rootHash } from './merkle.js';
import { hashesAtLevel, nodeInTile, subtreeHash, TILE_WIDTH, type Tile } from './tiles.js';

/**
 * The right edge of a tree: its size and, per tile level, the hashes of the partial tile at the
 * edge (empty where the level's tiles are all full). It is all that appending needs: every
 * node left of it is complete and never changes.
 */
export interface Edge {
  size: number;
  tiles: Buffer[];
}

export const EMPTY_EDGE: Edge = { size: 0, tiles: [] };

/** The edge tile each level has at `size`: its index and width (0 when the level has none). */
export function edgeTiles(size: number): { level: number; index: number; width: number }[] {
  const out: { level: number; index: number; width: number }[] = [];
  for (let level = 0; hashesAtLevel(size, level) > 0; level++) {
    const n = hashesAtLevel(size, level);
    out.push({ level, index: Math.floor(n / TILE_WIDTH), width: n % TILE_WIDTH });
  }
  return out;
}

/** The root of the tree whose edge this is: every node of the root's decomposition lies in it. */
export function edgeRoot(edge: Edge): Hash {
  if (edge.size === 0) return EMPTY_ROOT;
  return rootHash(edge.size, (level, index) => {
    const at = nodeInTile(level, index);
    return subtreeHash(edge.tiles[at.level] as Buffer, at.start, at.count);
  });
}

/**
 * Appends leaf hashes to the tree at `edge`. Returns the tiles to write (each tile that changed,
 * with all its hashes: completed ones full, the new edge's partial), the new edge and the root.
 * A completed tile's root is the next level's new hash, so one pass up the levels does it all.
 */
export function appendLeaves(edge: Edge, leaves: Hash[]): { edge: Edge; writes: Tile[]; root: Hash } {
  const size = edge.size + leaves.length;
  const writes: Tile[] = [];
  const tiles: Buffer[] = [];
  let incoming: Buffer = Buffer.concat(leaves);
  for (let level = 0; hashesAtLevel(size, level) > 0; level++) {
    const old = edge.tiles[level] ?? Buffer.alloc(0);
    if (incoming.length === 0) {
      tiles.push(old);
      continue;
    }
    const all = Buffer.concat([old, incoming]);
    let index = Math.floor(hashesAtLevel(edge.size, level) / TILE_WIDTH);
    const above: Hash[] = [];
    const full = TILE_WIDTH * 32;
    let at = 0;
    for (; at + full <= all.length; at += full, index++) {
      const hashes = all.subarray(at, at + full);
      writes.push({ level, index, width: TILE_WIDTH, hashes });
      above.push(subtreeHash(hashes, 0, TILE_WIDTH));
    }
    const rest = all.subarray(at);
    if (rest.length > 0) writes.push({ level, index, width: rest.length / 32, hashes: rest });
    tiles.push(rest);
    incoming = Buffer.concat(above);
  }
  const next = { size, tiles };
  return { edge: next, writes, root: edgeRoot(next) };
}
