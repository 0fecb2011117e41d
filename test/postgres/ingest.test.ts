import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { verifyEvent } from '../../src/core/event/seal.js';
import { createTestDatabase } from '../helpers/pg.js';
import { Cluster, call, makeEvents, type Node, tenantWithKey, within } from './nodes.js';

const NODES = 2;
const CLIENTS_PER_NODE = 4;
const BATCHES_PER_CLIENT = 10;
const BATCH = 50;

interface Ack {
  id: string;
  seq: number;
  hash: string;
}

/**
 * Two `trailkeep serve` processes on one database, many clients writing to the same tenant
 * through both at once. The tenant row lock must make seq gapless and unique across nodes,
 * and every acknowledged event must be stored exactly once, sealed with a verifiable hash.
 */
describe('postgres: concurrent ingest into one tenant through two nodes', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let cluster: Cluster;
  let nodes: Node[] = [];

  before(async () => {
    database = await createTestDatabase();
    cluster = new Cluster({
      TRAILKEEP_DB: database.url,
      TRAILKEEP_JOB_WORKERS: '0',
    });
    nodes = await Promise.all(Array.from({ length: NODES }, () => cluster.start()));
  });

  after(async () => {
    cluster?.killAll();
    await database?.drop();
  });

  it('assigns seq 1..N with no gap or duplicate, stores every acknowledged event once, and every hash verifies', async () => {
    const [a, b] = nodes as [Node, Node];
    const key = await tenantWithKey(a.url, 'acme');
    const acks: Ack[] = [];
    /** Per acknowledged batch: which node took it and the seqs it got, in completion order. */
    const batches: { node: number; seqs: number[]; events: Record<string, unknown>[] }[] = [];

    const client = async (node: number, c: number) => {
      const url = (nodes[node] as Node).url;
      for (let i = 0; i < BATCHES_PER_CLIENT; i++) {
        const events = makeEvents(BATCH, `n${node}c${c}b${i}`);
        const res = await call(url, key, 'POST', '/v1/events', { events });
        const text = await res.text();
        assert.equal(res.status, 201, text);
        const body = JSON.parse(text) as { accepted: number; duplicates: number; events: Ack[] };
        assert.equal(body.accepted, BATCH);
        assert.equal(body.duplicates, 0);
        assert.deepEqual(
          body.events.map((e) => e.id),
          events.map((e) => e.id),
        );
        acks.push(...body.events);
        batches.push({ node, seqs: body.events.map((e) => e.seq), events });
      }
    };
    await within(
      Promise.all(
        nodes.flatMap((_, node) => Array.from({ length: CLIENTS_PER_NODE }, (_, c) => client(node, c))),
      ),
      60_000,
      'concurrent ingest',
    );
    const total = NODES * CLIENTS_PER_NODE * BATCHES_PER_CLIENT * BATCH;
    assert.equal(acks.length, total);

    // The writes really interleaved: the nodes' batches alternate in seq order many times.
    const order = [...batches].sort((x, y) => (x.seqs[0] as number) - (y.seqs[0] as number));
    let switches = 0;
    for (let i = 1; i < order.length; i++) {
      if (order[i]?.node !== order[i - 1]?.node) switches++;
    }
    assert.ok(switches >= 10, `the two nodes' batches interleaved only ${switches} times`);
    // A batch's seqs are contiguous: a batch is one transaction under the tenant's lock.
    for (const batch of batches) {
      const first = batch.seqs[0] as number;
      assert.deepEqual(
        batch.seqs,
        batch.seqs.map((_, i) => first + i),
      );
    }

    // A client retrying a batch through the other node gets the original seqs, stores nothing.
    const retried = batches[0] as (typeof batches)[number];
    const again = await call((nodes[1 - retried.node] as Node).url, key, 'POST', '/v1/events', {
      events: retried.events,
    });
    assert.equal(again.status, 200);
    const dup = (await again.json()) as { duplicates: number; events: Ack[] };
    assert.equal(dup.duplicates, BATCH);
    assert.deepEqual(
      dup.events.map((e) => e.seq),
      retried.seqs,
    );

    const db = new pg.Client({ connectionString: database.url });
    await db.connect();
    try {
      const { rows } = await db.query<{ seq: string; id: string; body: string }>(
        "SELECT seq, id, body FROM events WHERE tenant = 'acme' ORDER BY seq",
      );
      assert.equal(rows.length, total, 'one row per acknowledged event');
      const acked = new Map(acks.map((x) => [x.id, x]));
      assert.equal(acked.size, total, 'acknowledged ids are distinct');
      rows.forEach((row, i) => {
        assert.equal(Number(row.seq), i + 1, 'seq is 1..N without gap or duplicate');
        const ack = acked.get(row.id);
        assert.ok(ack, `stored event ${row.id} was acknowledged`);
        assert.equal(ack.seq, Number(row.seq), 'stored under the acknowledged seq');
        const event = JSON.parse(row.body) as Record<string, unknown>;
        assert.equal(event.hash, ack.hash);
        assert.ok(verifyEvent(event), `event seq ${row.seq} verifies against its hash`);
      });
      const counts = await db.query<{ ids: string; last: string }>(
        "SELECT (SELECT count(*) FROM event_ids WHERE tenant = 'acme') AS ids, (SELECT last_seq FROM tenants WHERE id = 'acme') AS last",
      );
      assert.equal(Number(counts.rows[0]?.ids), total);
      assert.equal(Number(counts.rows[0]?.last), total);
    } finally {
      await db.end();
    }

    // And the API of either node sees the same log.
    for (const node of [a, b]) {
      const res = await call(node.url, key, 'GET', '/v1/events/count');
      assert.deepEqual(await res.json(), { count: total });
    }
  });
});
