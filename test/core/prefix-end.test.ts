import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { prefixEnd } from '../../src/core/query.js';

/** Code point order, which is UTF-8 byte order: how the engines compare bytewise. */
const byPoints = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b));

describe('prefixEnd', () => {
  it('steps the last character', () => {
    assert.equal(prefixEnd('user.'), 'user/');
    assert.equal(prefixEnd('a'), 'b');
  });
  it('steps over the surrogates and carries past U+10FFFF', () => {
    assert.equal(prefixEnd('x\u{d7ff}'), 'x\u{e000}');
    assert.equal(prefixEnd('ab\u{10ffff}'), 'ac');
    assert.equal(prefixEnd('\u{10ffff}\u{10ffff}'), null);
  });
  it('bounds exactly the strings that start with the prefix', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme', minLength: 1 }),
        fc.string({ unit: 'grapheme' }),
        fc.string({ unit: 'grapheme' }),
        (p, other, suffix) => {
          const end = prefixEnd(p);
          // Strings that do start with it, and any string (which almost never does).
          for (const s of [p + suffix, other]) {
            const inRange = byPoints(s, p) >= 0 && (end === null || byPoints(s, end) < 0);
            assert.equal(inRange, s.startsWith(p), s);
          }
        },
      ),
      { numRuns: 2000 },
    );
  });
});
