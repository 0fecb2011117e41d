import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { queryDataset } from '../../bench/dataset.js';
import { DEFAULT_SEED } from '../../bench/generate.js';
import type { Reply } from '../../bench/http.js';
import { compareSizes } from '../../bench/queries.js';
import { KINDS, kindNamed } from '../../bench/query-kinds.js';
import { percentiles } from '../../bench/stats.js';

const d = queryDataset(DEFAULT_SEED, 5_000, Date.UTC(2026, 10, 23, 12));
const reply = (status: number, body: unknown, headers: Record<string, string> = {}): Reply => {
  const text = JSON.stringify(body);
  return { status, headers, body: Buffer.from(text), text };
};

/**
 * The benchmark must fail rather than report fast numbers for a broken endpoint: every kind's
 * reader refuses an error, an empty answer where the drawn event must match, and rows that do
 * not answer the request.
 */
describe('benchmark query kinds', () => {
  it('draw the same requests for the same dataset and index, and different ones across indexes', () => {
    for (const kind of KINDS) {
      const a = kind.draw(d, 5);
      assert.deepEqual(kind.draw(d, 5), a, kind.name);
      if (kind.name !== 'deep') assert.notDeepEqual(kind.draw(d, 6), kind.draw(d, 7), kind.name);
    }
  });

  it('refuse an error status', () => {
    for (const kind of KINDS) {
      const req = kind.draw(d, 0);
      assert.throws(() => kind.read(reply(500, { error: 'x' }), req, true), /HTTP 500/, kind.name);
    }
  });

  it('refuse an empty answer when checking, and take it when the day has moved on', () => {
    const empty: Record<string, Reply> = {
      list: reply(200, { data: [], next_cursor: null }),
      count: reply(200, { count: 0 }),
      'genesys-realtime': reply(200, { entities: [], total: 0, pageSize: 25, pageNumber: 1, pageCount: 0 }),
      zendesk: reply(200, { audit_logs: [], meta: {}, links: {} }),
      agilicus: reply(200, { limit: 100, audits: [] }),
      liveperson: reply(200, { data: { auditData: [] } }, { 'x-total-count': '0' }),
    };
    for (const kind of KINDS) {
      const answer = empty[kind.name] ?? (empty.list as Reply);
      assert.throws(() => kind.read(answer, kind.draw(d, 0), true), /no rows|count 0/, kind.name);
    }
    const agilicus = kindNamed('agilicus');
    assert.deepEqual(agilicus.read(empty.agilicus as Reply, agilicus.draw(d, 0), false), {
      size: 0,
      rows: 0,
    });
  });

  it('refuse rows that do not answer the request', () => {
    const actor = kindNamed('actor');
    const req = actor.draw(d, 0);
    const other = { action: 'x', occurred_at: new Date(d.start).toISOString(), actor: { id: 'u-nobody' } };
    assert.throws(() => actor.read(reply(200, { data: [other], next_cursor: null }), req, true), /actor's/);
    const zendesk = kindNamed('zendesk');
    assert.throws(
      () => zendesk.read(reply(200, { audit_logs: [{ actor_id: 'u-nobody' }] }), zendesk.draw(d, 0), true),
      /actor's/,
    );
    const list = kindNamed('list');
    const many = Array.from({ length: 101 }, () => other);
    assert.throws(
      () => list.read(reply(200, { data: many, next_cursor: null }), list.draw(d, 0), true),
      /101 rows/,
    );
  });

  it('fail a run whose product and ceiling answer the same request differently', () => {
    const run = (sizes: number[]) => [{ kind: 'actor', ms: { p50: 1, p95: 1, p99: 1 }, rows: 1, sizes }];
    assert.doesNotThrow(() => compareSizes(run([3, 100, -1]), run([3, 100, 7])));
    assert.throws(
      () => compareSizes(run([3, 100]), run([3, 99])),
      /request 1 answered 100 on the product, 99/,
    );
  });

  it('report nearest-rank percentiles', () => {
    const xs = Array.from({ length: 200 }, (_, i) => 200 - i);
    assert.deepEqual(percentiles(xs), { p50: 100, p95: 190, p99: 198 });
    assert.deepEqual(percentiles([4]), { p50: 4, p95: 4, p99: 4 });
  });
});
