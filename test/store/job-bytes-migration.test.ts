import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import pg from 'pg';
import { openPostgresStore } from '../../src/store/postgres/index.js';
import { PG_MIGRATIONS } from '../../src/store/postgres/migrations.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import { SQLITE_MIGRATIONS } from '../../src/store/sqlite/migrations.js';
import { tempDir } from '../helpers/app.js';
import { postgresAt, sqliteAt } from '../helpers/old-schema.js';
import { createTestDatabase } from '../helpers/pg.js';

/**
 * Exports finished before jobs recorded their size (SQLite migration 5, PostgreSQL 7) still
 * count against the tenant's export quotas once the database is migrated.
 */
const NOW = Date.UTC(2026, 0, 1);
const EXPIRES = NOW + 86_400_000;
/** Jobs as the release before wrote them: a kept export, a failed one, a query. */
const OLD = [
  ['x-kept', 'export', 'succeeded'],
  ['x-failed', 'export', 'failed'],
  ['q-done', 'query', 'succeeded'],
] as const;
const INSERT = `INSERT INTO jobs (tenant, id, kind, state, params, created_at, finished_at, expires_at, attempts)
  VALUES ('acme', $1, $2, $3, '{"format":"csv","filters":{}}', ${NOW}, ${NOW}, ${EXPIRES}, 1)`;

describe('job sizes on a database from before them', () => {
  const cleanups: (() => Promise<void>)[] = [];
  after(async () => {
    for (const c of cleanups) await c();
  });

  it('sqlite: an export kept from before counts as one file of unknown (0) bytes until it expires', async () => {
    const tmp = tempDir();
    cleanups.push(async () => tmp.remove());
    const path = join(tmp.dir, 'old.db');
    const db = sqliteAt(path, 4);
    const insert = db.prepare(INSERT.replace(/\$\d/g, '?'));
    for (const job of OLD) insert.run(...job);
    db.close();
    const store = await openSqliteStore(path);
    cleanups.unshift(() => store.close());
    assert.equal(await store.schemaVersion(), SQLITE_MIGRATIONS.length);
    assert.equal((await store.jobs.get('acme', 'x-kept'))?.bytes, null);
    assert.deepEqual(await store.jobs.exportUsage('acme', NOW), { files: 1, bytes: 0 });
    assert.deepEqual(await store.jobs.exportUsage('acme', EXPIRES + 1), { files: 0, bytes: 0 });
  });

  it('postgres: an export kept from before gets the size of the file it published', async () => {
    const database = await createTestDatabase();
    cleanups.push(() => database.drop());
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      await postgresAt(client, 6);
      for (const job of OLD) await client.query(INSERT, [...job]);
      // The kept export's published file, and a file of an attempt that did not finish the job.
      await client.query(
        `INSERT INTO export_files (tenant, job_id, attempt, size, chunks, committed_at)
         VALUES ('acme', 'x-kept', 1, 1234, 1, now()), ('acme', 'x-failed', 1, 99, 1, now())`,
      );
    } finally {
      await client.end();
    }
    const store = await openPostgresStore(database.url, { poolSize: 2 });
    cleanups.unshift(() => store.close());
    assert.equal(await store.schemaVersion(), PG_MIGRATIONS.length);
    assert.equal((await store.jobs.get('acme', 'x-kept'))?.bytes, 1234);
    assert.equal((await store.jobs.get('acme', 'x-failed'))?.bytes, null);
    assert.equal((await store.jobs.get('acme', 'q-done'))?.bytes, null);
    assert.deepEqual(await store.jobs.exportUsage('acme', NOW), { files: 1, bytes: 1234 });
  });
});
