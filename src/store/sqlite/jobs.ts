import { outcomeValues } from '../job-outcome.js';
import type {
  ExportUsage,
  Job,
  JobAdmission,
  JobAdmitted,
  JobFinished,
  JobOutcome,
  JobStore,
} from '../types.js';
import type { Db } from './db.js';

interface JobRow extends Omit<Job, 'params'> {
  params: string;
}

const COLS =
  'id, tenant, kind, state, params, created_at, started_at, finished_at, expires_at, rows, snapshot_seq, error, bytes, attempts, lease_owner, lease_until';
const toJob = (row: JobRow | undefined): Job | null =>
  row ? { ...row, params: JSON.parse(row.params) as Record<string, unknown> } : null;

const RUNNABLE = "state = 'queued' OR (state = 'running' AND lease_until < @now)";

export function sqliteJobs(db: Db): JobStore {
  const insert = db.prepare(
    "INSERT INTO jobs (tenant, id, kind, state, params, created_at) VALUES (?, ?, ?, 'queued', ?, ?)",
  );
  const get = db.prepare<[string, string], JobRow>(`SELECT ${COLS} FROM jobs WHERE tenant = ? AND id = ?`);
  // Polling must not take the write lock while no job is waiting: the writer thread holds it
  // for every ingest commit, and a blocked poll would stall the event loop.
  const runnable = db.prepare<{ now: number }, { one: number }>(
    `SELECT 1 AS one FROM jobs WHERE ${RUNNABLE} LIMIT 1`,
  );
  // Fair across tenants (types.ts): a tenant's running jobs are those whose lease is live; its
  // last start is the latest started_at of any of its jobs (0 for a tenant never served).
  const lease = db.prepare<{ owner: string; until: number; now: number }, JobRow>(
    `UPDATE jobs SET state = 'running', lease_owner = @owner, lease_until = @until, attempts = attempts + 1,
       started_at = coalesce(started_at, @now)
     WHERE id = (SELECT j.id FROM jobs j
                 WHERE ${RUNNABLE}
                 ORDER BY
                   (SELECT count(*) FROM jobs r
                    WHERE r.tenant = j.tenant AND r.state = 'running' AND r.lease_until >= @now),
                   (SELECT coalesce(max(s.started_at), 0) FROM jobs s WHERE s.tenant = j.tenant),
                   j.created_at
                 LIMIT 1)
     RETURNING ${COLS}`,
  );
  const renew = db.prepare(
    "UPDATE jobs SET lease_until = ? WHERE id = ? AND lease_owner = ? AND state = 'running'",
  );
  const held = db.prepare<[string, string], { tenant: string }>(
    "SELECT tenant FROM jobs WHERE id = ? AND lease_owner = ? AND state = 'running'",
  );
  const finish = db.prepare(
    `UPDATE jobs SET state = ?, rows = ?, snapshot_seq = ?, error = ?, bytes = ?, finished_at = ?, expires_at = ?,
       lease_owner = NULL, lease_until = NULL
     WHERE id = ? AND lease_owner = ? AND state = 'running'`,
  );
  const cancel = db.prepare(
    `UPDATE jobs SET state = 'cancelled', finished_at = ?, expires_at = ?, lease_owner = NULL, lease_until = NULL
     WHERE tenant = ? AND id = ? AND state IN ('queued', 'running')`,
  );
  const expired = db.prepare<[number, number], JobRow>(
    `SELECT ${COLS} FROM jobs WHERE expires_at IS NOT NULL AND expires_at < ? ORDER BY expires_at LIMIT ?`,
  );
  const remove = db.prepare('DELETE FROM jobs WHERE tenant = ? AND id = ?');
  const latest = db.prepare<[string, string], { at: number | null }>(
    'SELECT max(created_at) AS at FROM jobs WHERE tenant = ? AND kind = ?',
  );
  const active = db.prepare<[string], { n: number }>(
    "SELECT count(*) AS n FROM jobs WHERE tenant = ? AND state IN ('queued', 'running')",
  );
  const usage = db.prepare<[string, number], ExportUsage>(
    `SELECT count(*) AS files, coalesce(sum(bytes), 0) AS bytes FROM jobs
     WHERE tenant = ? AND kind = 'export'
       AND (state IN ('queued', 'running') OR (state = 'succeeded' AND expires_at >= ?))`,
  );
  const usageOf = (tenant: string, now: number): ExportUsage =>
    usage.get(tenant, now) ?? { files: 0, bytes: 0 };

  const create = db.transaction(
    (
      job: { id: string; tenant: string; kind: string; params: Record<string, unknown> },
      now: number,
      rules: JobAdmission,
    ): JobAdmitted => {
      if (job.kind === 'export' && (rules.maxExports !== undefined || rules.maxExportBytes !== undefined)) {
        const exports = usageOf(job.tenant, now);
        if (rules.maxExports !== undefined && exports.files >= rules.maxExports)
          return { exports, over: 'files' };
        if (rules.maxExportBytes !== undefined && exports.bytes >= rules.maxExportBytes) {
          return { exports, over: 'bytes' };
        }
      }
      if (rules.spacedSince !== undefined) {
        const at = latest.get(job.tenant, job.kind)?.at ?? null;
        if (at !== null && at >= rules.spacedSince) return { blockedBy: at };
      }
      const n = active.get(job.tenant)?.n ?? 0;
      if (n >= rules.maxActive) return { active: n };
      insert.run(job.tenant, job.id, job.kind, JSON.stringify(job.params), now);
      return { job: toJob(get.get(job.tenant, job.id)) as Job };
    },
  );
  const finishTx = db.transaction((id: string, owner: string, o: JobOutcome): JobFinished => {
    const job = held.get(id, owner);
    if (!job) return 'fenced';
    if (o.bytes !== undefined && o.maxKeptBytes !== undefined) {
      // This job is running, so its own bytes are not in the sum yet.
      if (usageOf(job.tenant, o.finished_at).bytes + o.bytes > o.maxKeptBytes) return 'over_quota';
    }
    finish.run(...outcomeValues(o), id, owner);
    return 'recorded';
  });

  return {
    async create(job, now, rules) {
      return create.immediate(job, now, rules);
    },
    async get(tenant, id) {
      return toJob(get.get(tenant, id));
    },
    async exportUsage(tenant, now) {
      return usageOf(tenant, now);
    },
    async lease(owner, now, leaseMs) {
      if (!runnable.get({ now })) return null;
      return toJob(lease.get({ owner, until: now + leaseMs, now }));
    },
    async renew(id, owner, until) {
      return renew.run(until, id, owner).changes > 0;
    },
    async finish(id, owner, outcome) {
      return finishTx.immediate(id, owner, outcome);
    },
    async cancel(tenant, id, now, expiresAt) {
      cancel.run(now, expiresAt, tenant, id);
      return toJob(get.get(tenant, id));
    },
    async expired(now, limit) {
      return expired.all(now, limit).map((r) => toJob(r) as Job);
    },
    async delete(tenant, id) {
      remove.run(tenant, id);
    },
  };
}
