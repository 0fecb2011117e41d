import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { CopyValues } from '../../src/store/postgres/copy-bytes.js';

/** What PostgreSQL sends for a one-column binary COPY of `values`. */
function binaryCopy(values: Buffer[]): Buffer {
  const head = Buffer.concat([Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1'), Buffer.alloc(8)]);
  const rows = values.map((v) => {
    const frame = Buffer.alloc(6);
    frame.writeInt16BE(1, 0);
    frame.writeInt32BE(v.length, 2);
    return Buffer.concat([frame, v]);
  });
  const trailer = Buffer.alloc(2);
  trailer.writeInt16BE(-1, 0);
  return Buffer.concat([head, ...rows, trailer]);
}

const read = (pieces: Buffer[]) => {
  const values = new CopyValues();
  for (const p of pieces) values.push(p);
  return values;
};

describe('CopyValues (binary COPY output)', () => {
  const values = [
    randomBytes(300),
    Buffer.alloc(0),
    Buffer.from('PGCOPY\n\xff\r\n\0 looks like framing', 'latin1'),
  ];
  const all = binaryCopy(values);

  it('returns the values byte for byte wherever the pieces are cut', () => {
    for (let cut = 0; cut <= all.length; cut++) {
      const v = read([all.subarray(0, cut), all.subarray(cut)]);
      assert.ok(v.ended, `cut at ${cut}`);
      assert.equal(v.rows, 3);
      assert.ok(Buffer.concat(v.data).equals(Buffer.concat(values)), `cut at ${cut}`);
    }
    const bytewise = read(Array.from({ length: all.length }, (_, i) => all.subarray(i, i + 1)));
    assert.ok(Buffer.concat(bytewise.data).equals(Buffer.concat(values)));
  });

  it('no row is an empty result; a stream cut short has not ended', () => {
    const none = read([binaryCopy([])]);
    assert.ok(none.ended);
    assert.equal(none.rows, 0);
    assert.equal(read([all.subarray(0, all.length - 2)]).ended, false);
  });

  it('rejects what is not one-column binary COPY output', () => {
    assert.throws(() => read([Buffer.from('seq\tid\n1\tan event in text format\n')]), /Not binary COPY/);
    const twoColumns = Buffer.from(all);
    twoColumns.writeInt16BE(2, 19);
    assert.throws(() => read([twoColumns]), /one column/);
  });
});
