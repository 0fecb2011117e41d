import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import pg from 'pg';
import type { EventFilter } from '../../src/core/query.js';
import { openPostgresStore } from '../../src/store/postgres/index.js';
import { PG_MIGRATIONS } from '../../src/store/postgres/migrations.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import { SQLITE_MIGRATIONS } from '../../src/store/sqlite/migrations.js';
import type { Store } from '../../src/store/types.js';
import { tempDir } from '../helpers/app.js';
import { postgresAt, sqliteAt } from '../helpers/old-schema.js';
import { createTestDatabase } from '../helpers/pg.js';

/**
 * Events stored before the change-row columns existed (SQLite migration 3, PostgreSQL 5) are
 * counted and filtered like new ones once the database is migrated, and on SQLite their rowid
 * blocks are bounded (migration 4).
 */
const OLD = [
  { changes: [{ field: 'a' }, { field: 'b' }, { field: 'c' }], actor: { id: 'u1', login: 'ada' } },
  { changes: [], actor: { id: 'u2', privileged: true } },
  { automatic: true, actor: { id: 'u3' } },
  { changes: [{ field: 'x' }], actor: { login: 'bob' }, automatic: false },
].map((e, i) => ({
  actorId: (e.actor as { id?: string }).id ?? null,
  id: `old-${i}`,
  seq: i + 1,
  occurredAt: Date.UTC(2026, 0, 1, 0, i),
  body: JSON.stringify({
    id: `old-${i}`,
    occurred_at: new Date(Date.UTC(2026, 0, 1, 0, i)).toISOString(),
    action: 'update',
    tenant: 'acme',
    seq: i + 1,
    ...e,
  }),
}));

/** The old events as a release before the change-row columns wrote them: naming none of them. */
async function insertOld(client: pg.Client) {
  for (const e of OLD) {
    await client.query(
      `INSERT INTO events (tenant, seq, id, occurred_at, received_at, action, category, outcome, actor_id, hash, body)
       VALUES ('acme', $1, $2, $3, now(), 'update', 'admin', 'success', $4, 'h', $5)`,
      [e.seq, e.id, new Date(e.occurredAt).toISOString(), e.actorId, e.body],
    );
  }
}

async function assertMigrated(store: Store) {
  const rows = (f: EventFilter) => store.events.countChangeRows('acme', f);
  assert.equal(await rows({}), 3 + 1 + 1 + 1);
  assert.equal(await rows({ privileged: false, automatic: false }), 3 + 1);
  assert.equal(await rows({ actorIdOrLogin: ['ada', 'u2'] }), 3 + 1);
  assert.equal(await rows({ actorIdOrLogin: ['bob'] }), 1);
  assert.equal(await store.events.count('acme', { automatic: true }), 1);
}

describe('change-row columns on a database from before them', () => {
  const cleanups: (() => Promise<void>)[] = [];
  after(async () => {
    for (const c of cleanups) await c();
  });

  it('sqlite: existing events are counted after migration 3', async () => {
    const tmp = tempDir();
    cleanups.push(async () => tmp.remove());
    const path = join(tmp.dir, 'old.db');
    const db = sqliteAt(path, 2);
    db.prepare("INSERT INTO tenants VALUES ('acme', 'Acme', 'then', ?)").run(OLD.length);
    const insert = db.prepare(
      `INSERT INTO events (tenant, seq, id, occurred_at, received_at, action, category, outcome, actor_id, digest, hash, body)
       VALUES ('acme', ?, ?, ?, 0, 'update', 'admin', 'success', ?, 'd', 'h', ?)`,
    );
    for (const e of OLD) insert.run(e.seq, e.id, e.occurredAt, e.actorId, e.body);
    db.close();
    const store = await openSqliteStore(path);
    cleanups.unshift(() => store.close());
    assert.equal(await store.schemaVersion(), SQLITE_MIGRATIONS.length);
    await assertMigrated(store);
    // Migration 4 bounds the blocks of the events already stored (full-text pages read by them).
    const check = new Database(path, { readonly: true });
    try {
      const times = OLD.map((e) => e.occurredAt);
      assert.deepEqual(check.prepare('SELECT block, min_at, max_at FROM event_blocks').all(), [
        { block: 0, min_at: Math.min(...times), max_at: Math.max(...times) },
      ]);
    } finally {
      check.close();
    }
  });

  it('postgres: existing events are counted after migration 5', async () => {
    const database = await createTestDatabase();
    cleanups.push(() => database.drop());
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      await postgresAt(client, 4);
      await client.query("INSERT INTO tenants VALUES ('acme', 'Acme', now(), $1)", [OLD.length]);
      await insertOld(client);
    } finally {
      await client.end();
    }
    const store = await openPostgresStore(database.url, { poolSize: 2 });
    cleanups.unshift(() => store.close());
    assert.equal(await store.schemaVersion(), PG_MIGRATIONS.length);
    await assertMigrated(store);
  });

  it('postgres: a writer that leaves the facets out (a node on the previous release) gets them computed', async () => {
    const database = await createTestDatabase();
    cleanups.push(() => database.drop());
    const store = await openPostgresStore(database.url, { poolSize: 2 });
    cleanups.unshift(() => store.close());
    await store.tenants.create({ id: 'acme', name: 'Acme' }, Date.now());
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      await insertOld(client);
    } finally {
      await client.end();
    }
    await assertMigrated(store);
  });
});
