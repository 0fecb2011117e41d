import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { prepareEvent } from '../../src/core/event/prepare.js';
import { DEFAULT_BATCH, type Delivery, type StreamRecord } from '../../src/core/streams/stream.js';
import type { Store } from '../../src/store/types.js';

const T0 = Date.parse('2026-03-01T00:00:00Z');

/**
 * Streams' storage, the same on every engine: a lease goes to one owner at a time and only to a
 * stream with work; every worker write is fenced by it; finishing a delivery moves the cursor
 * (or the replay's) in the same step; failed listings, lags and pruning.
 */
export function streamCases(storeOf: () => Store): void {
  let store: Store;
  const tenant = 'streamco';
  const other = 'streamco-other';
  const stream = (id: string, over: Partial<StreamRecord> = {}): StreamRecord => ({
    id,
    tenant,
    name: `stream ${id}`,
    destination: { type: 'webhook', url: 'https://siem.example/x' },
    secrets: 'v1.sealed',
    format: 'native',
    filters: { action: 'a.b' },
    batch: DEFAULT_BATCH,
    pii: [{ field: 'actor.email', action: 'mask' }],
    state: 'active',
    cursor: 0,
    replay: null,
    created_at: T0,
    updated_at: T0,
    last_error: null,
    last_error_at: null,
    last_delivered_at: null,
    next_attempt_at: 0,
    lease_owner: null,
    lease_until: null,
    ...over,
  });
  const delivery = (s: string, from: number, to: number, replay: number | null = null): Delivery => ({
    id: `${s}.${replay === null ? '' : `r${replay}.`}${from}-${to}`,
    tenant,
    stream: s,
    from_seq: from,
    to_seq: to,
    events: to - from + 1,
    state: 'pending',
    replay,
    attempts: 0,
    created_at: T0,
    updated_at: T0,
    error: null,
  });

  describe('streams', () => {
    before(async () => {
      store = storeOf();
      await store.tenants.create({ id: tenant, name: 'Stream Co' }, T0);
      await store.tenants.create({ id: other, name: 'Stream Co Other' }, T0);
      const events = Array.from({ length: 20 }, (_, i) =>
        prepareEvent({ id: `s${i}`, occurred_at: new Date(T0 + i * 1000).toISOString(), action: 'a.b' }),
      );
      await store.events.append(tenant, events, T0 + 5_000);
    });

    it('keeps a stream as given, per tenant, and applies changes', async () => {
      const s = stream('str_keep');
      await store.streams.create(s);
      assert.deepEqual(await store.streams.get(tenant, 'str_keep'), s);
      assert.equal(await store.streams.get(other, 'str_keep'), null, 'not found under another tenant');
      assert.deepEqual(
        (await store.streams.list(tenant)).map((x) => x.id),
        ['str_keep'],
      );
      const changed = await store.streams.update(
        tenant,
        'str_keep',
        { name: 'renamed', state: 'paused', replay: { from_seq: 2, to_seq: 4, cursor: 1, n: 7 } },
        T0 + 1,
      );
      assert.equal(changed?.name, 'renamed');
      assert.equal(changed?.state, 'paused');
      assert.deepEqual(changed?.replay, { from_seq: 2, to_seq: 4, cursor: 1, n: 7 });
      assert.equal(changed?.updated_at, T0 + 1);
      assert.deepEqual(changed?.filters, s.filters, 'members not changed stay');
      assert.equal(await store.streams.update(other, 'str_keep', { name: 'x' }, T0), null);
      assert.equal(await store.streams.delete(other, 'str_keep'), false);
      assert.equal(await store.streams.delete(tenant, 'str_keep'), true);
      assert.equal(await store.streams.get(tenant, 'str_keep'), null);
    });

    it('leases only an active, due stream with work, to one owner at a time', async () => {
      await store.streams.create(stream('str_idle', { cursor: 20 }));
      await store.streams.create(stream('str_paused', { state: 'paused' }));
      await store.streams.create(stream('str_later', { next_attempt_at: T0 + 60_000 }));
      await store.streams.create(stream('str_work', { created_at: T0 + 1 }));
      const now = T0 + 10_000;
      const first = await store.streams.lease('w1', now, 5_000, []);
      assert.equal(first?.id, 'str_work');
      assert.equal(first?.lease_owner, 'w1');
      assert.equal(await store.streams.lease('w2', now, 5_000, []), null, 'held: no other owner takes it');
      assert.equal(await store.streams.lease('w1', now, 5_000, ['str_work']), null);
      const taken = await store.streams.lease('w2', now + 6_000, 5_000, []);
      assert.equal(taken?.lease_owner, 'w2', 'an expired lease is taken over');
      assert.equal(
        await store.streams.renew(tenant, 'str_work', 'w1', now + 20_000),
        false,
        'the old owner lost it',
      );
      assert.equal(await store.streams.renew(tenant, 'str_work', 'w2', now + 20_000), true);
      await store.streams.release(tenant, 'str_work', 'w2', now + 30_000);
      assert.equal(
        await store.streams.lease('w3', now + 20_000, 5_000, []),
        null,
        'not before next_attempt_at',
      );
      const later = await store.streams.lease('w3', now + 70_000, 5_000, []);
      assert.ok(later && ['str_work', 'str_later'].includes(later.id));
      for (const id of ['str_idle', 'str_paused', 'str_later', 'str_work'])
        await store.streams.delete(tenant, id);
    });

    it('fences every write by the lease; finishing moves the cursor with the delivery', async () => {
      await store.streams.create(stream('str_fence'));
      const now = T0 + 100_000;
      await store.streams.lease('w1', now, 5_000, []);
      const d = delivery('str_fence', 1, 10);
      assert.equal(await store.streams.begin(d, 'intruder'), false);
      assert.equal(await store.streams.begin(d, 'w1'), true);
      assert.deepEqual(await store.streams.pending(tenant, 'str_fence', null), d);
      assert.equal(
        await store.streams.finish(tenant, 'str_fence', d.id, 'delivered', null, 'intruder', now),
        false,
      );
      assert.equal(
        await store.streams.failed(
          tenant,
          'str_fence',
          d.id,
          { error: 'HTTP 503', nextAttemptAt: now + 1_000 },
          'w1',
          now,
        ),
        true,
      );
      const failing = await store.streams.get(tenant, 'str_fence');
      assert.equal(failing?.last_error, 'HTTP 503');
      assert.equal(failing?.next_attempt_at, now + 1_000);
      assert.equal((await store.streams.pending(tenant, 'str_fence', null))?.attempts, 1);
      assert.deepEqual(
        (await store.streams.deliveries(tenant, 'str_fence', 'failed', 10)).map((x) => x.id),
        [d.id],
        'a pending delivery whose last attempt failed is listed as failed',
      );
      assert.equal(
        await store.streams.finish(tenant, 'str_fence', d.id, 'delivered', null, 'w1', now + 2),
        true,
      );
      const moved = await store.streams.get(tenant, 'str_fence');
      assert.equal(moved?.cursor, 10);
      assert.equal(moved?.last_error, null, 'a delivery clears the last error');
      assert.equal(moved?.last_delivered_at, now + 2);
      assert.equal(await store.streams.pending(tenant, 'str_fence', null), null);
      assert.equal(
        await store.streams.finish(tenant, 'str_fence', d.id, 'delivered', null, 'w1', now),
        false,
        'once',
      );
      assert.equal(await store.streams.advance(tenant, 'str_fence', false, 14, 'intruder', now), false);
      assert.equal(await store.streams.advance(tenant, 'str_fence', false, 14, 'w1', now), true);
      assert.equal((await store.streams.get(tenant, 'str_fence'))?.cursor, 14);
      assert.equal(await store.streams.advance(tenant, 'str_fence', false, 12, 'w1', now), true);
      assert.equal((await store.streams.get(tenant, 'str_fence'))?.cursor, 14, 'a cursor never moves back');
      await store.streams.delete(tenant, 'str_fence');
    });

    it('shrinks a rejected batch, ends a dead letter past it, pauses a stream', async () => {
      await store.streams.create(stream('str_dead'));
      const now = T0 + 200_000;
      await store.streams.lease('w1', now, 5_000, []);
      const d = delivery('str_dead', 1, 8);
      await store.streams.begin(d, 'w1');
      const part = { id: 'str_dead.1-4', to_seq: 4, events: 4 };
      assert.equal(await store.streams.shrink(tenant, 'str_dead', d.id, part, 'intruder', now), false);
      assert.equal(await store.streams.shrink(tenant, 'str_dead', d.id, part, 'w1', now), true);
      const shrunk = await store.streams.pending(tenant, 'str_dead', null);
      assert.deepEqual(
        [shrunk?.id, shrunk?.from_seq, shrunk?.to_seq, shrunk?.events],
        ['str_dead.1-4', 1, 4, 4],
      );
      assert.equal(
        await store.streams.finish(tenant, 'str_dead', 'str_dead.1-4', 'dead', 'HTTP 422: no', 'w1', now),
        true,
      );
      assert.equal(
        (await store.streams.get(tenant, 'str_dead'))?.cursor,
        4,
        'the stream moves past a dead letter',
      );
      const dead = await store.streams.deliveries(tenant, 'str_dead', 'dead', 10);
      assert.deepEqual(
        dead.map((x) => [x.id, x.error]),
        [['str_dead.1-4', 'HTTP 422: no']],
      );
      assert.deepEqual(
        (await store.streams.deliveries(tenant, 'str_dead', 'failed', 10)).map((x) => x.id),
        ['str_dead.1-4'],
      );
      await store.streams.begin(delivery('str_dead', 5, 6), 'w1');
      await store.streams.failed(
        tenant,
        'str_dead',
        'str_dead.5-6',
        { error: 'HTTP 401', nextAttemptAt: now, state: 'paused' },
        'w1',
        now,
      );
      assert.equal((await store.streams.get(tenant, 'str_dead'))?.state, 'paused');
      assert.equal(
        await store.streams.lease('w2', now + 60_000, 5_000, []),
        null,
        'a paused stream is not leased',
      );
      await store.streams.delete(tenant, 'str_dead');
      assert.deepEqual(
        await store.streams.deliveries(tenant, 'str_dead', null, 10),
        [],
        'its deliveries go with it',
      );
    });

    it('moves a replay’s own cursor and clears the replay at its end', async () => {
      await store.streams.create(
        stream('str_replay', { cursor: 20, replay: { from_seq: 3, to_seq: 6, cursor: 2, n: 9 } }),
      );
      const now = T0 + 300_000;
      const leased = await store.streams.lease('w1', now, 5_000, []);
      assert.equal(leased?.id, 'str_replay', 'a replay is work even when the cursor is caught up');
      await store.streams.begin(delivery('str_replay', 3, 4, 9), 'w1');
      assert.equal(
        await store.streams.pending(tenant, 'str_replay', null),
        null,
        'the live cursor has none pending',
      );
      await store.streams.finish(tenant, 'str_replay', 'str_replay.r9.3-4', 'delivered', null, 'w1', now);
      let s = await store.streams.get(tenant, 'str_replay');
      assert.equal(s?.replay?.cursor, 4);
      assert.equal(s?.cursor, 20, 'the live cursor stays');
      await store.streams.advance(tenant, 'str_replay', true, 6, 'w1', now);
      s = await store.streams.get(tenant, 'str_replay');
      assert.equal(s?.replay, null, 'ended');
      await store.streams.delete(tenant, 'str_replay');
    });

    it('lags: the tenant’s last seq and when the first undelivered event was received, in one read', async () => {
      await store.streams.create(stream('str_lag', { cursor: 7 }));
      await store.streams.create(stream('str_done', { cursor: 20, created_at: T0 + 1 }));
      const lags = await store.streams.lags(tenant);
      assert.deepEqual(
        lags.map((l) => [l.id, l.last_seq, l.oldest_received_at]),
        [
          ['str_lag', 20, T0 + 5_000],
          ['str_done', 20, null],
        ],
      );
      assert.deepEqual(await store.streams.lags(other), []);
      assert.ok((await store.streams.lags(null)).length >= 2);
      await store.streams.delete(tenant, 'str_lag');
      await store.streams.delete(tenant, 'str_done');
    });

    it('prunes old delivered deliveries, never dead letters', async () => {
      await store.streams.create(stream('str_prune'));
      const now = T0 + 400_000;
      await store.streams.lease('w1', now, 5_000, []);
      await store.streams.begin(delivery('str_prune', 1, 2), 'w1');
      await store.streams.finish(tenant, 'str_prune', 'str_prune.1-2', 'delivered', null, 'w1', now);
      await store.streams.begin(delivery('str_prune', 3, 3), 'w1');
      await store.streams.finish(tenant, 'str_prune', 'str_prune.3-3', 'dead', 'no', 'w1', now);
      assert.equal(await store.streams.prune(now + 1, 100), 1);
      assert.deepEqual(
        (await store.streams.deliveries(tenant, 'str_prune', null, 10)).map((x) => x.state),
        ['dead'],
      );
      await store.streams.delete(tenant, 'str_prune');
    });
  });
}
