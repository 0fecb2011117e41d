import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import type { EventQuery } from '../../src/core/query.js';
import { countSql, listSql } from '../../src/store/sqlite/events.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import type { Store } from '../../src/store/types.js';
import { tempDir } from '../helpers/app.js';

const T = Date.parse('2026-01-01T00:00:00Z');

/** The common filters of event-model.md §4 must be index range reads, never full scans. */
describe('sqlite query plans', () => {
  const tmp = tempDir();
  const path = join(tmp.dir, 'plan.db');
  let store: Store;
  let db: Database.Database;
  before(async () => {
    store = await openSqliteStore(path);
    db = new Database(path, { readonly: true });
  });
  after(async () => {
    db.close();
    await store.close();
    tmp.remove();
  });

  const plan = ({ sql, params }: { sql: string; params: unknown[] }) =>
    (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[])
      .map((r) => r.detail)
      .join(' | ');

  const cases: [string, Partial<EventQuery>, string][] = [
    ['no filter', {}, 'events_time'],
    ['time range', { from: T, to: T + 1000 }, 'events_time'],
    ['actor', { fields: { actor_id: ['u1'] } }, 'events_actor'],
    ['actor home org', { fields: { actor_home_org_id: ['org-1'] } }, 'events_actor_home_org'],
    ['action and time range', { fields: { action: ['create'] }, from: T, to: T + 1e9 }, 'events_action'],
    ['target type and id', { fields: { target_type: ['ticket'], target_id: ['t1'] } }, 'events_target'],
    ['target id', { fields: { target_id: ['t1'] } }, 'events_target_id'],
    ['service', { fields: { service: ['billing'] } }, 'events_service'],
    ['transaction', { fields: { transaction_id: ['x'] } }, 'events_txn'],
    ['client', { fields: { client_id: ['c'] } }, 'events_client'],
  ];
  for (const [name, filter, index] of cases) {
    it(`${name}: pages and counts through ${index}`, () => {
      for (const order of ['asc', 'desc'] as const) {
        const p = plan(listSql('acme', { ...filter, order, limit: 100, after: { occurredAt: T, seq: 9 } }));
        assert.match(p, new RegExp(`USING INDEX ${index} \\(tenant=\\?`), p);
        assert.doesNotMatch(p, /SCAN events(?!_fts)|USE TEMP B-TREE/, p);
      }
      const c = plan(countSql('acme', filter));
      assert.match(c, /USING COVERING INDEX \w+ \(tenant=\?/, c);
    });
  }
});
