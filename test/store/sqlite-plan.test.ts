import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import type { EventQuery } from '../../src/core/query.js';
import { changeRowsSql, countSql, listSql, windowSql } from '../../src/store/sqlite/events.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import { blockPageSql } from '../../src/store/sqlite/text-pages.js';
import type { Store } from '../../src/store/types.js';
import { tempDir } from '../helpers/app.js';

const T = Date.parse('2026-01-01T00:00:00Z');

/** The common filters of docs/event-model.md §4 must be index range reads, never full scans. */
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

  // A page deep in a time-filtered list: the index range must start at the cursor, not at the
  // filter's bound with the cursor as a filter (which walks every row in between).
  const deep: [string, Partial<EventQuery>, string][] = [
    ['time range', { from: T, to: T + 1e9 }, 'events_time'],
    ['action and time range', { fields: { action: ['create'] }, from: T, to: T + 1e9 }, 'events_action'],
  ];
  for (const [name, filter, index] of deep) {
    it(`${name}: a page after a cursor reads ${index} from the cursor on`, () => {
      const at = { occurredAt: T + 5e8, seq: 9 };
      const down = listSql('acme', { ...filter, order: 'desc', limit: 100, after: at });
      const p = plan(down);
      assert.match(
        p,
        new RegExp(
          `USING (COVERING )?INDEX ${index} \\(tenant=\\?.* AND occurred_at>\\? AND occurred_at<\\?\\)`,
        ),
        p,
      );
      assert.doesNotMatch(p, /USE TEMP B-TREE/, p);
      assert.ok(down.params.includes(at.occurredAt + 1), 'the upper bound is the cursor');
      assert.ok(!down.params.includes(T + 1e9), 'the later `to` is dropped');
      const up = listSql('acme', { ...filter, order: 'asc', limit: 100, after: at });
      assert.match(
        plan(up),
        new RegExp(`INDEX ${index} \\(tenant=\\?.* AND occurred_at>\\? AND occurred_at<\\?\\)`),
      );
      assert.ok(up.params.includes(at.occurredAt) && !up.params.includes(T), 'the lower bound is the cursor');
    });
  }

  // LivePerson's X-Total-Count: change rows summed from an index that holds them, never the events.
  const rows: [string, Partial<EventQuery>, string][] = [
    ['a date range', { from: T, to: T + 1e9, privileged: false, automatic: false }, 'events_rows'],
    [
      'component types and a date range',
      {
        fields: { target_type: ['ticket', 'user'] },
        from: T,
        to: T + 1e9,
        privileged: false,
        automatic: false,
      },
      'events_type_rows',
    ],
  ];
  for (const [name, filter, index] of rows) {
    it(`change rows of ${name}: summed over ${index}`, () => {
      const p = plan(changeRowsSql('acme', filter));
      assert.match(p, new RegExp(`INDEX ${index} \\(tenant=\\?.*occurred_at>\\? AND occurred_at<\\?\\)`), p);
    });
  }

  // A live tail's window (EventStore.window): a range of the seq index whatever the filter; a
  // filter's own index, or the list of every event a term or an IP matches, would cost the
  // tenant's history on every poll.
  const windows: [string, Partial<EventQuery>][] = [
    ['no filter', {}],
    ['an actor', { fields: { actor_id: ['u1'] } }],
    ['a time range and an action', { from: T, to: T + 1e9, fields: { action: ['create'] } }],
    ['an IP', { fields: { ip: ['10.0.0.1'] } }],
    ['full text', { q: 'x y' }],
    ['full text, an actor and an IP', { q: 'x', fields: { actor_id: ['u1'], ip: ['10.0.0.1'] } }],
  ];
  for (const [name, filter] of windows) {
    it(`a seq window with ${name}: the seq index, each row looked up, nothing listed first`, () => {
      const p = plan(windowSql('acme', filter, 100, 600));
      assert.match(
        p,
        /^SEARCH events USING (COVERING )?INDEX events_seq \(tenant=\? AND seq>\? AND seq<\?\)/,
        p,
      );
      assert.doesNotMatch(p, /LIST SUBQUERY|USE TEMP B-TREE|SCAN events /, p);
    });
  }

  // A full-text page read by blocks (text-pages.ts): the block's matches drive, and each event is
  // read by rowid; walking an index of the tenant's events would read all of them per block.
  const blockCases: [string, Partial<EventQuery>][] = [
    ['terms alone', {}],
    ['terms, an actor and an IP', { fields: { actor_id: ['u1'], ip: ['10.0.0.1'] } }],
    ['terms and a time range', { from: T, to: T + 1e9 }],
  ];
  for (const [name, filter] of blockCases) {
    it(`full-text block page, ${name}: matches first, events by rowid`, () => {
      for (const order of ['asc', 'desc'] as const) {
        const q = { ...filter, q: 'x', order, limit: 100, after: { occurredAt: T, seq: 9 } };
        const p = plan(blockPageSql('acme', q, '"x"', 3, 7));
        assert.match(
          p,
          /^SCAN events_fts VIRTUAL TABLE.* \| SEARCH events USING INTEGER PRIMARY KEY \(rowid=\?\)/,
          p,
        );
        assert.doesNotMatch(p, /events_time|events_actor|SCAN events /, p);
      }
    });
  }
});
