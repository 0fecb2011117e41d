import type { Job, JobAdmitted, JobStore } from '../types.js';
import { type Db, run } from './db.js';

const COLS =
  'id, tenant, kind, state, params, created_at, started_at, finished_at, expires_at, rows, snapshot_seq, error, attempts, lease_owner, lease_until';

/**
 * Jobs on PostgreSQL. Leasing takes the oldest runnable row with FOR UPDATE SKIP LOCKED, so
 * workers on any number of nodes each get a different job without waiting on one another.
 */
export function pgJobs(db: Db): JobStore {
  const one = async (sql: string, params: unknown[]) => (await db.query<Job>(sql, params))[0] ?? null;
  return {
    create({ id, tenant, kind, params }, now, rules) {
      return db.tx(async (client): Promise<JobAdmitted> => {
        // Serialises this tenant's job creations on every node, without touching ingest.
        await run(client, "SELECT pg_advisory_xact_lock(hashtext('trailkeep:jobs:' || $1))", [tenant]);
        if (rules.spacedSince !== undefined) {
          const [latest] = await run<{ at: number | null }>(
            client,
            'SELECT max(created_at) AS at FROM jobs WHERE tenant = $1 AND kind = $2',
            [tenant, kind],
          );
          if (latest?.at != null && latest.at >= rules.spacedSince) return { blockedBy: Number(latest.at) };
        }
        const [count] = await run<{ n: number }>(
          client,
          "SELECT count(*)::int AS n FROM jobs WHERE tenant = $1 AND state IN ('queued', 'running')",
          [tenant],
        );
        const n = count?.n ?? 0;
        if (n >= rules.maxActive) return { active: n };
        const [job] = await run<Job>(
          client,
          `INSERT INTO jobs (tenant, id, kind, state, params, created_at) VALUES ($1, $2, $3, 'queued', $4, $5)
           RETURNING ${COLS}`,
          [tenant, id, kind, JSON.stringify(params), now],
        );
        return { job: job as Job };
      });
    },
    get(tenant, id) {
      return one(`SELECT ${COLS} FROM jobs WHERE tenant = $1 AND id = $2`, [tenant, id]);
    },
    lease(owner, now, leaseMs) {
      return one(
        `UPDATE jobs SET state = 'running', lease_owner = $1, lease_until = $2, attempts = attempts + 1,
           started_at = coalesce(started_at, $3)
         WHERE (tenant, id) = (
           SELECT tenant, id FROM jobs
           WHERE state = 'queued' OR (state = 'running' AND lease_until < $3)
           ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED)
         RETURNING ${COLS}`,
        [owner, now + leaseMs, now],
      );
    },
    async renew(id, owner, until) {
      const rows = await db.query(
        `UPDATE jobs SET lease_until = $1 WHERE id = $2 AND lease_owner = $3 AND state = 'running' RETURNING id`,
        [until, id, owner],
      );
      return rows.length > 0;
    },
    async finish(id, owner, o) {
      const rows = await db.query(
        `UPDATE jobs SET state = $1, rows = $2, snapshot_seq = $3, error = $4, finished_at = $5, expires_at = $6,
           lease_owner = NULL, lease_until = NULL
         WHERE id = $7 AND lease_owner = $8 AND state = 'running' RETURNING id`,
        [
          o.state,
          o.rows ?? null,
          o.snapshot_seq ?? null,
          o.error ?? null,
          o.finished_at,
          o.expires_at,
          id,
          owner,
        ],
      );
      return rows.length > 0;
    },
    async cancel(tenant, id, now, expiresAt) {
      await db.query(
        `UPDATE jobs SET state = 'cancelled', finished_at = $1, expires_at = $2, lease_owner = NULL, lease_until = NULL
         WHERE tenant = $3 AND id = $4 AND state IN ('queued', 'running')`,
        [now, expiresAt, tenant, id],
      );
      return one(`SELECT ${COLS} FROM jobs WHERE tenant = $1 AND id = $2`, [tenant, id]);
    },
    expired(now, limit) {
      return db.query<Job>(
        `SELECT ${COLS} FROM jobs WHERE expires_at IS NOT NULL AND expires_at < $1 ORDER BY expires_at LIMIT $2`,
        [now, limit],
      );
    },
    async delete(tenant, id) {
      await db.query('DELETE FROM jobs WHERE tenant = $1 AND id = $2', [tenant, id]);
    },
  };
}
