import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fromCursor } from '../../src/store/keyset.js';

describe('fromCursor', () => {
  const c = { occurredAt: 5_000, seq: 7 };

  it('leaves a page without a cursor as it is', () => {
    assert.deepEqual(fromCursor({ order: 'desc', from: 1, to: 9 }), { from: 1, to: 9 });
    assert.deepEqual(fromCursor({ order: 'asc' }), {});
  });
  it('bounds a newest-first page at the cursor, replacing a later `to`', () => {
    assert.deepEqual(fromCursor({ order: 'desc', after: c }), { to: 5_001, after: c });
    assert.deepEqual(fromCursor({ order: 'desc', from: 1_000, to: 9_000, after: c }), {
      from: 1_000,
      to: 5_001,
      after: c,
    });
  });
  it('bounds an oldest-first page at the cursor, replacing an earlier `from`', () => {
    assert.deepEqual(fromCursor({ order: 'asc', after: c }), { from: 5_000, after: c });
    assert.deepEqual(fromCursor({ order: 'asc', from: 1_000, to: 9_000, after: c }), {
      from: 5_000,
      to: 9_000,
      after: c,
    });
  });
  it('drops a cursor the range already excludes everything before', () => {
    assert.deepEqual(fromCursor({ order: 'desc', to: 5_000, after: c }), { to: 5_000 });
    assert.deepEqual(fromCursor({ order: 'asc', from: 5_001, after: c }), { from: 5_001 });
  });
  it('keeps the row comparison for rows in the cursor’s own millisecond', () => {
    assert.deepEqual(fromCursor({ order: 'desc', to: 5_001, after: c }), { to: 5_001, after: c });
    assert.deepEqual(fromCursor({ order: 'asc', from: 5_000, after: c }), { from: 5_000, after: c });
  });
});
