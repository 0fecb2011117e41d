/**
 * The engine-neutral query every API dialect compiles to. Within one field the values OR
 * together; across fields they AND. Times are epoch milliseconds: `from` inclusive, `to` exclusive.
 */
export const FILTER_FIELDS = [
  'actor_id',
  'actor_type',
  'action',
  'category',
  'outcome',
  'service',
  'target_type',
  'target_id',
  'client_id',
  'ip',
  'session_id',
  'trace_id',
  'transaction_id',
] as const;

export type FilterField = (typeof FILTER_FIELDS)[number];

export interface EventFilter {
  fields?: Partial<Record<FilterField, string[]>>;
  from?: number;
  to?: number;
  /** Full-text terms, all of which must match. */
  q?: string;
  /** Only events with seq ≤ this: a frozen snapshot of an append-only log. */
  maxSeq?: number;
}

export type Order = 'asc' | 'desc';

/** A keyset position in (occurred_at, seq) order. */
export interface Position {
  occurredAt: number;
  seq: number;
}

export interface EventQuery extends EventFilter {
  order: Order;
  limit: number;
  /** Continue strictly after this position, in `order`. */
  after?: Position;
}

/** One stored event as the stores return it: the position plus the returned JSON text. */
export interface EventRow extends Position {
  json: string;
}

/** Splits free text into terms for full-text search; punctuation separates terms. */
export function searchTerms(q: string): string[] {
  return q
    .split(/[^\p{L}\p{N}_]+/u)
    .filter((t) => t.length > 0)
    .slice(0, 16);
}
