import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { verifyEvent } from '../../src/core/event/seal.js';
import { createTestDatabase } from '../helpers/pg.js';
import { Cluster, call, makeEvents, type Node, sleep, tenantWithKey, waitFor, within } from './nodes.js';

const EVENTS = 12_000;
const BATCH = 500;
const LEASE_S = 2;

interface JobRow {
  state: string;
  attempts: number;
  lease_owner: string | null;
  rows: string | null;
}

/**
 * A node dies (SIGKILL) in the middle of an export; another node finishes it once the lease
 * has lapsed, exactly once, and serves the download.
 *
 * To kill node A while its job is running without depending on timing, the test holds a SHARE
 * lock on `export_chunks` (reads pass, inserts wait) from its own connection: A leases the job,
 * reads the first page of events and blocks storing the first chunk of its file. The test sees
 * that wait in pg_stat_activity, kills A, and releases the lock. Nothing in src/ knows about it.
 */
describe('postgres: a job whose node is killed is completed by another node', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let cluster: Cluster;
  let db: pg.Client | undefined;

  before(async () => {
    database = await createTestDatabase();
    cluster = new Cluster({
      TRAILKEEP_DB: database.url,
      TRAILKEEP_JOB_WORKERS: '1',
      TRAILKEEP_JOB_LEASE: String(LEASE_S),
    });
  });

  after(async () => {
    cluster?.killAll();
    await db?.end().catch(() => {});
    await database?.drop();
  });

  it('takes the job over after the lease lapses: attempts 2, succeeded, one published file, served by the survivor', async () => {
    const a = await cluster.start();
    const key = await tenantWithKey(a.url, 'acme');
    const writers = Array.from({ length: 4 }, async (_, w) => {
      for (let i = w; i < EVENTS / BATCH; i += 4) {
        const res = await call(a.url, key, 'POST', '/v1/events', { events: makeEvents(BATCH, `b${i}`) });
        assert.equal(res.status, 201, await res.text());
      }
    });
    await within(Promise.all(writers), 60_000, 'ingesting the export input');

    db = new pg.Client({ connectionString: database.url, application_name: 'takeover-test' });
    await db.connect();
    const job = async (id: string) =>
      (
        await (db as pg.Client).query<JobRow>(
          'SELECT state, attempts, lease_owner, rows FROM jobs WHERE id = $1',
          [id],
        )
      ).rows[0];

    await db.query('BEGIN');
    await db.query('LOCK TABLE export_chunks IN SHARE MODE');
    const created = await call(a.url, key, 'POST', '/v1/exports', { format: 'ndjson', filters: {} });
    const createdText = await created.text();
    assert.equal(created.status, 202, createdText);
    const { id } = JSON.parse(createdText) as { id: string };

    // A leases it (its worker's names start with host:pid), reads events, then waits to store a chunk.
    const ownerA = `${hostname()}:${a.pid}:`;
    await waitFor(
      'node A to lease the job',
      async () => {
        const j = await job(id);
        return j?.state === 'running' && j.lease_owner?.startsWith(ownerA) ? j : undefined;
      },
      10_000,
    );
    await waitFor(
      "A's export to wait on the lock with its first chunk",
      async () => {
        // pg_locks, not pg_stat_activity's query: the insert waits while being parsed, before
        // its text is reported.
        const { rows } = await (db as pg.Client).query(
          `SELECT 1 FROM pg_locks l JOIN pg_stat_activity a USING (pid)
           WHERE NOT l.granted AND l.relation = 'export_chunks'::regclass AND l.mode = 'RowExclusiveLock'
             AND a.application_name = 'trailkeep'`,
        );
        return rows.length > 0 ? true : undefined;
      },
      10_000,
    );

    // B comes up while A is alive: A keeps renewing, so B must not take the job.
    const b = await cluster.start();
    await sleep(LEASE_S * 1000 + 500);
    const held = await job(id);
    assert.equal(held?.attempts, 1, 'a live lease is not taken over');
    assert.ok(held?.lease_owner?.startsWith(ownerA));

    a.child.kill('SIGKILL');
    assert.equal(await within(a.exited, 10_000, 'A to die'), 'SIGKILL');
    await db.query('ROLLBACK');

    const ownerB = `${hostname()}:${b.pid}:`;
    const done = await waitFor(
      'the job to succeed on B',
      async () => {
        const j = await job(id);
        if (j?.state === 'failed' || j?.state === 'cancelled') throw new Error(`job ended ${j.state}`);
        return j?.state === 'succeeded' ? j : undefined;
      },
      20_000,
    );
    assert.equal(done.attempts, 2);
    assert.equal(Number(done.rows), EVENTS);

    // Exactly one run finished it, B's; A's log shows it started attempt 1 and nothing more.
    const ofJob = (n: Node, msg: string) => n.logs().filter((l) => l.job === id && l.msg === msg);
    assert.deepEqual(
      ofJob(a, 'job started').map((l) => l.attempt),
      [1],
    );
    assert.equal(ofJob(a, 'job finished').length, 0);
    assert.deepEqual(
      ofJob(b, 'job started').map((l) => [l.attempt, String(l.worker).startsWith(ownerB)]),
      [[2, true]],
    );
    // The state is committed before B logs it; the line reaches us through B's stdout.
    const finished = await waitFor(
      "B's log line for the finished job",
      async () => (ofJob(b, 'job finished').length > 0 ? ofJob(b, 'job finished') : undefined),
      5_000,
    );
    assert.deepEqual(
      finished.map((l) => [l.state, l.rows]),
      [['succeeded', EVENTS]],
    );

    // One published file: attempt 2's. A's blocked chunk insert may still have landed after it
    // died; unpublished, it is never served, and the job's expiry sweep deletes it.
    const published = await db.query<{ attempt: number }>(
      'SELECT attempt FROM export_files WHERE job_id = $1',
      [id],
    );
    assert.deepEqual(
      published.rows.map((r) => r.attempt),
      [2],
    );

    const view = await call(b.url, key, 'GET', `/v1/exports/${id}`);
    assert.equal(view.status, 200);
    const exported = (await view.json()) as { state: string; rows: number; download_url: string };
    assert.equal(exported.state, 'succeeded');
    assert.equal(exported.rows, EVENTS);
    assert.ok(exported.download_url.startsWith(b.url));
    const download = await fetch(exported.download_url, {
      headers: { authorization: `Bearer ${key}` },
      signal: AbortSignal.timeout(30_000),
    });
    assert.equal(download.status, 200);
    const lines = (await download.text()).trimEnd().split('\n');
    assert.equal(lines.length, EVENTS);
    lines.forEach((line, i) => {
      const event = JSON.parse(line) as Record<string, unknown>;
      assert.ok(verifyEvent(event), `line ${i + 1} verifies`);
    });
    const seqs = lines.map((l) => (JSON.parse(l) as { seq: number }).seq).sort((x, y) => x - y);
    assert.deepEqual(
      seqs,
      Array.from({ length: EVENTS }, (_, i) => i + 1),
    );
    assert.ok(b.alive());
  });
});
