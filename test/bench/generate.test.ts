import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { DAY_MS, eventAt, QUERY_TENANT, queryDataset } from '../../bench/dataset.js';
import { DEFAULT_SEED, makeBatch, TENANTS } from '../../bench/generate.js';

describe('benchmark event generator', () => {
  it('generates the same events from the same seed, about 600 bytes each, a third with changes', () => {
    const a = makeBatch(7, 3, 500);
    assert.deepEqual(makeBatch(7, 3, 500), a);
    assert.notDeepEqual(makeBatch(8, 3, 500).events, a.events);
    const bytes = a.events.reduce((n, e) => n + JSON.stringify(e).length, 0) / a.events.length;
    assert.ok(bytes > 500 && bytes < 700, `average ${bytes} bytes`);
    const changed = a.events.filter((e) => e.changes).length / a.events.length;
    assert.ok(changed > 0.25 && changed < 0.42, `${changed} with changes`);
    assert.equal(new Set(a.events.map((e) => e.id)).size, 500);
  });

  it('keeps the ingest layout byte for byte (results stay comparable with earlier runs)', () => {
    // The digest of these batches as the ingest benchmark has sent them since it was written.
    const h = createHash('sha256');
    for (const [index, size] of [
      [0, 500],
      [1, 500],
      [7, 500],
      [1999, 500],
      [20_000, 123],
    ] as const) {
      h.update(JSON.stringify(makeBatch(DEFAULT_SEED, index, size)));
    }
    assert.equal(h.digest('hex'), 'c5f4ad0808e1ee733a296f70d75af55561ae11c7e62922ce85199cc3f2146fde');
  });

  it('lays the query dataset out in one tenant, evenly and in order over 90 days ending today', () => {
    const now = Date.UTC(2026, 10, 23, 13, 48);
    const d = queryDataset(DEFAULT_SEED, 10_000, now);
    assert.equal(d.end, Date.UTC(2026, 10, 23));
    assert.equal(d.end - d.start, 90 * DAY_MS);
    const times = Array.from({ length: d.total }, (_, k) => Date.parse(eventAt(d, k).occurred_at));
    for (let k = 1; k < times.length; k++)
      assert.ok((times[k] as number) >= (times[k - 1] as number), `event ${k}`);
    assert.ok((times[0] as number) >= d.start && (times.at(-1) as number) < d.end);
    // Evenly: each tenth of the span holds about a tenth of the events.
    const tenth = (d.end - d.start) / 10;
    for (let t = 0; t < 10; t++) {
      const n = times.filter((x) => x >= d.start + t * tenth && x < d.start + (t + 1) * tenth).length;
      assert.ok(Math.abs(n - 1000) <= 1, `${n} events in tenth ${t}`);
    }
    // Only the tenant and the times differ from the ingest layout.
    const batch = makeBatch(DEFAULT_SEED, 3, 500).events;
    for (let i = 0; i < 500; i++) {
      const e = eventAt(d, 3 * 500 + i);
      const { occurred_at, ...rest } = batch[i] as Record<string, unknown>;
      assert.deepEqual({ ...e, occurred_at }, { ...rest, occurred_at });
    }
    assert.equal(makeBatch(DEFAULT_SEED, 3, 500, d).tenant, QUERY_TENANT);
    assert.equal(makeBatch(DEFAULT_SEED, 3, 500).tenant, TENANTS[3]);
  });
});
