import { invalidParameter, TrailkeepError } from '../../core/errors.js';
import { originOf } from '../../core/log/checkpoint.js';
import { consistencyProof, HASH_BYTES, inclusionProof, type NodeSource } from '../../core/log/merkle.js';
import type { Verifier } from '../../core/log/note.js';
import {
  hashesAtLevel,
  MissingTile,
  TILE_WIDTH,
  tileKey,
  tileLevels,
  tileNodes,
  tilesNeeded,
} from '../../core/log/tiles.js';
import type { EventFilter } from '../../core/query.js';
import type { CheckpointRange, LogStore, StoredCheckpoint } from '../../store/types.js';
import type { EventService } from '../events.js';

/** An inclusion proof as the API answers it (RFC 6962 audit path, nearest sibling first). */
export interface InclusionProof {
  leaf_index: number;
  tree_size: number;
  hashes: string[];
}

/**
 * Full tiles above level 0 whose levels are kept (tileLevels): at 1,000,000 events every proof
 * of a tenant passes through the same 16, and a full tile never changes, so their nodes are
 * hashed once instead of up to 247 times a proof. About 16 KiB each; the least recently used go.
 */
const KEPT_TILES = 1024;

const noCheckpoint = () =>
  new TrailkeepError(
    'not_found',
    'The log has no checkpoint yet: it has no events, or the first are being signed.',
  );

/**
 * Reading a tenant's log: its key, checkpoints, tiles, entry bundles and proofs. Everything
 * served is bounded by the tenant's latest checkpoint, so a client never sees a tile or proof
 * of a tree no checkpoint vouches for.
 */
export class LogService {
  private readonly kept = new Map<string, Buffer[]>();

  constructor(
    private readonly log: LogStore,
    private readonly events: Pick<EventService, 'get'>,
    readonly verifier: Verifier,
  ) {}

  origin(tenant: string): string {
    return originOf(this.verifier.name, tenant);
  }

  async latest(tenant: string): Promise<StoredCheckpoint> {
    const latest = await this.log.latest(tenant);
    if (!latest) throw noCheckpoint();
    return latest;
  }

  checkpoints(tenant: string, range: CheckpointRange): Promise<StoredCheckpoint[]> {
    return this.log.checkpoints(tenant, range);
  }

  /** A hash tile of `width` hashes, within the latest checkpoint's tree; 404 beyond it. */
  async tile(tenant: string, level: number, index: number, width: number): Promise<Buffer> {
    const { size } = await this.latest(tenant);
    if (index * TILE_WIDTH + width > hashesAtLevel(size, level)) {
      throw new TrailkeepError(
        'not_found',
        `Tile ${level}/${index} of width ${width} is beyond the latest checkpoint (size ${size}).`,
      );
    }
    const hashes = (await this.log.tiles(tenant, [{ level, index }])).get(tileKey(level, index));
    if (!hashes || hashes.length < width * HASH_BYTES) {
      // Within the signed tree every tile is stored; one missing is damage the self-check reports.
      throw new TrailkeepError('not_found', `Tile ${level}/${index} of width ${width} is not stored.`);
    }
    return hashes.subarray(0, width * HASH_BYTES);
  }

  /** An entry bundle: each entry (an event's 32 hash bytes) after its length, a big-endian uint16. */
  async entries(tenant: string, index: number, width: number): Promise<Buffer> {
    const { size } = await this.latest(tenant);
    const first = index * TILE_WIDTH + 1;
    if (first - 1 + width > size) {
      throw new TrailkeepError(
        'not_found',
        `Entry bundle ${index} of width ${width} is beyond the latest checkpoint (size ${size}).`,
      );
    }
    const rows = await this.log.leaves(tenant, first, first + width - 1);
    const out = Buffer.alloc(width * (2 + HASH_BYTES));
    rows.forEach((row, i) => {
      out.writeUInt16BE(HASH_BYTES, i * (2 + HASH_BYTES));
      out.write(row.hash, i * (2 + HASH_BYTES) + 2, 'hex');
    });
    return out.subarray(0, rows.length * (2 + HASH_BYTES));
  }

  /**
   * The seq of an event named by seq or client id (404 when there is none, or when `within`, a
   * viewer token's narrowing, does not select it).
   */
  async seqOf(tenant: string, idOrSeq: string, within?: EventFilter): Promise<number> {
    return (JSON.parse(await this.events.get(tenant, idOrSeq, within)) as { seq: number }).seq;
  }

  /** The audit path of event `seq` in the tree of `treeSize` (the latest checkpoint's by default). */
  async inclusion(tenant: string, seq: number, treeSize?: number): Promise<InclusionProof> {
    const size = treeSize ?? (await this.latest(tenant)).size;
    if (seq > size) invalidParameter('seq', `is ${seq}, beyond the tree size ${size}.`, 'query.seq');
    const asked = treeSize === undefined ? null : { size, name: 'tree_size' };
    const hashes = await this.withNodes(tenant, asked, (node) => inclusionProof(seq - 1, size, node));
    return { leaf_index: seq - 1, tree_size: size, hashes: hashes.map((h) => h.toString('base64')) };
  }

  /** The proof that the tree of `to` extends the tree of `from`. */
  async consistency(tenant: string, from: number, to?: number): Promise<{ hashes: string[] }> {
    const size = to ?? (await this.latest(tenant)).size;
    if (from > size) invalidParameter('from', `is ${from}, larger than to (${size}).`, 'query.from');
    const asked = to === undefined ? null : { size, name: 'to' };
    const hashes = await this.withNodes(tenant, asked, (node) => consistencyProof(from, size, node));
    return { hashes: hashes.map((h) => h.toString('base64')) };
  }

  /** Refuses a size beyond the latest checkpoint's. */
  private async sizeWithin(tenant: string, asked: number, name: string): Promise<void> {
    const { size } = await this.latest(tenant);
    if (asked > size)
      invalidParameter(name, `is ${asked}, beyond the latest checkpoint's size ${size}.`, `query.${name}`);
  }

  /** A full tile's levels, kept for the tiles above level 0 (level-0 tiles are many, and each proof reads another). */
  private levels(tenant: string, level: number, index: number, hashes: Buffer): Buffer[] | null {
    if (level === 0) return null;
    const key = `${tenant}\n${tileKey(level, index)}`;
    let levels = this.kept.get(key);
    if (levels) this.kept.delete(key);
    else levels = tileLevels(hashes);
    this.kept.set(key, levels);
    if (this.kept.size > KEPT_TILES) this.kept.delete(this.kept.keys().next().value as string);
    return levels;
  }

  /**
   * Runs a proof over the stored tiles: the tiles it reads are found first and fetched in one
   * read. `asked` is a tree size the client named, not yet held against the latest checkpoint:
   * tiles are written in the transaction that records the checkpoint covering them, so a tree
   * within the latest checkpoint finds every tile it needs, and one beyond it misses one. The
   * latest checkpoint is read only then (or when the proof needs no tile), which spares an
   * auditor's request, which names the size of the checkpoint it holds, a round trip.
   */
  private async withNodes<T>(
    tenant: string,
    asked: { size: number; name: string } | null,
    compute: (node: NodeSource) => T,
  ): Promise<T> {
    const needed = tilesNeeded(compute);
    if (asked && needed.length === 0) await this.sizeWithin(tenant, asked.size, asked.name);
    const tiles = await this.log.tiles(tenant, needed);
    try {
      return compute(tileNodes(tiles, (level, index, hashes) => this.levels(tenant, level, index, hashes)));
    } catch (err) {
      if (!(err instanceof MissingTile)) throw err;
      if (asked) await this.sizeWithin(tenant, asked.size, asked.name);
      // Within the signed tree every tile is stored; one missing is damage the self-check reports.
      throw new TrailkeepError(
        'not_found',
        `Tile ${err.level}/${err.index} is not stored: the proof cannot be made.`,
      );
    }
  }
}
