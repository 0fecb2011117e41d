import { outcomeValues } from '../job-outcome.js';
import type { ExportUsage, Job, JobAdmitted, JobFinished, JobStore } from '../types.js';
import { type Db, type Queryable, run } from './db.js';

const COLS =
  'id, tenant, kind, state, params, created_at, started_at, finished_at, expires_at, rows, snapshot_seq, error, bytes, attempts, lease_owner, lease_until';

/** Serialises a tenant's job admissions and quota-checked finishes on every node, without touching ingest. */
const lockTenant = (client: Queryable, tenant: string) =>
  run(client, "SELECT pg_advisory_xact_lock(hashtext('trailkeep:jobs:' || $1))", [tenant]);

const USAGE = `SELECT count(*)::int AS files, coalesce(sum(bytes), 0)::bigint AS bytes FROM jobs
  WHERE tenant = $1 AND kind = 'export'
    AND (state IN ('queued', 'running') OR (state = 'succeeded' AND expires_at >= $2))`;

async function usageOf(client: Queryable, tenant: string, now: number): Promise<ExportUsage> {
  const [usage] = await run<ExportUsage>(client, USAGE, [tenant, now]);
  return usage ?? { files: 0, bytes: 0 };
}

/**
 * Jobs on PostgreSQL. Leasing takes its row with FOR UPDATE SKIP LOCKED, so workers on any
 * number of nodes each get a different job without waiting on one another.
 */
export function pgJobs(db: Db): JobStore {
  const one = async (sql: string, params: unknown[]) => (await db.query<Job>(sql, params))[0] ?? null;
  return {
    create({ id, tenant, kind, params }, now, rules) {
      return db.tx(async (client): Promise<JobAdmitted> => {
        await lockTenant(client, tenant);
        if (kind === 'export' && (rules.maxExports !== undefined || rules.maxExportBytes !== undefined)) {
          const exports = await usageOf(client, tenant, now);
          if (rules.maxExports !== undefined && exports.files >= rules.maxExports) {
            return { exports, over: 'files' };
          }
          if (rules.maxExportBytes !== undefined && exports.bytes >= rules.maxExportBytes) {
            return { exports, over: 'bytes' };
          }
        }
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
    async exportUsage(tenant, now) {
      return (await db.query<ExportUsage>(USAGE, [tenant, now]))[0] ?? { files: 0, bytes: 0 };
    },
    lease(owner, now, leaseMs) {
      // Fair across tenants (types.ts): a tenant's running jobs are those whose lease is live;
      // its last start is the latest started_at of any of its jobs (0 for a tenant never served).
      return one(
        `UPDATE jobs SET state = 'running', lease_owner = $1, lease_until = $2, attempts = attempts + 1,
           started_at = coalesce(started_at, $3)
         WHERE (tenant, id) = (
           SELECT j.tenant, j.id FROM jobs j
           WHERE j.state = 'queued' OR (j.state = 'running' AND j.lease_until < $3)
           ORDER BY
             (SELECT count(*) FROM jobs r
              WHERE r.tenant = j.tenant AND r.state = 'running' AND r.lease_until >= $3),
             (SELECT coalesce(max(s.started_at), 0) FROM jobs s WHERE s.tenant = j.tenant),
             j.created_at
           LIMIT 1 FOR UPDATE OF j SKIP LOCKED)
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
    finish(id, owner, o) {
      return db.tx(async (client): Promise<JobFinished> => {
        const [job] = await run<{ tenant: string }>(
          client,
          "SELECT tenant FROM jobs WHERE id = $1 AND lease_owner = $2 AND state = 'running'",
          [id, owner],
        );
        if (!job) return 'fenced';
        if (o.bytes !== undefined && o.maxKeptBytes !== undefined) {
          // Under the tenant's lock, the sum sees every finish and admission committed before.
          // This job is running, so its own bytes are not in it yet.
          await lockTenant(client, job.tenant);
          const { bytes } = await usageOf(client, job.tenant, o.finished_at);
          if (bytes + o.bytes > o.maxKeptBytes) return 'over_quota';
        }
        const rows = await run(
          client,
          `UPDATE jobs SET state = $1, rows = $2, snapshot_seq = $3, error = $4, bytes = $5, finished_at = $6,
             expires_at = $7, lease_owner = NULL, lease_until = NULL
           WHERE id = $8 AND lease_owner = $9 AND state = 'running' RETURNING id`,
          [...outcomeValues(o), id, owner],
        );
        return rows.length > 0 ? 'recorded' : 'fenced';
      });
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
