import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { deliveryId, retryDelayMs } from '../../core/streams/backoff.js';
import type { StreamAction } from '../../core/streams/events.js';
import type { Delivery, StreamRecord } from '../../core/streams/stream.js';
import type { EventStore, LogStore, StreamStore } from '../../store/types.js';
import { type Batch, BatchReader } from './batches.js';
import type { Destination, SendOutcome } from './destinations/types.js';
import type { OpenDestinations } from './open.js';

export interface StreamWorkerDeps {
  streams: StreamStore;
  events: Pick<EventStore, 'window' | 'lastSeq'>;
  log: Pick<LogStore, 'latest'>;
  destinations: OpenDestinations;
  /** Records what a delivery came to as an event of the tenant (core/streams/events.ts). */
  record(
    stream: StreamRecord,
    action: StreamAction,
    details: Record<string, string | number | null>,
  ): Promise<void>;
  /** Counts each attempt's outcome and the records delivered. */
  counted?(outcome: SendOutcome['kind'], records: number): void;
}

export interface StreamWorkerOptions {
  /** Streams delivered at once by this node; 0 makes start() do nothing. */
  concurrency: number;
  leaseMs: number;
  pollMs: number;
  maxBackoffMs: number;
  clock?: () => number;
  log?: { warn(obj: object, msg: string): void };
  name?: string;
}

/** How a step ended: go on with the next batch, wait until a time, or stop (the lease is gone). */
type Step = { kind: 'more' } | { kind: 'wait'; until: number } | { kind: 'lost' };

/** The longest one stream holds a worker while others may be waiting for one. */
const TURN_MS = 5_000;

/** How long deliveries are listed after they succeed (dead letters stay until their stream goes). */
const KEEP_DELIVERED_MS = 7 * 86_400_000;

/**
 * Delivers streams: leases a due stream from the store, sends its batches in seq order until it
 * is caught up, has to wait, or has had its turn (TURN_MS, or half its lease if shorter), then
 * gives it back, so busy streams take turns on the workers. Every
 * node runs one; the store's leases decide who delivers what, and a killed node's streams are
 * taken over once its leases lapse. The pending delivery recorded before each first attempt
 * makes the taker send the very same batch under the same id.
 */
export class StreamWorker {
  readonly name: string;
  private readonly active = new Map<string, { abort: AbortController; done: Promise<void> }>();
  private readonly clock: () => number;
  private timer: NodeJS.Timeout | undefined;
  private stopped = true;
  private polling = false;
  private lastPrune = 0;
  private readonly batches: BatchReader;
  private log: StreamWorkerOptions['log'];

  constructor(
    private readonly deps: StreamWorkerDeps,
    private readonly options: StreamWorkerOptions,
  ) {
    this.name = options.name ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
    this.clock = options.clock ?? Date.now;
    this.batches = new BatchReader(deps.events, (s) => deps.destinations.piiKeyOf(s));
    this.log = options.log;
  }

  /** Starts polling for due streams; `log` takes the warnings (failed leases, failed recordings). */
  start(log?: StreamWorkerOptions['log']): void {
    if (log) this.log = log;
    if (!this.stopped || this.options.concurrency <= 0) return;
    this.stopped = false;
    this.schedule(0);
  }

  /** Stops leasing, asks running deliveries to stop (an attempt under way is abandoned: it is sent again), waits for them. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    for (const run of this.active.values()) run.abort.abort();
    await Promise.allSettled([...this.active.values()].map((r) => r.done));
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.poll(), ms);
    this.timer.unref();
  }

  private async poll(): Promise<void> {
    if (this.polling || this.stopped) return;
    this.polling = true;
    try {
      while (!this.stopped && this.active.size < this.options.concurrency) {
        const now = this.clock();
        const stream = await this.deps.streams.lease(this.name, now, this.options.leaseMs, [
          ...this.active.keys(),
        ]);
        if (!stream) break;
        this.run(stream);
      }
      if (this.clock() - this.lastPrune > 3_600_000) {
        this.lastPrune = this.clock();
        await this.deps.streams.prune(this.clock() - KEEP_DELIVERED_MS, 10_000);
      }
    } catch (err) {
      this.log?.warn({ err }, 'stream leasing failed; retrying');
    } finally {
      this.polling = false;
      this.schedule(this.options.pollMs);
    }
  }

  private run(leased: StreamRecord): void {
    const abort = new AbortController();
    const done = this.deliver(leased, abort.signal)
      .catch((err: unknown) => this.log?.warn({ err, stream: leased.id }, 'stream delivery failed; retrying'))
      .finally(() => {
        this.active.delete(leased.id);
        if (!this.stopped) this.schedule(0);
      });
    this.active.set(leased.id, { abort, done });
  }

  /** Delivers one leased stream for one turn, renewing its lease meanwhile; gives it back with when it is next due. */
  private async deliver(leased: StreamRecord, signal: AbortSignal): Promise<void> {
    const { streams } = this.deps;
    const { tenant, id } = leased;
    const lost = new AbortController();
    const renew = setInterval(() => {
      void streams
        .renew(tenant, id, this.name, this.clock() + this.options.leaseMs)
        .then((held) => held || lost.abort())
        .catch(() => {});
    }, this.options.leaseMs / 3);
    const both = AbortSignal.any([signal, lost.signal]);
    let next = this.clock() + this.options.pollMs;
    let destination: Destination | undefined;
    try {
      destination = this.deps.destinations.open(leased);
      const until = this.clock() + Math.min(TURN_MS, this.options.leaseMs / 2);
      while (!both.aborted && this.clock() < until) {
        const stream = await streams.get(tenant, id);
        if (stream?.state !== 'active' || stream.lease_owner !== this.name) return;
        const step = await this.step(stream, destination, both);
        if (step.kind === 'lost') return;
        if (step.kind === 'wait') {
          next = step.until;
          break;
        }
        next = this.clock();
      }
    } finally {
      clearInterval(renew);
      await destination?.close().catch(() => {});
      if (!lost.signal.aborted) await streams.release(tenant, id, this.name, next).catch(() => {});
    }
  }

  /** One batch: the pending one, or the next one read from the cursor. */
  private async step(stream: StreamRecord, destination: Destination, signal: AbortSignal): Promise<Step> {
    const replay = stream.replay;
    const n = replay?.n ?? null;
    let pending = await this.deps.streams.pending(stream.tenant, stream.id, n);
    let batch: Batch;
    const now = this.clock();
    if (pending) {
      batch = await this.batches.read(stream, pending.from_seq - 1, pending.to_seq, Number.MAX_SAFE_INTEGER);
    } else {
      const after = replay ? replay.cursor : stream.cursor;
      const end = replay ? replay.to_seq : await this.deps.events.lastSeq(stream.tenant);
      if (after >= end) return { kind: 'wait', until: now + this.options.pollMs };
      batch = await this.batches.read(stream, after, end, stream.batch.max_events);
      if (batch.records.length === 0) {
        const moved = await this.deps.streams.advance(
          stream.tenant,
          stream.id,
          replay !== null,
          batch.toSeq,
          this.name,
          now,
        );
        return moved ? { kind: 'more' } : { kind: 'lost' };
      }
      // A batch short of its limits waits for more until max_wait_ms after the previous one went.
      const lastWent = stream.last_delivered_at ?? 0;
      if (!batch.full && replay === null && now - lastWent < stream.batch.max_wait_ms)
        return { kind: 'wait', until: lastWent + stream.batch.max_wait_ms };
      pending = {
        id: deliveryId(stream.id, n, after + 1, batch.toSeq),
        tenant: stream.tenant,
        stream: stream.id,
        from_seq: after + 1,
        to_seq: batch.toSeq,
        events: batch.records.length,
        state: 'pending',
        replay: n,
        attempts: 0,
        created_at: now,
        updated_at: now,
        error: null,
      };
      if (!(await this.deps.streams.begin(pending, this.name))) return { kind: 'lost' };
    }
    return this.attempt(stream, destination, pending, batch, signal);
  }

  private async attempt(
    stream: StreamRecord,
    destination: Destination,
    pending: Delivery,
    batch: Batch,
    signal: AbortSignal,
  ): Promise<Step> {
    const { streams } = this.deps;
    const checkpoint = (await this.deps.log.latest(stream.tenant))?.note ?? null;
    const outcome = await destination.send(
      {
        id: pending.id,
        tenant: stream.tenant,
        stream: stream.id,
        streamName: stream.name,
        format: stream.format,
        fromSeq: pending.from_seq,
        toSeq: pending.to_seq,
        records: batch.records,
        checkpoint,
        createdAt: pending.created_at,
      },
      signal,
    );
    if (signal.aborted) return { kind: 'lost' };
    this.deps.counted?.(outcome.kind, outcome.kind === 'accepted' ? batch.records.length : 0);
    const now = this.clock();
    const ended = (ok: boolean): Step => (ok ? { kind: 'more' } : { kind: 'lost' });
    switch (outcome.kind) {
      case 'accepted':
        return ended(
          await streams.finish(stream.tenant, stream.id, pending.id, 'delivered', null, this.name, now),
        );
      case 'rejected': {
        if (batch.records.length > 1) {
          // Halve until the one record the destination refuses is alone; the others go in their halves.
          const half = batch.records.slice(0, Math.floor(batch.records.length / 2));
          const toSeq = (half[half.length - 1] as { seq: number }).seq;
          const part = {
            id: deliveryId(stream.id, pending.replay, pending.from_seq, toSeq),
            to_seq: toSeq,
            events: half.length,
          };
          return ended(await streams.shrink(stream.tenant, stream.id, pending.id, part, this.name, now));
        }
        const dead = await streams.finish(
          stream.tenant,
          stream.id,
          pending.id,
          'dead',
          outcome.error,
          this.name,
          now,
        );
        if (dead)
          await this.note(stream, 'dead_letter', {
            delivery: pending.id,
            seq: batch.records[0]?.seq ?? null,
            error: outcome.error,
          });
        return ended(dead);
      }
      case 'refused':
      case 'gone': {
        const state = outcome.kind === 'refused' ? 'paused' : 'disabled';
        const ok = await streams.failed(
          stream.tenant,
          stream.id,
          pending.id,
          { error: outcome.error, nextAttemptAt: now, state },
          this.name,
          now,
        );
        if (ok)
          await this.note(stream, outcome.kind === 'refused' ? 'refused' : 'disable', {
            delivery: pending.id,
            error: outcome.error,
          });
        return ok ? { kind: 'wait', until: now } : { kind: 'lost' };
      }
      case 'retry': {
        const failures = pending.attempts + 1;
        const until = now + retryDelayMs(failures, this.options.maxBackoffMs, outcome.retryAfterMs);
        const ok = await streams.failed(
          stream.tenant,
          stream.id,
          pending.id,
          { error: outcome.error, nextAttemptAt: until },
          this.name,
          now,
        );
        // The first failure of a delivery is recorded; its further retries show on the stream and /metrics.
        if (ok && failures === 1)
          await this.note(stream, 'retry', {
            delivery: pending.id,
            error: outcome.error,
            retry_at: new Date(until).toISOString(),
          });
        return ok ? { kind: 'wait', until } : { kind: 'lost' };
      }
    }
  }

  private async note(
    stream: StreamRecord,
    action: StreamAction,
    details: Record<string, string | number | null>,
  ) {
    await this.deps
      .record(stream, action, details)
      .catch((err: unknown) =>
        this.log?.warn({ err, stream: stream.id, action }, 'recording a stream event failed'),
      );
  }
}
