import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import pg from 'pg';
import { PG_MIGRATIONS } from '../../src/store/postgres/migrations.js';
import { createTestDatabase } from '../helpers/pg.js';
import { ADMIN_TOKEN, Cluster, call, type Node, tenantWithKey, waitFor, within } from './nodes.js';

/** migrations.ts's advisory lock key; the test fails (nobody waits on it) if that changes. */
const MIGRATION_LOCK = 0x7472_6b70;

type Database = Awaited<ReturnType<typeof createTestDatabase>>;

/** Several nodes started at once on an empty database, as an orchestrator rolls out a cluster. */
describe('postgres: nodes starting together on an empty database', () => {
  const databases: Database[] = [];
  const clusters: Cluster[] = [];
  after(async () => {
    for (const c of clusters) c.killAll();
    for (const d of databases) await d.drop();
  });

  const fresh = async (env: Record<string, string> = {}) => {
    const database = await createTestDatabase();
    databases.push(database);
    const cluster = new Cluster({ TRAILKEEP_DB: database.url, TRAILKEEP_JOB_WORKERS: '1', ...env });
    clusters.push(cluster);
    return { database, cluster };
  };

  it('migrates once: all three become ready and schema_migrations holds each version once', async () => {
    const { database, cluster } = await fresh();
    // The test holds the migration lock until all three nodes wait for it, so they really do
    // contend for an empty schema at the same moment, however their start-up times differ.
    const holder = new pg.Client({ connectionString: database.url });
    await holder.connect();
    let nodes: Node[];
    try {
      await holder.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
      const starting = Promise.all([cluster.start(), cluster.start(), cluster.start()]);
      starting.catch(() => {});
      await waitFor(
        'three nodes waiting to migrate',
        async () => {
          const { rows } = await holder.query<{ n: string }>(
            `SELECT count(*) AS n FROM pg_locks
             WHERE locktype = 'advisory' AND NOT granted AND objid = $1 AND database =
               (SELECT oid FROM pg_database WHERE datname = current_database())`,
            [MIGRATION_LOCK],
          );
          return Number(rows[0]?.n) === 3 ? true : undefined;
        },
        30_000,
        50,
      );
      await holder.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]);
      nodes = await within(starting, 30_000, 'the nodes to start');
    } finally {
      await holder.end();
    }
    for (const node of nodes) {
      const res = await call(node.url, null, 'GET', '/readyz');
      assert.equal(res.status, 200);
    }
    const db = new pg.Client({ connectionString: database.url });
    await db.connect();
    try {
      const { rows } = await db.query<{ version: number; n: string }>(
        'SELECT version, count(*) AS n FROM schema_migrations GROUP BY version ORDER BY version',
      );
      assert.deepEqual(
        rows.map((r) => [r.version, Number(r.n)]),
        PG_MIGRATIONS.map((_, i) => [i + 1, 1]),
      );
      // Each node created the months ahead at start-up; each partition exists once, attached.
      const parts = await db.query<{ name: string }>(
        `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
         WHERE i.inhparent = 'events'::regclass ORDER BY 1`,
      );
      assert.ok(parts.rows.some((r) => r.name === 'events_default'));
      assert.ok(parts.rows.filter((r) => /^events_p\d{6}$/.test(r.name)).length >= 4);
    } finally {
      await db.end();
    }
    // One schema, one cluster: what one node writes, the others read.
    const [a, b, c] = nodes as [Node, Node, Node];
    const key = await tenantWithKey(a.url, 'acme');
    const res = await call(b.url, key, 'POST', '/v1/events', {
      id: 'e-1',
      occurred_at: new Date().toISOString(),
      action: 'user.login',
    });
    assert.equal(res.status, 201);
    assert.deepEqual(await (await call(c.url, key, 'GET', '/v1/events/count')).json(), { count: 1 });
  });

  it('without configured secrets, the first start generates them once for every node', async () => {
    const { cluster } = await fresh({ TRAILKEEP_ADMIN_TOKEN: '', TRAILKEEP_SECRET: '' });
    const nodes = await Promise.all([cluster.start(), cluster.start(), cluster.start()]);
    const printed = nodes.flatMap((n) => /tka_[A-Za-z0-9_-]{43}/.exec(n.stdout()) ?? []);
    assert.equal(printed.length, 1, 'exactly one node prints the generated admin token');
    const admin = printed[0] as string;
    assert.notEqual(admin, ADMIN_TOKEN);
    for (const node of nodes) {
      const res = await call(node.url, admin, 'GET', '/v1/tenants');
      assert.equal(res.status, 200, 'every node accepts the one admin token');
    }
    // The server secret is shared too: a cursor or access token from one node works on another.
    const [a, b] = nodes as [Node, Node, Node];
    const t = await call(a.url, admin, 'POST', '/v1/tenants', { id: 'acme' });
    assert.equal(t.status, 201);
    const k = await call(a.url, admin, 'POST', '/v1/tenants/acme/keys', {
      name: 'k',
      scopes: ['events:write', 'events:read'],
    });
    const { secret } = (await k.json()) as { secret: string };
    const events = Array.from({ length: 3 }, (_, i) => ({
      occurred_at: new Date(Date.now() - i * 1000).toISOString(),
      action: 'user.login',
    }));
    assert.equal((await call(a.url, secret, 'POST', '/v1/events', { events })).status, 201);
    const first = (await (await call(a.url, secret, 'GET', '/v1/events?limit=2')).json()) as {
      next_cursor: string;
    };
    assert.ok(first.next_cursor);
    const next = await call(
      b.url,
      secret,
      'GET',
      `/v1/events?limit=2&cursor=${encodeURIComponent(first.next_cursor)}`,
    );
    assert.equal(next.status, 200, await next.clone().text());
    assert.equal(((await next.json()) as { data: unknown[] }).data.length, 1);
  });
});
