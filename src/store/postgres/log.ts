import { tileKey } from '../../core/log/tiles.js';
import {
  type CheckpointRange,
  type ExtendOutcome,
  type LogStore,
  rangeBounds,
  type StoredCheckpoint,
} from '../log.js';
import { type Db, run } from './db.js';

const CHECKPOINT = 'size, root, note, created_at';
const LATEST = `SELECT ${CHECKPOINT} FROM log_checkpoints WHERE tenant = $1 ORDER BY size DESC LIMIT 1`;

/**
 * The log on PostgreSQL. Extending takes a per-tenant advisory lock, so nodes racing to sign
 * the next checkpoint take turns, and ingest (which locks the tenant row) never waits for it.
 */
export function pgLog(db: Db): LogStore {
  return {
    leaves(tenant, from, to) {
      return db.query<{ seq: number; hash: string }>(
        'SELECT seq, hash FROM events WHERE tenant = $1 AND seq BETWEEN $2 AND $3 ORDER BY seq',
        [tenant, from, to],
      );
    },
    sealed(tenant, from, to) {
      return db.query<{ seq: number; body: string }>(
        'SELECT seq, body FROM events WHERE tenant = $1 AND seq BETWEEN $2 AND $3 ORDER BY seq',
        [tenant, from, to],
      );
    },
    async latest(tenant) {
      return (await db.query<StoredCheckpoint>(LATEST, [tenant]))[0] ?? null;
    },
    checkpoints(tenant, range: CheckpointRange) {
      return db.query<StoredCheckpoint>(
        `SELECT ${CHECKPOINT} FROM log_checkpoints
         WHERE tenant = $1 AND size BETWEEN $2 AND $3 AND created_at BETWEEN $4 AND $5 ORDER BY size LIMIT $6`,
        [tenant, ...rangeBounds(range)],
      );
    },
    async tiles(tenant, ids) {
      const out = new Map<string, Buffer>();
      if (ids.length === 0) return out;
      const rows = await db.query<{ level: number; idx: number; hashes: Buffer }>(
        `SELECT t.level, t.idx, t.hashes FROM log_tiles t
         JOIN unnest($2::int[], $3::bigint[]) AS want(level, idx) ON t.level = want.level AND t.idx = want.idx
         WHERE t.tenant = $1`,
        [tenant, ids.map((i) => i.level), ids.map((i) => i.index)],
      );
      for (const r of rows) out.set(tileKey(r.level, r.idx), r.hashes);
      return out;
    },
    behind(limit) {
      return db.query<{ tenant: string; lastSeq: number; size: number }>(
        `SELECT tenant, "lastSeq", size FROM (
           SELECT t.id AS tenant, t.last_seq AS "lastSeq",
             coalesce((SELECT max(size) FROM log_checkpoints c WHERE c.tenant = t.id), 0) AS size
           FROM tenants t WHERE t.last_seq > 0) s
         WHERE "lastSeq" > size LIMIT $1`,
        [limit],
      );
    },
    async extend(extensions) {
      if (extensions.length === 0) return [];
      return db.tx(async (client) => {
        // Every tenant's lock before any check, in one order on every node, so two nodes
        // extending overlapping sets of tenants cannot wait for each other's locks.
        for (const tenant of [...new Set(extensions.map((e) => e.tenant))].sort()) {
          await run(client, "SELECT pg_advisory_xact_lock(hashtext('trailkeep:log:' || $1))", [tenant]);
        }
        const outcomes: ExtendOutcome[] = [];
        for (const { tenant, from, tiles, checkpoint: cp } of extensions) {
          const [latest] = await run<{ size: number }>(client, LATEST, [tenant]);
          if ((latest?.size ?? 0) !== from) {
            outcomes.push('raced');
            continue;
          }
          if (tiles.length > 0) {
            await run(
              client,
              `INSERT INTO log_tiles (tenant, level, idx, hashes)
               SELECT $1, * FROM unnest($2::int[], $3::bigint[], $4::bytea[])
               ON CONFLICT (tenant, level, idx) DO UPDATE SET hashes = EXCLUDED.hashes
               WHERE length(EXCLUDED.hashes) > length(log_tiles.hashes)`,
              [tenant, tiles.map((t) => t.level), tiles.map((t) => t.index), tiles.map((t) => t.hashes)],
            );
          }
          await run(
            client,
            'INSERT INTO log_checkpoints (tenant, size, root, note, created_at) VALUES ($1, $2, $3, $4, $5)',
            [tenant, cp.size, cp.root, cp.note, cp.created_at],
          );
          outcomes.push('extended');
        }
        return outcomes;
      });
    },
  };
}
