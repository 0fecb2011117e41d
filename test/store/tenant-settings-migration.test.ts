import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { PG_MIGRATIONS } from '../../src/store/postgres/migrations.js';
import { SQLITE_MIGRATIONS } from '../../src/store/sqlite/migrations.js';
import { migratedFrom } from '../helpers/old-schema.js';

/**
 * Tenants made before tenants had settings (SQLite migration 7, PostgreSQL 9) record reads
 * through viewer tokens once the database is migrated, like a tenant made after: the safe side.
 */
const INSERT = `INSERT INTO tenants (id, name, created_at) VALUES ('acme', 'Acme', '2026-01-01T00:00:00.000Z')`;

describe('tenant settings on a database from before them', () => {
  const cleanups: (() => Promise<void>)[] = [];
  after(async () => {
    for (const c of cleanups) await c();
  });

  for (const [engine, before, latest] of [
    ['sqlite', 6, SQLITE_MIGRATIONS.length],
    ['postgres', 8, PG_MIGRATIONS.length],
  ] as const) {
    it(`${engine}: a tenant from before records viewer reads`, async () => {
      const { store, cleanup } = await migratedFrom(engine, before, {
        sqlite: (db) => db.exec(INSERT),
        postgres: async (c) => void (await c.query(INSERT)),
      });
      cleanups.push(cleanup);
      assert.equal(await store.schemaVersion(), latest);
      assert.deepEqual(await store.tenants.get('acme'), {
        id: 'acme',
        name: 'Acme',
        created_at: '2026-01-01T00:00:00.000Z',
        record_viewer_reads: true,
      });
      const off = await store.tenants.update('acme', { record_viewer_reads: false });
      assert.equal(off?.record_viewer_reads, false);
    });
  }
});
