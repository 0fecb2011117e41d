import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setImmediate as yieldLoop } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { TrailkeepError } from '../../src/core/errors.js';
import { prepareEvent } from '../../src/core/event/prepare.js';
import { appendLeaves, EMPTY_EDGE } from '../../src/core/log/append.js';
import { leafHash } from '../../src/core/log/merkle.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import type { Store } from '../../src/store/types.js';
import { tempDir } from '../helpers/app.js';

const event = (id: string, action = 'Update') =>
  prepareEvent({ id, occurred_at: '2026-03-01T10:00:00Z', action });

/**
 * The SQLite writer thread: concurrent requests share a commit (group commit), yet each one
 * succeeds or fails on its own, nothing queued is dropped when the store closes, and the log's
 * checkpoints are written there too, so the event loop never waits for the write lock.
 */
describe('sqlite writer thread', () => {
  const tmp = tempDir();
  const file = join(tmp.dir, 'writer.db');
  let store: Store;
  before(async () => {
    store = await openSqliteStore(file);
    for (const t of ['a', 'b', 'c']) await store.tenants.create({ id: t, name: t }, Date.now());
  });
  after(async () => {
    await store.close();
    tmp.remove();
  });

  it('keeps requests of one group commit independent: a failing one stores nothing, the others commit', async () => {
    await store.events.append('a', [event('x', 'Create')], Date.now());
    const settled = await Promise.allSettled([
      store.events.append('a', [event('a1'), event('a2')], Date.now()),
      store.events.append('missing', [event('m1')], Date.now()),
      store.events.append('b', [event('b1')], Date.now()),
      // Same id as an event stored before, other content: the whole request is a conflict.
      store.events.append('a', [event('a3'), event('x', 'Delete')], Date.now()),
      store.events.append('a', [event('a4')], Date.now()),
    ]);
    const codes = settled.map((s) =>
      s.status === 'fulfilled' ? 'ok' : s.reason instanceof TrailkeepError ? s.reason.code : String(s.reason),
    );
    assert.deepEqual(codes, ['ok', 'not_found', 'ok', 'conflict', 'ok']);
    assert.equal(await store.events.lastSeq('a'), 4);
    assert.equal(await store.events.get('a', 'a3'), null, 'nothing of the failed request is stored');
    const seqs = (await store.events.list('a', { order: 'asc', limit: 10 })).map((r) => r.seq);
    assert.deepEqual(seqs, [1, 2, 3, 4], 'seqs stay gapless around the failed request');
  });

  it('writes a checkpoint on the writer thread: the event loop turns while another connection holds the write lock', async () => {
    const leaves = await store.log.leaves('b', 1, 1);
    const grown = appendLeaves(
      EMPTY_EDGE,
      leaves.map((l) => leafHash(Buffer.from(l.hash, 'hex'))),
    );
    const checkpoint = { size: 1, root: grown.root, note: 'note of 1\n', created_at: Date.now() };
    // Another server on the file, in the middle of a write.
    const other = new Database(file);
    other.exec('BEGIN IMMEDIATE');
    let settled = false;
    const extension = { tenant: 'b', from: 0, tiles: grown.writes, checkpoint };
    const extended = store.log.extend([extension]).finally(() => {
      settled = true;
    });
    let turns = 0;
    while (turns < 20) {
      await yieldLoop();
      turns++;
    }
    assert.equal(settled, false, 'the checkpoint waits for the lock, the event loop does not');
    other.exec('COMMIT');
    other.close();
    assert.deepEqual(await extended, ['extended']);
    assert.ok((await store.log.latest('b'))?.root.equals(grown.root));
    assert.deepEqual(await store.log.extend([extension]), ['raced']);
  });

  it('answers every queued request before closing, and all of it is on disk', async () => {
    const pending = Array.from({ length: 40 }, (_, i) =>
      store.events.append('c', [event(`c${i}-1`), event(`c${i}-2`)], Date.now()),
    );
    await store.close();
    const results = await Promise.all(pending);
    assert.equal(results.flat().length, 80);
    store = await openSqliteStore(file);
    assert.equal(await store.events.count('c', {}), 80);
    assert.equal(await store.events.lastSeq('c'), 80);
  });
});
