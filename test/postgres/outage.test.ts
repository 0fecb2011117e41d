import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { verifyEvent } from '../../src/core/event/seal.js';
import { startPostgres } from '../helpers/pg-server.js';
import { Cluster, call, makeEvents, type Node, sleep, tenantWithKey, waitFor, within } from './nodes.js';

const CLIENTS = 4;
const BATCH = 20;

interface Ack {
  id: string;
  seq: number;
}

/**
 * PostgreSQL stops under load and comes back. The node must answer every write it cannot
 * store with 503 + Retry-After (never a 500, never a 2xx that is not stored), report itself
 * unready, and recover by itself when the database returns: same process, same job worker.
 * This test runs its own PostgreSQL server, since it stops it.
 */
describe('postgres: the database stops and restarts under load', () => {
  let server: Awaited<ReturnType<typeof startPostgres>>;
  let url: string;
  let cluster: Cluster;

  before(async () => {
    server = await startPostgres();
    const admin = new pg.Client({ connectionString: server.url });
    await admin.connect();
    await admin.query('CREATE DATABASE outage');
    await admin.end();
    const u = new URL(server.url);
    u.pathname = '/outage';
    url = u.toString();
    cluster = new Cluster({ TRAILKEEP_DB: url, TRAILKEEP_JOB_WORKERS: '1', TRAILKEEP_JOB_LEASE: '2' });
  });

  after(async () => {
    cluster?.killAll();
    await server?.remove();
  });

  it('answers 503 with Retry-After while it is down, recovers alone, and loses or invents nothing', async (t) => {
    const node: Node = await cluster.start();
    const key = await tenantWithKey(node.url, 'acme');

    type Phase = 'up' | 'down' | 'back';
    let phase: Phase = 'up';
    let stop = false;
    const acks: Ack[] = [];
    const statuses: Record<Phase, Map<number, number>> = { up: new Map(), down: new Map(), back: new Map() };
    const tally = (p: Phase, status: number) => statuses[p].set(status, (statuses[p].get(status) ?? 0) + 1);
    const problems: string[] = [];
    const ackedIn: Record<Phase, number> = { up: 0, down: 0, back: 0 };

    /** Writes batches until told to stop, retrying each one after a 503 until it is acknowledged. */
    const writer = async (c: number) => {
      for (let b = 0; !stop; b++) {
        const events = makeEvents(BATCH, `c${c}b${b}`);
        for (let attempt = 0; ; attempt++) {
          if (attempt > 400) {
            problems.push(`batch c${c}b${b} not acknowledged after ${attempt} attempts`);
            return;
          }
          let res: Response;
          const before = phase;
          try {
            res = await call(node.url, key, 'POST', '/v1/events', { events });
          } catch (err) {
            problems.push(`request failed: ${(err as Error).message}`);
            return;
          }
          const p = phase;
          // Tallied for a phase only when the whole request fell inside it; handled regardless.
          if (p === before) tally(p, res.status);
          const text = await res.text();
          if (res.status === 201 || res.status === 200) {
            const body = JSON.parse(text) as { events: Ack[] };
            acks.push(...body.events);
            ackedIn[p] += body.events.length;
            break;
          }
          if (res.status === 503) {
            const retryAfter = res.headers.get('retry-after');
            if (!retryAfter || !/^\d+$/.test(retryAfter)) problems.push(`503 without Retry-After: ${text}`);
            if ((JSON.parse(text) as { error: { code: string } }).error.code !== 'unavailable') {
              problems.push(`503 that is not "unavailable": ${text}`);
            }
            await sleep(50);
            continue;
          }
          problems.push(`unexpected ${res.status}: ${text}`);
          return;
        }
      }
    };

    const ready: Record<Phase, Set<number>> = { up: new Set(), down: new Set(), back: new Set() };
    const readiness = async () => {
      while (!stop) {
        const before = phase;
        try {
          const res = await call(node.url, null, 'GET', '/readyz');
          await res.arrayBuffer();
          // Counted for a phase only when the whole request fell inside it.
          if (phase === before) ready[before].add(res.status);
        } catch (err) {
          problems.push(`/readyz failed: ${(err as Error).message}`);
          return;
        }
        await sleep(50);
      }
    };

    const load = Promise.all([...Array.from({ length: CLIENTS }, (_, c) => writer(c)), readiness()]);
    try {
      await waitFor('writes to flow', () => (acks.length >= 200 ? true : undefined), 15_000);

      await within(server.stop(), 15_000, 'PostgreSQL to stop');
      phase = 'down';
      await waitFor(
        'writes and /readyz to answer 503',
        () => ((statuses.down.get(503) ?? 0) >= 20 && ready.down.has(503) ? true : undefined),
        15_000,
      );
      await sleep(500);

      await within(server.start(), 30_000, 'PostgreSQL to start again');
      phase = 'back';
      await waitFor(
        'writes to succeed and /readyz to be 200 again',
        () => (ackedIn.back >= 200 && ready.back.has(200) ? true : undefined),
        20_000,
      );
      await sleep(300);
    } catch (err) {
      const seen = (m: Map<number, number>) => JSON.stringify([...m]);
      throw new Error(
        `${(err as Error).message}; writes ${seen(statuses.up)} ${seen(statuses.down)} ${seen(statuses.back)}, ` +
          `readyz ${[...ready.up]} ${[...ready.down]} ${[...ready.back]}, problems ${JSON.stringify(problems)}, ` +
          `node ${node.alive() ? 'alive' : 'dead'}\n${node.stderr()}\n${node
            .stdout()
            .split('\n')
            .filter((l) => /"level":[45]0/.test(l))
            .slice(-5)
            .join('\n')}`,
      );
    } finally {
      stop = true;
      await within(load, 30_000, 'the clients to finish their batches');
    }

    t.diagnostic(
      `writes by phase (status, count): up ${JSON.stringify([...statuses.up])}, down ${JSON.stringify([...statuses.down])}, back ${JSON.stringify([...statuses.back])}; ${acks.length} events acknowledged`,
    );
    assert.deepEqual(problems, []);
    assert.ok(node.alive(), 'the server process is still running');
    assert.deepEqual([...ready.down], [503], '/readyz answered 503 (only) while the database was down');
    assert.ok(ready.back.has(200));
    for (const p of ['up', 'down', 'back'] as const) {
      for (const status of statuses[p].keys()) {
        assert.ok([200, 201, 503].includes(status), `${p}: a write answered ${status}`);
      }
    }
    assert.ok((statuses.down.get(503) ?? 0) > 0);

    // Every acknowledged event is stored, under the seq it was acknowledged with; nothing else is.
    const db = new pg.Client({ connectionString: url });
    await db.connect();
    try {
      const { rows } = await db.query<{ seq: string; id: string; body: string }>(
        "SELECT seq, id, body FROM events WHERE tenant = 'acme' ORDER BY seq",
      );
      const acked = new Map(acks.map((a) => [a.id, a.seq]));
      assert.equal(rows.length, acked.size, 'exactly the acknowledged events are stored');
      rows.forEach((row, i) => {
        assert.equal(Number(row.seq), i + 1, 'seq is gapless');
        assert.equal(acked.get(row.id), Number(row.seq), `event ${row.id} stored as acknowledged`);
        assert.ok(verifyEvent(JSON.parse(row.body) as Record<string, unknown>));
      });
    } finally {
      await db.end();
    }

    // The job worker survived the outage: a job created now runs to completion.
    const created = await call(node.url, key, 'POST', '/v1/exports', { format: 'csv', filters: {} });
    const createdText = await created.text();
    assert.equal(created.status, 202, createdText);
    const { id } = JSON.parse(createdText) as { id: string };
    const done = await waitFor(
      'the export to finish',
      async () => {
        const job = (await (await call(node.url, key, 'GET', `/v1/exports/${id}`)).json()) as {
          state: string;
          rows: number;
        };
        return job.state === 'queued' || job.state === 'running' ? undefined : job;
      },
      20_000,
      100,
    );
    assert.deepEqual(done.state, 'succeeded');
    assert.equal(done.rows, new Set(acks.map((a) => a.id)).size);
    assert.ok(node.alive());
    assert.doesNotMatch(node.stdout(), /"level":50.*"msg":"request failed"/, 'no request failed with a 500');
  });
});
