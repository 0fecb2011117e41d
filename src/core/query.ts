import type { FilterField } from './filter-catalogue.js';

export { FILTER_FIELDS, type FilterField } from './filter-catalogue.js';

/**
 * The engine-neutral query every API dialect compiles to. Within one field the values OR
 * together; across fields they AND. Times are epoch milliseconds: `from` inclusive, `to` exclusive.
 * How each member is stored and read: core/filter-catalogue.ts.
 */
export interface EventFilter {
  fields?: Partial<Record<FilterField, string[]>>;
  from?: number;
  to?: number;
  /** Full-text terms, all of which must match. */
  q?: string;
  /** Only events whose action starts with this (the viewer's `action:user.*`). */
  actionPrefix?: string;
  /** Only events with seq ≥ this. */
  minSeq?: number;
  /** Only events with seq ≤ this: a range of the log, or a frozen snapshot of it. */
  maxSeq?: number;
  /** Only events whose actor id or actor login is one of these (LivePerson `users`). */
  actorIdOrLogin?: string[];
  /** Only events with this `automatic` flag. */
  automatic?: boolean;
  /** Only events whose actor has this `privileged` flag (absent counts as false). */
  privileged?: boolean;
  /**
   * Only events with this result as shown (docs/event-model.md §3): `auth.result`, else `Failure` for a
   * failure outcome and `Success` otherwise (a warning still succeeded).
   */
  result?: string;
}

/**
 * `filter` cut at `seq`: the events it selects among those up to `seq`, as the log stood then
 * (a job's snapshot, a checkpoint's size). The log is append-only, so that set never changes.
 */
export const upToSeq = (filter: EventFilter, seq: number): EventFilter => ({
  ...filter,
  maxSeq: Math.min(filter.maxSeq ?? seq, seq),
});

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
  /** Skip this many rows first (offset paging, for dialects that demand page numbers). */
  offset?: number;
  /**
   * One page of a whole range read page after page (services/scan.ts: exports, downloads):
   * an engine may serve it apart from interactive pages. SQLite reads it on a connection of its
   * own with a small page cache, so a scan neither fills the cache the queries use nor grows
   * the process by it.
   */
  scan?: boolean;
}

/** A distinct (service, target type, action) combination found in a tenant's events. */
export interface Facet {
  service: string | null;
  target_type: string | null;
  action: string;
}

/** One stored event as the stores return it: the position plus the returned JSON text. */
export interface EventRow extends Position {
  json: string;
}

/** Nothing outside ASCII: no code unit at or above U+0080. */
const ASCII = /^[^\u0080-\uffff]*$/;

/**
 * Splits text into search tokens the same way for every engine: accents folded, lower case,
 * anything but letters, digits and `_` separates. Both the indexed text and `q` go through it,
 * so what matches does not depend on an engine's own parser.
 */
export function tokenize(text: string): string[] {
  // ASCII (most audit text) has no marks and no compatibility forms: the same terms, cheaper.
  if (ASCII.test(text))
    return text
      .toLowerCase()
      .split(/[^a-z0-9_]+/)
      .filter((t) => t.length > 0);
  return text
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .split(/[^\p{L}\p{N}_]+/u)
    .filter((t) => t.length > 0);
}

/** The terms of a full-text query `q`, all of which must match; at most 16. */
export const searchTerms = (q: string): string[] => [...new Set(tokenize(q))].slice(0, 16);

/**
 * The least string above every string that starts with `prefix`, in code point order (which is
 * UTF-8 byte order, how both engines compare bytewise), or null when there is none (a prefix of
 * nothing but U+10FFFF). Lets a prefix be an index range: `prefix <= v < prefixEnd(prefix)`.
 */
export function prefixEnd(prefix: string): string | null {
  const points = [...prefix].map((c) => c.codePointAt(0) as number);
  while (points.length > 0) {
    const last = (points.pop() as number) + 1;
    if (last > 0x10ffff) continue;
    // Surrogates are not characters: the next code point after U+D7FF is U+E000.
    points.push(last === 0xd800 ? 0xe000 : last);
    return String.fromCodePoint(...points);
  }
  return null;
}
