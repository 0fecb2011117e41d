import { tileKey } from '../../core/log/tiles.js';
import {
  type CheckpointRange,
  type ExtendOutcome,
  type LogExtension,
  type LogStore,
  rangeBounds,
  type StoredCheckpoint,
} from '../log.js';
import type { Db } from './db.js';

const CHECKPOINT = 'size, root, note, created_at';

/** Widens a tile, never narrows it: a node that signed a smaller tree cannot shrink a larger one's tile. */
const PUT_TILE = `INSERT INTO log_tiles (tenant, level, idx, hashes) VALUES (?, ?, ?, ?)
  ON CONFLICT (tenant, level, idx) DO UPDATE SET hashes = excluded.hashes
  WHERE length(excluded.hashes) > length(log_tiles.hashes)`;

/**
 * LogStore.extend's writes: each extension whose tenant's latest checkpoint is still of size
 * `from` is recorded with its tiles. The caller runs it inside a write transaction: on a file,
 * the writer thread's group commit (writer-thread.ts), which holds SQLite's write lock from the
 * first size check to the commit, so two servers on one file cannot both extend from one size.
 */
export type Extender = (extensions: LogExtension[]) => ExtendOutcome[];

export function extender(db: Db): Extender {
  const latest = db.prepare<[string], { size: number }>(
    'SELECT size FROM log_checkpoints WHERE tenant = ? ORDER BY size DESC LIMIT 1',
  );
  const putTile = db.prepare(PUT_TILE);
  const putCheckpoint = db.prepare(
    'INSERT INTO log_checkpoints (tenant, size, root, note, created_at) VALUES (?, ?, ?, ?, ?)',
  );
  return (extensions) =>
    extensions.map(({ tenant, from, tiles, checkpoint: cp }) => {
      if ((latest.get(tenant)?.size ?? 0) !== from) return 'raced';
      for (const t of tiles) putTile.run(tenant, t.level, t.index, t.hashes);
      putCheckpoint.run(tenant, cp.size, cp.root, cp.note, cp.created_at);
      return 'extended';
    });
}

/**
 * The log on SQLite. Reads run on `db`; `extend` is the store's writer (writer.ts), so the
 * log's writes queue with the event appends instead of waiting for the write lock here.
 */
export function sqliteLog(db: Db, extend: LogStore['extend']): LogStore {
  const leaves = db.prepare<[string, number, number], { seq: number; hash: string }>(
    'SELECT seq, hash FROM events INDEXED BY events_seq WHERE tenant = ? AND seq BETWEEN ? AND ? ORDER BY seq',
  );
  const sealed = db.prepare<[string, number, number], { seq: number; body: string }>(
    'SELECT seq, body FROM events INDEXED BY events_seq WHERE tenant = ? AND seq BETWEEN ? AND ? ORDER BY seq',
  );
  const latest = db.prepare<[string], StoredCheckpoint>(
    `SELECT ${CHECKPOINT} FROM log_checkpoints WHERE tenant = ? ORDER BY size DESC LIMIT 1`,
  );
  const listed = db.prepare<[string, number, number, number, number, number], StoredCheckpoint>(
    `SELECT ${CHECKPOINT} FROM log_checkpoints
     WHERE tenant = ? AND size BETWEEN ? AND ? AND created_at BETWEEN ? AND ? ORDER BY size LIMIT ?`,
  );
  const tile = db.prepare<[string, number, number], { hashes: Buffer }>(
    'SELECT hashes FROM log_tiles WHERE tenant = ? AND level = ? AND idx = ?',
  );
  const behind = db.prepare<[number], { tenant: string; lastSeq: number; size: number }>(
    `SELECT tenant, lastSeq, size FROM (
       SELECT t.id AS tenant, t.last_seq AS lastSeq,
         coalesce((SELECT max(size) FROM log_checkpoints c WHERE c.tenant = t.id), 0) AS size
       FROM tenants t WHERE t.last_seq > 0)
     WHERE lastSeq > size LIMIT ?`,
  );
  return {
    async leaves(tenant, from, to) {
      return leaves.all(tenant, from, to);
    },
    async sealed(tenant, from, to) {
      return sealed.all(tenant, from, to);
    },
    async latest(tenant) {
      return latest.get(tenant) ?? null;
    },
    async checkpoints(tenant, range: CheckpointRange) {
      return listed.all(tenant, ...rangeBounds(range));
    },
    async tiles(tenant, ids) {
      const out = new Map<string, Buffer>();
      for (const { level, index } of ids) {
        const row = tile.get(tenant, level, index);
        if (row) out.set(tileKey(level, index), row.hashes);
      }
      return out;
    },
    async behind(limit) {
      return behind.all(limit);
    },
    extend,
  };
}
