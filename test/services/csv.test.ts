import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ByteBuffer } from '../../src/services/exports/bytes.js';
import { CSV_COLUMNS, csvHeader, csvLines } from '../../src/services/exports/csv.js';
import { parseCsv } from '../helpers/jobs.js';

const column = (name: (typeof CSV_COLUMNS)[number]) => CSV_COLUMNS.indexOf(name);

describe('CSV lines', () => {
  it('quotes what needs quoting and neutralises formulas, even across a line break', () => {
    const texts = [
      '=1+2',
      '+x',
      '-y',
      '@z',
      '\tTab',
      '\rCR',
      '=cmd\nnext',
      'a,b',
      'say "hi"',
      ' lead',
      'plain',
    ];
    const jsons = texts.map((t, i) =>
      JSON.stringify({
        seq: i + 1,
        id: `e${i}`,
        action: t,
        description: `line\r\nbreak ${i}`,
        source: { ip: ['10.0.0.1', '::1'] },
      }),
    );
    const out = new ByteBuffer(16);
    out.text(csvHeader());
    csvLines(jsons, out);
    const [header, ...rows] = parseCsv(out.view().toString('utf8'));
    assert.deepEqual(header, [...CSV_COLUMNS]);
    assert.equal(rows.length, texts.length);
    rows.forEach((row, i) => {
      const text = texts[i] as string;
      assert.equal(row.length, CSV_COLUMNS.length);
      assert.equal(row[column('seq')], String(i + 1));
      assert.equal(row[column('action')], /^[=+\-@\t\r]/.test(text) ? `'${text}` : text);
      assert.equal(row[column('description')], `line\r\nbreak ${i}`);
      assert.equal(row[column('source_ip')], '10.0.0.1 ::1');
      assert.equal(row[column('changes')], '');
    });
  });

  it('writes a page longer than one stringify batch in order', () => {
    const jsons = Array.from({ length: 150 }, (_, i) =>
      JSON.stringify({ seq: i + 1, changes: [{ field: 'f', new: i }] }),
    );
    const out = new ByteBuffer(16);
    csvLines(jsons, out);
    const rows = parseCsv(out.view().toString('utf8'));
    assert.deepEqual(
      rows.map((r) => r[column('seq')]),
      jsons.map((_, i) => String(i + 1)),
    );
    assert.deepEqual(JSON.parse(rows[149]?.[column('changes')] ?? ''), [{ field: 'f', new: 149 }]);
  });
});
