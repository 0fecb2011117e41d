import type { EventFilter, EventRow } from '../../core/query.js';

/** Where a tail's events go (the HTTP stream), and how it answers. */
export interface Sink {
  /**
   * Takes the next events, in seq order, as far as it can without waiting for its client: how
   * many it took, and whether it can take more now. When it cannot, the tail sits out rounds
   * until `resume()`, so a slow client never makes the server hold more than the sink buffers.
   */
  write(rows: readonly EventRow[]): { taken: number; more: boolean };
  /** The tail is over, nothing having failed: the server is closing, or the filter's `maxSeq` is passed. */
  end(): void;
  /** Reading the store failed: the tail is over. */
  fail(err: unknown): void;
}

/** A tail as its opener holds it. */
export interface OpenTail {
  /** The seq up to which every matching event has been handed to the sink. */
  readonly position: number;
  /** The sink can take more again (its client has read): the tail takes part in rounds again. */
  resume(): void;
  /** Leaves the hub, the client being gone; calling it again does nothing. */
  close(): void;
}

/** One tail in the hub: its filter, how far it has been fed, and whether it waits for its client. */
export class Tail implements OpenTail {
  /** The filter as text: tails with the same key at the same position share their reads. */
  readonly key: string;
  private waiting = false;
  private closed = false;

  constructor(
    readonly filter: EventFilter,
    public position: number,
    private readonly sink: Sink,
    private readonly leave: () => void,
  ) {
    this.key = JSON.stringify(filter);
  }

  resume(): void {
    this.waiting = false;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.leave();
  }

  /** Whether the next read includes it: open, its sink not full, and events it has not seen. */
  due(head: number): boolean {
    return !this.closed && !this.waiting && this.position < Math.min(head, this.filter.maxSeq ?? head);
  }

  /**
   * Hands the matching rows of the window that ends at `upTo` to the sink; returns how many it
   * took. All taken, the tail has seen every seq up to `upTo`; else up to the last one taken.
   */
  take(rows: readonly EventRow[], upTo: number): number {
    if (this.closed) return 0;
    const { taken, more } = rows.length > 0 ? this.sink.write(rows) : { taken: 0, more: true };
    this.position = taken === rows.length ? upTo : (rows[taken - 1]?.seq ?? this.position);
    this.waiting = !more;
    if (this.filter.maxSeq !== undefined && this.position >= this.filter.maxSeq) this.end();
    return taken;
  }

  end(): void {
    if (this.closed) return;
    this.close();
    this.sink.end();
  }

  fail(err: unknown): void {
    if (this.closed) return;
    this.close();
    this.sink.fail(err);
  }
}
