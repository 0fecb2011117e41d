import { setImmediate as nextTurn } from 'node:timers/promises';
import { TrailkeepError } from '../../core/errors.js';
import type { EventFilter, EventRow } from '../../core/query.js';
import type { EventStore } from '../../store/types.js';
import type { Metrics } from '../metrics.js';
import { type OpenTail, type Sink, Tail } from './tail.js';

export type { OpenTail, Sink } from './tail.js';

/**
 * The most seqs one read covers: a tail far behind (a resumed client, a burst of ingest) catches
 * up window by window, each a few hundred rows in memory, shared by the tails that read it.
 */
export const WINDOW_SEQS = 500;

export interface TailHubOptions {
  /** How often the tenants with open tails are polled for their last seq. */
  pollMs: number;
  windowSeqs?: number;
}

/**
 * Live tails of this node: each is a tenant, a filter and a position (a seq), fed from the store,
 * never from what this process saw written, so an event written through any node sharing the
 * database reaches every node's tails.
 *
 * While tails are open, a round every `pollMs` reads each of their tenants' last seq (one cheap
 * read per tenant, whatever the number of tails). When it has moved past a tail's position, the
 * new seqs are read in windows with the tail's filter, in seq order; tails with the same filter
 * at the same position share each window's read, so a hundred viewers of one tenant cost one
 * read per window, not a hundred. Seqs of a tenant commit in order on both engines, so a window
 * that ends at a last seq read before it is complete: nothing committed later can land in it.
 *
 * A tail whose sink is full (a slow client) is left out of rounds until it says it can take
 * more; it then reads from its own position, alone until it has caught up with the others.
 * Nothing starts on construction: the first tail starts the rounds, the last one's close stops
 * them.
 */
export class TailHub {
  private readonly tenants = new Map<string, Set<Tail>>();
  private timer: NodeJS.Timeout | undefined;
  private round: Promise<void> | undefined;
  /** A tail opened during the round in flight: the next round follows at once. */
  private rerun = false;
  private closed = false;
  private readonly windowSeqs: number;

  constructor(
    private readonly events: Pick<EventStore, 'lastSeq' | 'window'>,
    private readonly options: TailHubOptions,
    private readonly metrics: Pick<Metrics, 'streamsOpen' | 'streamedEvents' | 'streamReads'>,
  ) {
    this.windowSeqs = options.windowSeqs ?? WINDOW_SEQS;
  }

  /** The tenant's last seq: where a tail that asks for no earlier events starts. */
  head(tenant: string): Promise<number> {
    return this.events.lastSeq(tenant);
  }

  /**
   * A tail of `tenant`'s events that `filter` selects, from the seq after `after` on (or after
   * the filter's `minSeq` bound, when that is later), handed to `sink` in seq order.
   */
  open(tenant: string, filter: EventFilter, after: number, sink: Sink): OpenTail {
    if (this.closed) {
      throw new TrailkeepError('unavailable', 'This node is shutting down; reconnect to resume the stream.');
    }
    const start = Math.max(after, (filter.minSeq ?? 1) - 1);
    const tail = new Tail(filter, start, sink, () => this.leave(tenant, tail));
    const tails = this.tenants.get(tenant) ?? new Set<Tail>();
    this.tenants.set(tenant, tails.add(tail));
    this.metrics.streamsOpen.inc();
    this.wake();
    return tail;
  }

  /** Ends every tail (the server is closing) once the round in flight is done, and opens no more. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.round;
    for (const tails of [...this.tenants.values()]) for (const tail of [...tails]) tail.end();
  }

  private leave(tenant: string, tail: Tail): void {
    const tails = this.tenants.get(tenant);
    if (!tails?.delete(tail)) return;
    this.metrics.streamsOpen.dec();
    if (tails.size > 0) return;
    this.tenants.delete(tenant);
    if (this.tenants.size === 0) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
  }

  /**
   * A round as soon as possible, for a tail just opened: one that starts behind (resumed, or from
   * `min_seq`) gets what it missed at once rather than a poll interval later.
   */
  private wake(): void {
    if (this.round) {
      this.rerun = true;
      return;
    }
    clearTimeout(this.timer);
    this.timer = undefined;
    this.schedule(0);
  }

  /** The next round after `delayMs`, unless one is due or running, or no tail is open. */
  private schedule(delayMs = this.options.pollMs): void {
    if (this.timer || this.round || this.closed || this.tenants.size === 0) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.round = this.poll().finally(() => {
        this.round = undefined;
        const again = this.rerun;
        this.rerun = false;
        this.schedule(again ? 0 : this.options.pollMs);
      });
    }, delayMs);
  }

  private async poll(): Promise<void> {
    await Promise.all([...this.tenants].map(([tenant, tails]) => this.pollTenant(tenant, tails)));
  }

  /**
   * Brings every tail of the tenant that can take more up to its last seq, window by window. A
   * failed read ends the tenant's tails: their clients resume from their last event.
   */
  private async pollTenant(tenant: string, tails: Set<Tail>): Promise<void> {
    try {
      const head = await this.events.lastSeq(tenant);
      for (;;) {
        const groups = new Map<string, Tail[]>();
        for (const tail of tails) {
          if (!tail.due(head)) continue;
          const key = `${tail.position} ${tail.key}`;
          const group = groups.get(key);
          if (group) group.push(tail);
          else groups.set(key, [tail]);
        }
        if (groups.size === 0) return;
        for (const group of groups.values()) await this.read(tenant, group, head);
        // SQLite reads are synchronous: between windows, the sockets drain and others are served.
        await nextTurn();
      }
    } catch (err) {
      for (const tail of [...tails]) tail.fail(err);
    }
  }

  /** One window read for tails at one position with one filter, handed to each of them. */
  private async read(tenant: string, group: Tail[], head: number): Promise<void> {
    const { position, filter } = group[0] as Tail;
    const upTo = Math.min(head, position + this.windowSeqs, filter.maxSeq ?? head);
    const rows: readonly EventRow[] = await this.events.window(tenant, filter, position, upTo);
    this.metrics.streamReads.inc();
    for (const tail of group) this.metrics.streamedEvents.inc(tail.take(rows, upTo));
  }
}
