import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { prepareEvent } from '../../src/core/event/prepare.js';
import type { EventInput } from '../../src/core/event/schema.js';
import type { EventFilter, EventQuery } from '../../src/core/query.js';
import { changeRowsSql, countSql, listSql, windowSql } from '../../src/store/postgres/events.js';
import { openPostgresStore } from '../../src/store/postgres/index.js';
import type { Store } from '../../src/store/types.js';
import { createTestDatabase } from '../helpers/pg.js';

const T = Date.parse('2026-01-01T00:00:00Z');
const N = 20_000;

/**
 * With realistic volume and statistics, every common filter of docs/event-model.md §4 is an index
 * read on PostgreSQL, never a sequential scan of the partition that holds the data (all of it
 * falls in January 2026).
 */
describe('postgres query plans', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let store: Store;
  let client: pg.Client;
  before(async () => {
    database = await createTestDatabase();
    store = await openPostgresStore(database.url, { poolSize: 2 });
    for (const tenant of ['acme', 'globex']) {
      await store.tenants.create({ id: tenant, name: tenant }, T);
      for (let start = 0; start < N / 2; start += 1000) {
        const batch = Array.from({ length: 1000 }, (_, j) => {
          const i = start + j;
          return prepareEvent({
            occurred_at: new Date(T + i * 60_000).toISOString(),
            action: `action-${i % 50}`,
            service: `service-${i % 20}`,
            actor: { id: `user-${i % 500}` },
            target: { type: `type-${i % 10}`, id: `obj-${i % 2000}` },
            client: { id: `client-${i % 100}` },
            source: { ip: [`10.0.${i % 250}.${i % 200}`], session_id: `s-${i % 3000}`, trace_id: `t-${i}` },
            transaction_id: `tx-${Math.floor(i / 4)}`,
            description: `event ${i} word${i % 1000}`,
          } as EventInput);
        });
        await store.events.append(tenant, batch, T);
      }
    }
    client = new pg.Client({ connectionString: database.url });
    await client.connect();
    // VACUUM too: index-only scans need the visibility map, as autovacuum keeps it on a live table.
    await client.query('VACUUM ANALYZE');
  });
  after(async () => {
    await client.end();
    await store.close();
    await database.drop();
  });

  const plan = async ({ sql, params }: { sql: string; params: unknown[] }) => {
    const res = await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${sql}`, params);
    return res.rows.map((r) => r['QUERY PLAN']).join('\n');
  };

  const cases: [string, Partial<EventQuery>, RegExp][] = [
    ['actor', { fields: { actor_id: ['user-7'] } }, /actor_id/],
    [
      'action and time range',
      { fields: { action: ['action-3'] }, from: T, to: T + 86_400_000 * 3 },
      /action/,
    ],
    ['target type and id', { fields: { target_type: ['type-3'], target_id: ['obj-13'] } }, /target/],
    ['target id', { fields: { target_id: ['obj-13'] } }, /target_id/],
    [
      'service and time range',
      { fields: { service: ['service-4'] }, from: T, to: T + 86_400_000 },
      /service|occurred_at/,
    ],
    ['transaction', { fields: { transaction_id: ['tx-99'] } }, /transaction_id/],
    ['session', { fields: { session_id: ['s-42'] } }, /session_id/],
    ['trace', { fields: { trace_id: ['t-42'] } }, /trace_id/],
    ['client', { fields: { client_id: ['client-5'] } }, /client_id/],
    ['time range', { from: T + 86_400_000, to: T + 86_400_000 * 2 }, /occurred_at/],
    ['full text', { q: 'word77' }, /search/],
    ['ip', { fields: { ip: ['10.0.3.3'] } }, /event_ips/],
  ];
  for (const [name, filter, cond] of cases) {
    it(`${name}: pages and counts without a sequential scan`, async () => {
      for (const order of ['asc', 'desc'] as const) {
        const p = await plan(listSql('acme', { ...filter, order, limit: 100 }));
        // Empty partitions cost nothing to scan; the one holding the data must be read by index.
        assert.doesNotMatch(p, /Seq Scan on events_p202601/, p);
        assert.match(p, /Index (Only )?Scan|Bitmap Index Scan/, p);
        assert.match(p, cond, p);
      }
      const c = await plan(countSql('acme', filter));
      assert.doesNotMatch(c, /Seq Scan on events_p202601/, c);
    });
  }

  /** The plan of an executed statement, and the buffers (pages) it touched. */
  const executed = async ({ sql, params }: { sql: string; params: unknown[] }) => {
    const res = await client.query<{ 'QUERY PLAN': string }>(
      `EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, TIMING OFF, SUMMARY OFF) ${sql}`,
      params,
    );
    const text = res.rows.map((r) => r['QUERY PLAN']).join('\n');
    const top = /Buffers: shared((?: \w+=\d+)+)/.exec(text)?.[1] ?? '';
    const pages = [...top.matchAll(/=(\d+)/g)].reduce((n, m) => n + Number(m[1]), 0);
    return { text, pages };
  };

  // A page deep in a time-filtered list: the index range starts at the cursor (and partitions
  // after it are pruned), instead of at the filter's bound, stepping over every entry between.
  it('time range: a page after a deep cursor starts its index range at the cursor', async () => {
    for (const order of ['asc', 'desc'] as const) {
      // The cursor sits in the middle of the tenant's events, thousands of entries from either bound.
      const at = { occurredAt: T + (N / 4) * 60_000, seq: N / 4 + 1 };
      const filter = { from: T, to: T + 86_400_000 * 90 };
      const { text, pages } = await executed(listSql('acme', { ...filter, order, limit: 1, after: at }));
      assert.match(text, /Index (Only )?Scan/, text);
      assert.ok(pages < 10, `${pages} pages\n${text}`);
    }
  });

  // A live tail's window (EventStore.window), planned with its values as the store runs it: the
  // seq range of the last few hundred events, or a filter's index where it holds fewer entries
  // in that range; never a scan of all the events a common value or term matches.
  const windows: [string, EventFilter][] = [
    ['no filter', {}],
    ['a rare actor', { fields: { actor_id: ['user-7'] } }],
    ['a common action', { fields: { action: ['action-3', 'action-4', 'action-5'] } }],
    ['a service and a time range', { fields: { service: ['service-4'] }, from: T, to: T + 86_400_000 * 30 }],
    ['a common term', { q: 'event' }],
    ['a rare term', { q: 'word77' }],
    ['an IP', { fields: { ip: ['10.0.3.3'] } }],
  ];
  for (const [name, filter] of windows) {
    it(`a window of 500 seqs with ${name}: an index read of a few dozen pages`, async () => {
      const { text, pages } = await executed(windowSql('acme', filter, N / 4 - 500, N / 4));
      assert.doesNotMatch(text, /Seq Scan on events_p202601/, text);
      // The whole window by the seq index is about 60 pages; the action's 1,500 events about 300.
      assert.ok(pages < 100, `${pages} pages\n${text}`);
      if (name === 'no filter') assert.match(text, /Index Scan using events_p202601_tenant_seq_idx/, text);
    });
  }

  it('change rows (LivePerson totals): an index-only scan of the rows index', async () => {
    const range = { from: T, to: T + 86_400_000 * 3, privileged: false, automatic: false };
    const cases: [EventFilter, RegExp][] = [
      [range, /events_p202601_tenant_occurred_at_seq_change_rows/],
      [
        { ...range, fields: { target_type: ['type-3'] } },
        /events_p202601_tenant_target_type_occurred_at_seq/,
      ],
    ];
    for (const [filter, index] of cases) {
      const p = await plan(changeRowsSql('acme', filter));
      assert.match(p, /Index Only Scan/, p);
      assert.match(p, index, p);
    }
  });
});
