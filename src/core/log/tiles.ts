import { HASH_BYTES, type Hash, type NodeSource, runRoot } from './merkle.js';

/**
 * C2SP tlog-tiles: the tree stored and served as tiles of height 8. A tile at level `L`, index
 * `N` holds the hashes of tree level 8·L with indexes N·256 … N·256+255 (fewer in a partial
 * tile at the right edge); level 0 tiles hold the leaf hashes. Every other node is computed
 * from the ≤ 128 hashes of one tile below it, so the tiles are the whole stored tree.
 */

export const TILE_HEIGHT = 8;
export const TILE_WIDTH = 2 ** TILE_HEIGHT;

/** A tile's place and how many hashes it has (TILE_WIDTH when full). */
export interface TileId {
  level: number;
  index: number;
  width: number;
}

/** A tile and its hashes, `width` × 32 bytes. */
export interface Tile extends TileId {
  hashes: Buffer;
}

/** The C2SP path element of a tile index: `x001/x234/067` for 1,234,067. */
export function encodeIndex(index: number): string {
  let digits = String(index);
  digits = digits.padStart(Math.ceil(digits.length / 3) * 3, '0');
  const groups = digits.match(/\d{3}/g) as string[];
  return groups.map((g, i) => (i < groups.length - 1 ? `x${g}` : g)).join('/');
}

/** The index an encoded path names, or null when it is not the one canonical encoding. */
function decodeIndex(text: string): number | null {
  if (!/^(?:x\d{3}\/)*\d{3}$/.test(text)) return null;
  const index = Number(text.replaceAll('x', '').replaceAll('/', ''));
  return Number.isSafeInteger(index) && encodeIndex(index) === text ? index : null;
}

/** `N` or `N.p/W`: an index and a width (partial widths 1–255; none is full). */
function decodeIndexAndWidth(text: string): { index: number; width: number } | null {
  const partial = /^(.*)\.p\/([1-9]\d{0,2})$/.exec(text);
  const index = decodeIndex(partial ? (partial[1] as string) : text);
  const width = partial ? Number(partial[2]) : TILE_WIDTH;
  if (index === null || width >= TILE_WIDTH + (partial ? 0 : 1)) return null;
  return { index, width };
}

/** A tile's path below `tile/`: `<L>/<N>[.p/<W>]`. */
export const tilePath = ({ level, index, width }: TileId): string =>
  `${level}/${encodeIndex(index)}${width < TILE_WIDTH ? `.p/${width}` : ''}`;

/** The tile a path below `tile/` names (`<L>/<N>[.p/<W>]`), or null when it names none. */
export function parseTilePath(path: string): TileId | null {
  const m = /^(\d{1,2})\/(.+)$/.exec(path);
  if (!m || String(Number(m[1])) !== m[1]) return null;
  const rest = decodeIndexAndWidth(m[2] as string);
  return rest ? { level: Number(m[1]), ...rest } : null;
}

/** The entry bundle a path below `tile/entries/` names (`<N>[.p/<W>]`), or null. */
export const parseEntriesPath = (path: string): { index: number; width: number } | null =>
  decodeIndexAndWidth(path);

/** The hash at `position` of a tile's hashes. */
export const hashAt = (hashes: Buffer, position: number): Hash =>
  hashes.subarray(position * HASH_BYTES, (position + 1) * HASH_BYTES);

/** The root of a power-of-two run of hashes, `count` of them from `start`. */
export const subtreeHash = (hashes: Buffer, start: number, count: number): Hash =>
  runRoot(hashes, start * HASH_BYTES, count);

/** Where a complete node's hashes are: the tile, and the run of its hashes inside it. */
export function nodeInTile(
  level: number,
  index: number,
): { level: number; index: number; start: number; count: number } {
  const tileLevel = Math.floor(level / TILE_HEIGHT);
  const count = 2 ** (level - tileLevel * TILE_HEIGHT);
  const first = index * count;
  return {
    level: tileLevel,
    index: Math.floor(first / TILE_WIDTH),
    start: first % TILE_WIDTH,
    count,
  };
}

/** How many hashes level-`level` tiles hold, all together, in a tree of `size` leaves. */
export const hashesAtLevel = (size: number, level: number): number => Math.floor(size / TILE_WIDTH ** level);

/** A node a computation needs is not in the tiles at hand: within a signed tree, damage. */
export class MissingTile extends Error {
  constructor(
    readonly level: number,
    readonly index: number,
    readonly node: string,
  ) {
    super(`tile ${level}/${index} lacks node ${node}`);
    this.name = 'MissingTile';
  }
}

/**
 * Every level of a full tile's subtrees: `levels[k]` holds its 256 / 2^k nodes of height k, end
 * to end (`levels[0]` is the tile itself). 255 hashes, once, instead of up to 247 per proof.
 */
export function tileLevels(hashes: Buffer): Buffer[] {
  const levels = [hashes];
  for (let below = hashes; below.length > HASH_BYTES; ) {
    const up = Buffer.allocUnsafe(below.length / 2);
    for (let i = 0; i < up.length / HASH_BYTES; i++)
      up.set(runRoot(below, i * 2 * HASH_BYTES, 2), i * HASH_BYTES);
    levels.push(up);
    below = up;
  }
  return levels;
}

/** A full tile's levels (tileLevels), kept by whoever reads many proofs; null to hash from the row. */
export type TileLevels = (level: number, index: number, hashes: Buffer) => Buffer[] | null;

/**
 * A NodeSource over tiles at hand, looked up by `tileKey`; throws MissingTile for a tile it
 * lacks. With `levels`, a node inside a full tile is read from that tile's kept levels.
 */
export function tileNodes(tiles: ReadonlyMap<string, Buffer>, levels?: TileLevels): NodeSource {
  return (level, index) => {
    const at = nodeInTile(level, index);
    const hashes = tiles.get(tileKey(at.level, at.index));
    if (!hashes || hashes.length < (at.start + at.count) * HASH_BYTES) {
      throw new MissingTile(at.level, at.index, `${level}/${index}`);
    }
    const kept =
      at.count > 1 && hashes.length === TILE_WIDTH * HASH_BYTES ? levels?.(at.level, at.index, hashes) : null;
    if (kept) return hashAt(kept[Math.log2(at.count)] as Buffer, at.start / at.count);
    return subtreeHash(hashes, at.start, at.count);
  };
}

export const tileKey = (level: number, index: number): string => `${level}/${index}`;

/**
 * The tiles a NodeSource-driven computation reads, found by running it once over placeholder
 * hashes: proofs and roots touch few nodes, and a store then fetches those tiles in one read.
 */
export function tilesNeeded(compute: (node: NodeSource) => unknown): { level: number; index: number }[] {
  const seen = new Map<string, { level: number; index: number }>();
  const placeholder = Buffer.alloc(HASH_BYTES);
  compute((level, index) => {
    const at = nodeInTile(level, index);
    seen.set(tileKey(at.level, at.index), { level: at.level, index: at.index });
    return placeholder;
  });
  return [...seen.values()];
}
