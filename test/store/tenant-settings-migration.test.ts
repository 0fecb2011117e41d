import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import pg from 'pg';
import { openPostgresStore } from '../../src/store/postgres/index.js';
import { PG_MIGRATIONS } from '../../src/store/postgres/migrations.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import { SQLITE_MIGRATIONS } from '../../src/store/sqlite/migrations.js';
import type { Store } from '../../src/store/types.js';
import { tempDir } from '../helpers/app.js';
import { postgresAt, sqliteAt } from '../helpers/old-schema.js';
import { createTestDatabase } from '../helpers/pg.js';

/**
 * Tenants made before tenants had settings (SQLite migration 7, PostgreSQL 9) record reads
 * through viewer tokens once the database is migrated, like a tenant made after: the safe side.
 */
const INSERT = `INSERT INTO tenants (id, name, created_at) VALUES ('acme', 'Acme', '2026-01-01T00:00:00.000Z')`;

async function checkMigrated(store: Store, version: number) {
  assert.equal(await store.schemaVersion(), version);
  assert.deepEqual(await store.tenants.get('acme'), {
    id: 'acme',
    name: 'Acme',
    created_at: '2026-01-01T00:00:00.000Z',
    record_viewer_reads: true,
  });
  assert.equal(
    (await store.tenants.update('acme', { record_viewer_reads: false }))?.record_viewer_reads,
    false,
  );
}

describe('tenant settings on a database from before them', () => {
  const cleanups: (() => Promise<void>)[] = [];
  after(async () => {
    for (const c of cleanups) await c();
  });

  it('sqlite: a tenant from before records viewer reads', async () => {
    const tmp = tempDir();
    cleanups.push(async () => tmp.remove());
    const path = join(tmp.dir, 'old.db');
    const db = sqliteAt(path, 6);
    db.exec(INSERT);
    db.close();
    const store = await openSqliteStore(path);
    cleanups.unshift(() => store.close());
    await checkMigrated(store, SQLITE_MIGRATIONS.length);
  });

  it('postgres: a tenant from before records viewer reads', async () => {
    const database = await createTestDatabase();
    cleanups.push(() => database.drop());
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      await postgresAt(client, 8);
      await client.query(INSERT);
    } finally {
      await client.end();
    }
    const store = await openPostgresStore(database.url, { poolSize: 2 });
    cleanups.unshift(() => store.close());
    await checkMigrated(store, PG_MIGRATIONS.length);
  });
});
