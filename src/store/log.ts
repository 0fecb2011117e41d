import type { Tile } from '../core/log/tiles.js';

/** A signed checkpoint as kept. Every one is kept: auditors ask for earlier ones. */
export interface StoredCheckpoint {
  size: number;
  root: Buffer;
  /** The signed note (C2SP tlog-checkpoint text and its signature lines), as served. */
  note: string;
  created_at: number;
}

/** Which checkpoints to list: sizes and times are inclusive bounds; ascending by size. */
export interface CheckpointRange {
  minSize?: number;
  maxSize?: number;
  since?: number;
  until?: number;
  limit: number;
}

/** A range's bounds in the order the engines bind them, an absent bound wide open. */
export const rangeBounds = (r: CheckpointRange): [number, number, number, number, number] => [
  r.minSize ?? 0,
  r.maxSize ?? Number.MAX_SAFE_INTEGER,
  r.since ?? Number.MIN_SAFE_INTEGER,
  r.until ?? Number.MAX_SAFE_INTEGER,
  r.limit,
];

/** A signed checkpoint that extends a tenant's log from size `from`, with the tiles it changed. */
export interface LogExtension {
  tenant: string;
  from: number;
  tiles: Tile[];
  checkpoint: StoredCheckpoint;
}

/** What `LogStore.extend` did with one extension: recorded it, or nothing because another node went first. */
export type ExtendOutcome = 'extended' | 'raced';

/**
 * The tamper-evident log's storage (docs/log.md): the tiles of each tenant's Merkle tree and
 * its signed checkpoints. The leaves are the events' own hashes, read from the events.
 */
export interface LogStore {
  /** The stored `hash` of the tenant's events with seq `from`…`to`, in seq order; a missing seq is absent. */
  leaves(tenant: string, from: number, to: number): Promise<{ seq: number; hash: string }[]>;
  /** The stored events with seq `from`…`to` as stored (with their hash), in seq order; a missing seq is absent. */
  sealed(tenant: string, from: number, to: number): Promise<{ seq: number; body: string }[]>;
  /** The tenant's checkpoint with the largest size, or null before the first. */
  latest(tenant: string): Promise<StoredCheckpoint | null>;
  checkpoints(tenant: string, range: CheckpointRange): Promise<StoredCheckpoint[]>;
  /** Tiles by level and index, keyed `level/index` (core/log/tiles.ts tileKey); absent ones are left out. */
  tiles(tenant: string, ids: { level: number; index: number }[]): Promise<Map<string, Buffer>>;
  /** Tenants whose last seq is past their latest checkpoint (at most `limit`), and both sizes. */
  behind(limit: number): Promise<{ tenant: string; lastSeq: number; size: number }[]>;
  /**
   * Records each extension's checkpoint with its tiles if its tenant's latest checkpoint is
   * still of size `from`; otherwise (another node went first) writes nothing of it and answers
   * 'raced' for it. One transaction for all (a checkpoint round is one call), taken in order,
   * each check atomic with its writes; answers in the extensions' order. A tile is only ever
   * widened, never narrowed or rewritten at the same width.
   */
  extend(extensions: LogExtension[]): Promise<ExtendOutcome[]>;
}
