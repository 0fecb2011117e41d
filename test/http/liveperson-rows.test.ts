// @engines sqlite postgres
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type ChangeEvent, changeRowsOf } from '../../src/core/change-rows.js';
import { TrailkeepError } from '../../src/core/errors.js';
import { rowWindow } from '../../src/services/rows.js';
import { event, startTestApp, type TestApp } from '../helpers/app.js';
import { ingest } from '../helpers/jobs.js';

/**
 * Row windows over more events than one scan chunk (1,000), through HTTP and through the service
 * on the test engine: streamed time order, and the cap on rows sorted in memory.
 */
describe('LivePerson rows across scan chunks', () => {
  let t: TestApp;
  let key: string;
  const N = 1200;

  before(async () => {
    t = await startTestApp();
    key = await t.tenantWithKey('acme');
    // Event i has (i % 3) changes: 0 → one N/A row. Rows per 3 events: 1 + 1 + 2 = 4.
    const evs = Array.from({ length: N }, (_, i) =>
      event({
        occurred_at: new Date(Date.UTC(2026, 2, 1) + i * 1000).toISOString(),
        actor: { id: `u${i % 5}`, ...(i % 7 === 0 ? { privileged: true } : {}) },
        target: { type: 'T', name: `n${i}` },
        changes: Array.from({ length: i % 3 }, (_, c) => ({ field: `f${c}`, new: [String(i)] })),
      }),
    );
    await ingest(t, key, evs);
  });
  after(() => t.close());

  const post = (args: string, fields = 'objectName element') =>
    t.app.inject({
      method: 'POST',
      url: '/api/account/acme/configuration/metadata/audit',
      headers: { authorization: `Bearer ${key}` },
      payload: { query: `{ auditData(${args}) { ${fields} } }` },
    });

  it('counts and pages rows exactly across chunk boundaries, with the store’s filters', async () => {
    // Expected by construction: rows of the kept events, oldest first.
    const expected: string[] = [];
    for (let i = 0; i < N; i++) {
      if (i % 7 === 0) continue;
      if (i % 3 === 0) expected.push(`n${i}/N/A`);
      for (let c = 0; c < i % 3; c++) expected.push(`n${i}/f${c}`);
    }
    for (const offset of [0, 995, 1300, expected.length - 3]) {
      const res = await post(`orderDirection: ASC, first: 10, offset: ${offset}`);
      assert.equal(res.statusCode, 200, res.body);
      assert.equal(res.headers['x-total-count'], String(expected.length));
      const rows = res.json<{ data: { auditData: { objectName: string; element: string }[] } }>().data
        .auditData;
      assert.deepEqual(
        rows.map((r) => `${r.objectName}/${r.element}`),
        expected.slice(offset, offset + 10),
      );
    }
    const sorted = await post('orderBy: [objectName], orderDirection: [DESC], first: 3, offset: 1');
    assert.equal(sorted.headers['x-total-count'], String(expected.length));
    // n999 > n998 > … as text; n999 has 0 changes (N/A), n998 has 2 changes.
    assert.deepEqual(sorted.json<{ data: { auditData: unknown[] } }>().data.auditData, [
      { objectName: 'n998', element: 'f0' },
      { objectName: 'n998', element: 'f1' },
      { objectName: 'n997', element: 'f0' },
    ]);
  });

  it('refuses to sort more rows than the cap, and streams time order whatever the count', async () => {
    // One row per change (at least one): seq i + 1 stands for max(1, i % 3) rows.
    const rowsOf = (json: string) => {
      const e = JSON.parse(json) as ChangeEvent & { seq: number };
      return changeRowsOf(e).map(() => e.seq);
    };
    const rows = (N / 3) * 4;
    const capped = rowWindow(
      t.services.events,
      'acme',
      {},
      {
        rowsOf,
        offset: 0,
        limit: 5,
        order: 'desc',
        compare: (a, b) => a - b,
        cap: 1000,
      },
    );
    await assert.rejects(
      capped,
      (e) => e instanceof TrailkeepError && e.code === 'invalid_request' && /narrow/.test(e.message),
    );
    const fits = await rowWindow(
      t.services.events,
      'acme',
      {},
      {
        rowsOf,
        offset: 2,
        limit: 3,
        order: 'desc',
        compare: (a, b) => a - b,
        cap: rows,
      },
    );
    assert.deepEqual(fits, { rows: [3, 3, 4], total: rows });
    const streamed = await rowWindow(
      t.services.events,
      'acme',
      {},
      { rowsOf, offset: 1, limit: 2, order: 'desc', cap: 1 },
    );
    assert.deepEqual(streamed, { rows: [N, N - 1], total: rows });
  });

  it('reads no event when the offset is past the last row, in either order', async () => {
    const rows = (N / 3) * 4;
    let read = 0;
    const rowsOf = (json: string) => {
      read++;
      return changeRowsOf(JSON.parse(json) as ChangeEvent).map(() => 0);
    };
    for (const compare of [undefined, (a: number, b: number) => a - b]) {
      for (const offset of [rows, 2_000_000_000]) {
        read = 0;
        const window = await rowWindow(
          t.services.events,
          'acme',
          {},
          { rowsOf, offset, limit: 10, order: 'desc', cap: rows, ...(compare ? { compare } : {}) },
        );
        assert.deepEqual(window, { rows: [], total: rows });
        assert.equal(read, 0, `${compare ? 'sorted' : 'time order'}, offset ${offset}`);
      }
      // One row before the end still reads what it must.
      read = 0;
      const last = await rowWindow(
        t.services.events,
        'acme',
        {},
        { rowsOf, offset: rows - 1, limit: 10, order: 'desc', cap: rows, ...(compare ? { compare } : {}) },
      );
      assert.equal(last.rows.length, 1);
      assert.equal(read, N);
    }
    const res = await post('offset: 2000000000, first: 1000');
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual(res.json(), { data: { auditData: [] } });
    assert.equal(res.headers['x-total-count'], (await post('first: 0')).headers['x-total-count']);
  });
});
