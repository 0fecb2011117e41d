import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { prepareEvent } from '../../src/core/event/prepare.js';
import { contentHash } from '../../src/core/event/seal.js';
import { appendLeaves, type Edge, EMPTY_EDGE } from '../../src/core/log/append.js';
import { leafHash } from '../../src/core/log/merkle.js';
import { tileKey } from '../../src/core/log/tiles.js';
import type { Store, StoredCheckpoint } from '../../src/store/types.js';

const T0 = Date.parse('2026-02-01T00:00:00Z');

/**
 * The log's storage, the same on every engine: leaves and sealed events by seq, checkpoints
 * kept and listed, tiles only widened, and `extend` recording a checkpoint only over the latest,
 * so of several racing from one size exactly one wins.
 */
export function logCases(storeOf: () => Store): void {
  let store: Store;
  let edge: Edge = EMPTY_EDGE;
  const tenant = 'logco';
  const other = 'logco-other';
  /** Signs nothing: the store keeps whatever note it is given. */
  const checkpoint = (size: number, root: Buffer, at: number): StoredCheckpoint => ({
    size,
    root,
    note: `note of ${size}\n`,
    created_at: at,
  });
  /** The next `n` leaves appended to the test's tree, read from the store as the checkpointer does. */
  async function grow(n: number) {
    const rows = await store.log.leaves(tenant, edge.size + 1, edge.size + n);
    return appendLeaves(
      edge,
      rows.map((r) => leafHash(Buffer.from(r.hash, 'hex'))),
    );
  }

  describe('the log', () => {
    before(async () => {
      store = storeOf();
      await store.tenants.create({ id: tenant, name: 'Log Co' }, T0);
      const events = Array.from({ length: 300 }, (_, i) =>
        prepareEvent({ id: `l${i}`, occurred_at: new Date(T0 + i * 1000).toISOString(), action: 'log.case' }),
      );
      await store.events.append(tenant, events, T0);
      await store.tenants.create({ id: other, name: 'Log Co Other' }, T0);
      await store.events.append(other, events.slice(0, 5), T0);
    });

    it('reads leaves and sealed events by seq, in seq order, each hash its content’s', async () => {
      const leaves = await store.log.leaves(tenant, 5, 9);
      assert.deepEqual(
        leaves.map((l) => l.seq),
        [5, 6, 7, 8, 9],
      );
      const sealed = await store.log.sealed(tenant, 5, 9);
      sealed.forEach((s, i) => {
        const event = JSON.parse(s.body) as Record<string, unknown>;
        assert.equal(event.seq, s.seq);
        assert.equal(event.hash, leaves[i]?.hash);
        assert.equal(contentHash(event), leaves[i]?.hash);
      });
      assert.deepEqual(await store.log.leaves(tenant, 301, 400), []);
      assert.deepEqual(await store.log.leaves('acme-unknown', 1, 10), []);
    });

    it('lists the tenant as behind until a checkpoint covers its last seq', async () => {
      assert.equal(await store.log.latest(tenant), null);
      const behind = (await store.log.behind(1000)).find((b) => b.tenant === tenant);
      assert.deepEqual(behind, { tenant, lastSeq: 300, size: 0 });
      const grown = await grow(257);
      assert.deepEqual(
        await store.log.extend([
          { tenant, from: 0, tiles: grown.writes, checkpoint: checkpoint(257, grown.root, T0 + 1) },
        ]),
        ['extended'],
      );
      edge = grown.edge;
      assert.deepEqual(
        (await store.log.behind(1000)).find((b) => b.tenant === tenant),
        {
          tenant,
          lastSeq: 300,
          size: 257,
        },
      );
      const latest = await store.log.latest(tenant);
      assert.equal(latest?.size, 257);
      assert.ok(latest?.root.equals(grown.root));
      assert.equal(latest?.note, 'note of 257\n');
      assert.equal(latest?.created_at, T0 + 1);
    });

    it('refuses a checkpoint that does not extend the latest, writing nothing of it, and records the rest of the call in order', async () => {
      const tiles = await store.log.tiles(tenant, [{ level: 0, index: 1 }]);
      const stale = appendLeaves(EMPTY_EDGE, [leafHash(Buffer.alloc(32))]);
      const leavesOf = async (from: number, to: number) =>
        (await store.log.leaves(other, from, to)).map((r) => leafHash(Buffer.from(r.hash, 'hex')));
      const first = appendLeaves(EMPTY_EDGE, await leavesOf(1, 3));
      const second = appendLeaves(first.edge, await leavesOf(4, 5));
      assert.deepEqual(
        await store.log.extend([
          { tenant, from: 0, tiles: stale.writes, checkpoint: checkpoint(1, stale.root, T0 + 2) },
          { tenant: other, from: 0, tiles: first.writes, checkpoint: checkpoint(3, first.root, T0 + 2) },
          { tenant, from: 100, tiles: stale.writes, checkpoint: checkpoint(101, stale.root, T0 + 2) },
          { tenant: other, from: 3, tiles: second.writes, checkpoint: checkpoint(5, second.root, T0 + 2) },
          { tenant: other, from: 3, tiles: second.writes, checkpoint: checkpoint(5, second.root, T0 + 3) },
        ]),
        ['raced', 'extended', 'raced', 'extended', 'raced'],
      );
      assert.deepEqual(await store.log.extend([]), []);
      assert.deepEqual(
        (await store.log.checkpoints(other, { limit: 10 })).map((c) => [c.size, c.created_at]),
        [
          [3, T0 + 2],
          [5, T0 + 2],
        ],
      );
      assert.equal(
        (await store.log.tiles(other, [{ level: 0, index: 0 }])).get(tileKey(0, 0))?.length,
        5 * 32,
      );
      assert.equal((await store.log.latest(tenant))?.size, 257);
      assert.deepEqual(await store.log.tiles(tenant, [{ level: 0, index: 1 }]), tiles);
      assert.equal((await store.log.checkpoints(tenant, { limit: 100 })).length, 1);
    });

    it('keeps tiles as the widest written: a full tile, the right edge, the level above', async () => {
      const tiles = await store.log.tiles(tenant, [
        { level: 0, index: 0 },
        { level: 0, index: 1 },
        { level: 1, index: 0 },
        { level: 0, index: 2 },
      ]);
      assert.deepEqual([...tiles.keys()].sort(), [tileKey(0, 0), tileKey(0, 1), tileKey(1, 0)].sort());
      assert.equal(tiles.get(tileKey(0, 0))?.length, 256 * 32);
      assert.equal(tiles.get(tileKey(0, 1))?.length, 32);
      assert.equal(tiles.get(tileKey(1, 0))?.length, 32);
      // Another tenant has no tiles of this one's.
      assert.equal((await store.log.tiles('acme-unknown', [{ level: 0, index: 0 }])).size, 0);
    });

    it('of extends racing from one size, exactly one is recorded', async () => {
      const grown = await grow(43);
      const results = await Promise.all(
        Array.from({ length: 6 }, (_, i) =>
          store.log.extend([
            { tenant, from: 257, tiles: grown.writes, checkpoint: checkpoint(300, grown.root, T0 + 10 + i) },
          ]),
        ),
      );
      assert.deepEqual(
        results.flat().filter((r) => r === 'extended'),
        ['extended'],
      );
      edge = grown.edge;
      const all = await store.log.checkpoints(tenant, { limit: 100 });
      assert.deepEqual(
        all.map((c) => c.size),
        [257, 300],
      );
      assert.equal(
        (await store.log.tiles(tenant, [{ level: 0, index: 1 }])).get(tileKey(0, 1))?.length,
        44 * 32,
      );
      assert.equal(
        (await store.log.behind(1000)).find((b) => b.tenant === tenant),
        undefined,
      );
    });

    it('lists checkpoints by size and by signing time, ascending, within the limit', async () => {
      const sizes = async (range: Parameters<Store['log']['checkpoints']>[1]) =>
        (await store.log.checkpoints(tenant, range)).map((c) => c.size);
      assert.deepEqual(await sizes({ minSize: 258, limit: 10 }), [300]);
      assert.deepEqual(await sizes({ maxSize: 299, limit: 10 }), [257]);
      assert.deepEqual(await sizes({ minSize: 257, maxSize: 257, limit: 10 }), [257]);
      assert.deepEqual(await sizes({ since: T0 + 2, limit: 10 }), [300]);
      assert.deepEqual(await sizes({ until: T0 + 1, limit: 10 }), [257]);
      assert.deepEqual(await sizes({ limit: 1 }), [257]);
      assert.deepEqual(await store.log.checkpoints('acme-unknown', { limit: 10 }), []);
    });
  });
}
