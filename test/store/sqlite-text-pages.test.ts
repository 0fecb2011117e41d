import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { prepareEvent } from '../../src/core/event/prepare.js';
import type { EventInput } from '../../src/core/event/schema.js';
import type { EventQuery, EventRow } from '../../src/core/query.js';
import { BLOCK_BITS } from '../../src/store/sqlite/blocks.js';
import { StatementCache } from '../../src/store/sqlite/db.js';
import { listSql } from '../../src/store/sqlite/events.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import { textPages } from '../../src/store/sqlite/text-pages.js';
import type { Store } from '../../src/store/types.js';
import { tempDir } from '../helpers/app.js';

const T = Date.parse('2026-01-01T00:00:00Z');
const N = 6000;

/** A seeded PRNG, so a failure repeats. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/**
 * Terms in about 40 %, 5 %, 0.5 % and 0.05 % of the events, so every way of reading a page is
 * taken; `ordered` tenants arrive in time order (as live audit logs do), `shuffled` ones at
 * random times, where rowid ranges say nothing about time.
 */
function events(seed: number, shuffled: boolean): EventInput[] {
  const r = random(seed);
  return Array.from({ length: N }, (_, i) => {
    const words = ['event'];
    if (r() < 0.4) words.push('common');
    if (r() < 0.05) words.push('middling');
    if (r() < 0.005) words.push('scarce');
    if (r() < 0.0005) words.push('unique');
    // Several events share a millisecond, so pages break ties by seq.
    const at = shuffled ? T + Math.floor(r() * N * 100) : T + Math.floor(i / 3) * 1000;
    return {
      occurred_at: new Date(at).toISOString(),
      action: r() < 0.5 ? 'read' : 'write',
      actor: { id: `u${Math.floor(r() * 20)}` },
      description: words.join(' '),
    };
  });
}

/**
 * Full-text pages read block by block (text-pages.ts) must be the rows the plain statement
 * gives, in every order, range, cursor and page size, whether events arrived in time order or
 * not, and whether the blocks are read or the plain statement is left to.
 */
describe('sqlite full-text pages', () => {
  const tmp = tempDir();
  const path = join(tmp.dir, 'text.db');
  let store: Store;
  let db: Database.Database;
  let pages: ReturnType<typeof textPages>;
  const plain = (tenant: string) => (q: EventQuery) => {
    const { sql, params } = listSql(tenant, q);
    return db.prepare(sql).all(...params) as EventRow[];
  };

  before(async () => {
    store = await openSqliteStore(path);
    const tenants: [string, boolean][] = [
      ['ordered', false],
      ['shuffled', true],
    ];
    for (const [tenant] of tenants) {
      await store.tenants.create({ id: tenant, name: tenant }, T);
    }
    // Interleaved batches of both tenants, so each one's rowids have the other's in between.
    const all = tenants.map(([tenant, shuffled], k) => ({ tenant, list: events(k + 1, shuffled) }));
    for (let i = 0; i < N; i += 500) {
      for (const { tenant, list } of all) {
        await store.events.append(
          tenant,
          list.slice(i, i + 500).map((e) => prepareEvent(e)),
          T,
        );
      }
    }
    db = new Database(path, { readonly: true });
    pages = textPages(db, new StatementCache(db));
  });
  after(async () => {
    db.close();
    await store.close();
    tmp.remove();
  });

  const queries: [string, Partial<EventQuery>][] = [
    ['a common term', { q: 'common' }],
    ['two terms', { q: 'common event' }],
    ['a middling term', { q: 'middling' }],
    ['a scarce term', { q: 'scarce' }],
    ['a unique term', { q: 'unique' }],
    ['a term no event holds', { q: 'absent' }],
    ['a term and a time range', { q: 'common', from: T + 100_000, to: T + 900_000 }],
    ['a term and an actor', { q: 'middling', fields: { actor_id: ['u3'] } }],
    ['a term and an action', { q: 'common', fields: { action: ['read'] } }],
  ];

  for (const tenant of ['ordered', 'shuffled']) {
    for (const [name, filter] of queries) {
      it(`${tenant}: ${name}, every page in both orders, equal to the plain statement's`, async () => {
        for (const order of ['asc', 'desc'] as const) {
          for (const limit of [1, 7, 100]) {
            let cursor: EventQuery['after'];
            for (let page = 0; page < 6; page++) {
              const q: EventQuery = { ...filter, order, limit, ...(cursor ? { after: cursor } : {}) };
              const expected = plain(tenant)(q);
              const got = await store.events.list(tenant, q);
              assert.deepEqual(got, expected, `${order}, limit ${limit}, page ${page + 1}`);
              const last = got.at(-1);
              if (!last || got.length < limit) break;
              cursor = { occurredAt: last.occurredAt, seq: last.seq };
            }
          }
        }
      });
    }
  }

  it('reads pages with terms block by block, and leaves offset pages to the plain statement', () => {
    for (const tenant of ['ordered', 'shuffled']) {
      for (const term of ['common', 'unique']) {
        for (const order of ['asc', 'desc'] as const) {
          const q: EventQuery = { q: term, order, limit: 100 };
          assert.deepEqual(pages(tenant, q), plain(tenant)(q), `${tenant}, ${term}, ${order}`);
        }
      }
    }
    assert.equal(pages('ordered', { q: 'common', order: 'desc', limit: 100, offset: 100 }), undefined);
    assert.equal(pages('ordered', { order: 'desc', limit: 100 }), undefined);
  });

  it('keeps every block bound true: each block holds only events within its bounds', () => {
    const outside = db
      .prepare(
        `SELECT count(*) FROM events e JOIN event_blocks b ON b.block = e.rowid >> ${BLOCK_BITS}
         WHERE e.occurred_at < b.min_at OR e.occurred_at > b.max_at`,
      )
      .pluck()
      .get();
    assert.equal(outside, 0);
    const blocks = db.prepare('SELECT count(*) FROM event_blocks').pluck().get() as number;
    assert.equal(blocks, Math.ceil((2 * N) / 2 ** BLOCK_BITS));
  });
});
