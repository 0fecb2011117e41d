import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ByteBuffer } from '../../src/services/exports/bytes.js';
import { readAhead } from '../../src/services/exports/read-ahead.js';

describe('ByteBuffer', () => {
  it('encodes text as UTF-8, growing as needed, and is reused after clear()', () => {
    const b = new ByteBuffer(4);
    const text = ['plain ', 'Zoë ', '日本 ', '🙂', '"q"'];
    for (const t of text) b.text(t);
    b.byte(0x0a);
    assert.equal(b.view().toString('utf8'), `${text.join('')}\n`);
    b.clear();
    b.text('again');
    assert.equal(b.view().toString('utf8'), 'again');
  });
});

describe('readAhead', () => {
  it('asks for the next item as soon as the current one is handed out', async () => {
    const log: string[] = [];
    async function* source() {
      for (let i = 1; i <= 3; i++) {
        log.push(`read ${i}`);
        yield i;
      }
    }
    for await (const item of readAhead(source())) log.push(`use ${item}`);
    assert.deepEqual(log, ['read 1', 'read 2', 'use 1', 'read 3', 'use 2', 'use 3']);
  });

  it('stopping early ends the source, after the read in flight', async () => {
    let ended = false;
    async function* source() {
      try {
        for (let i = 1; ; i++) yield i;
      } finally {
        ended = true;
      }
    }
    for await (const item of readAhead(source())) if (item === 2) break;
    assert.ok(ended);
  });

  it('a read that fails while the consumer is busy fails the loop when reached, not the process', async () => {
    async function* source() {
      yield 1;
      throw new Error('database gone');
    }
    const seen: number[] = [];
    await assert.rejects(async () => {
      for await (const item of readAhead(source())) {
        seen.push(item);
        // The failing read settles meanwhile, unobserved.
        await new Promise((r) => setTimeout(r, 10));
      }
    }, /database gone/);
    assert.deepEqual(seen, [1]);
  });
});
