import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { prepareEvent } from '../../src/core/event/prepare.js';
import { CsvRenderer } from '../../src/services/exports/csv-renderer.js';
import { type ExportSource, writeExport } from '../../src/services/exports/writer.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import type { Store } from '../../src/store/types.js';
import { tempDir } from '../helpers/app.js';
import { parseCsv } from '../helpers/jobs.js';

/** An output that keeps what it is given. */
function collect(): Writable & { text: string } {
  const out = Object.assign(
    new Writable({
      write(chunk, _enc, done) {
        out.text += String(chunk);
        done();
      },
    }),
    { text: '' },
  );
  return out;
}

describe('writeExport', () => {
  const tmp = tempDir();
  let store: Store;
  let source: ExportSource;
  before(async () => {
    store = await openSqliteStore(join(tmp.dir, 'db.sqlite'));
    source = { events: store.events, csv: new CsvRenderer() };
    await store.tenants.create({ id: 'acme', name: 'Acme' }, 0);
    const events = Array.from({ length: 50 }, (_, i) =>
      prepareEvent({ occurred_at: new Date(Date.UTC(2026, 0, 1, 0, i)).toISOString(), action: `a${i}` }),
    );
    await store.events.append('acme', events, 0);
  });
  after(async () => {
    await source.csv.close();
    await store.close();
    tmp.remove();
  });

  it('streams every event in chunks, oldest first', async () => {
    const out = collect();
    const progress: number[] = [];
    const n = await writeExport(source, 'acme', {}, 'ndjson', out, {
      chunk: 20,
      onProgress: (r) => progress.push(r),
    });
    assert.equal(n, 50);
    assert.deepEqual(progress, [20, 40, 50]);
    const lines = out.text.split('\n').filter(Boolean);
    assert.deepEqual(
      lines.map((l) => (JSON.parse(l) as { seq: number }).seq),
      Array.from({ length: 50 }, (_, i) => i + 1),
    );
  });

  it('renders CSV pages on the render thread in order, reporting progress as each is written', async () => {
    const out = collect();
    const progress: number[] = [];
    const n = await writeExport(source, 'acme', {}, 'csv', out, {
      chunk: 7,
      onProgress: (r) => progress.push(r),
    });
    assert.equal(n, 50);
    assert.deepEqual(progress, [7, 14, 21, 28, 35, 42, 49, 50]);
    const [header, ...rows] = parseCsv(out.text);
    assert.deepEqual(header?.slice(0, 5), ['seq', 'id', 'occurred_at', 'received_at', 'action']);
    assert.deepEqual(
      rows.map((r) => [r[0], r[4]]),
      Array.from({ length: 50 }, (_, i) => [String(i + 1), `a${i}`]),
    );
  });

  it('stops between pages when told to, leaving pages in flight unwritten', async () => {
    const out = collect();
    let asked = 0;
    const n = await writeExport(source, 'acme', {}, 'csv', out, { chunk: 10, keepGoing: () => ++asked < 4 });
    assert.equal(n, null);
    // Three pages were taken. Each page is written once the next is on the render thread, so
    // the first two were written and the third, still rendering at the stop, was not.
    assert.deepEqual(
      parseCsv(out.text)
        .slice(1)
        .map((r) => r[0]),
      Array.from({ length: 20 }, (_, i) => String(i + 1)),
    );
  });

  it('fails instead of waiting forever when the output breaks', async () => {
    let writes = 0;
    const out = new Writable({
      highWaterMark: 1,
      write(_chunk, _enc, done) {
        writes += 1;
        // The second write fails later, while the export waits for 'drain'.
        if (writes === 2) setTimeout(() => done(new Error('disk full')), 10);
        else done();
      },
    });
    out.on('error', () => {});
    await assert.rejects(writeExport(source, 'acme', {}, 'csv', out, { chunk: 5 }), /disk full/);
  });
});
