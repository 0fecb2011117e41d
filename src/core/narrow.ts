import { FIELDS, type FieldStorage, type FilterField } from './filter-catalogue.js';
import { type EventFilter, searchTerms } from './query.js';

/**
 * A filter no event matches: seqs start at 1. What ANDing two filters gives when they cannot
 * both hold (two actors, `automatic` true and false), since an empty list of values would read
 * as no condition at all.
 */
export const MATCHES_NOTHING: EventFilter = Object.freeze({ maxSeq: 0 });

const NOTHING = Symbol('nothing');

/**
 * How two values of one member combine into one that selects exactly the events both select;
 * NOTHING when no event can; `also` takes a filter that must hold besides, when the member
 * cannot express both conditions (EventFilter `all`).
 */
type Rule<K extends keyof EventFilter> = (
  a: NonNullable<EventFilter[K]>,
  b: NonNullable<EventFilter[K]>,
  also: (filter: EventFilter) => void,
) => EventFilter[K] | typeof NOTHING;

/** Values of a member that holds one value per event: an event matches both lists only through their intersection. */
function intersect(a: readonly string[], b: readonly string[]): string[] | typeof NOTHING {
  const both = a.filter((v) => b.includes(v));
  return both.length > 0 ? both : NOTHING;
}

/**
 * Values of a member an event may hold several of (its IPs, its attributes, its actor's id and
 * login): an event can match each list through a different value, so the intersection would
 * lose it. When one list holds the other, the smaller one says it all; else both must hold.
 */
function bothLists(a: readonly string[], b: readonly string[], also: () => void): string[] | typeof NOTHING {
  if (a.every((v) => b.includes(v))) return [...a];
  if (b.every((v) => a.includes(v))) return [...b];
  also();
  return [...a];
}

/** Whether an event holds at most one value of a field. */
const SINGLE: Record<FieldStorage['kind'], boolean> = {
  column: true,
  json: true,
  member: false,
  side: false,
};

/** Both flags or both shown results: the same value, else no event. */
const same = <T>(a: T, b: T): T | typeof NOTHING => (a === b ? a : NOTHING);

/** The most terms a `q` is read with (core/query.ts searchTerms). */
const MAX_TERMS = 16;

/**
 * One rule per member of EventFilter. `satisfies` names every member: a new member without a
 * rule here does not compile, nor does a rule without a member.
 */
const RULES = {
  fields: (a, b, also) => {
    const out: NonNullable<EventFilter['fields']> = { ...a };
    for (const [name, values] of Object.entries(b) as [FilterField, string[] | undefined][]) {
      const mine = out[name];
      // An empty list is no condition (store/sql/compile.ts skips it).
      if (!values?.length) continue;
      if (!mine?.length) {
        out[name] = values;
        continue;
      }
      const both = SINGLE[FIELDS[name].kind]
        ? intersect(mine, values)
        : bothLists(mine, values, () => also({ fields: { [name]: values } }));
      if (both === NOTHING) return NOTHING;
      out[name] = both;
    }
    return out;
  },
  from: (a, b) => Math.max(a, b),
  // An action starts with both only if one prefix starts with the other: the longer says it all.
  actionPrefix: (a, b) => (a.startsWith(b) ? a : b.startsWith(a) ? b : NOTHING),
  to: (a, b) => Math.min(a, b),
  minSeq: (a, b) => Math.max(a, b),
  maxSeq: (a, b) => Math.min(a, b),
  q: (a, b, also) => {
    const mine = searchTerms(a);
    const theirs = searchTerms(b);
    // Text without a term matches nothing, and so does anything ANDed with it.
    if (mine.length === 0 || theirs.length === 0) return NOTHING;
    if (new Set([...mine, ...theirs]).size <= MAX_TERMS) return `${a} ${b}`;
    // Past the terms one q is read with, the second q's terms would be dropped unread.
    also({ q: b });
    return a;
  },
  actorIdOrLogin: (a, b, also) => bothLists(a, b, () => also({ actorIdOrLogin: b })),
  automatic: same,
  privileged: same,
  result: same,
  all: (a, b) => [...a, ...b],
} satisfies { [K in keyof EventFilter]-?: Rule<K> };

const MEMBERS = Object.keys(RULES) as (keyof EventFilter)[];

/**
 * The filter that selects exactly the events both `a` and `b` select: per field the values
 * both allow, the later `from` and the earlier `to`, the narrower seq range, the longer of two
 * action prefixes when one extends the other, the terms of both (a's first), one flag or result
 * if both name the same. What one member cannot hold of both
 * goes to `all`; contradictions give MATCHES_NOTHING. A viewer token's narrowing is ANDed into
 * every read through it this way (docs/embedding.md).
 */
export function andFilters(a: EventFilter, b: EventFilter): EventFilter {
  const out: EventFilter = {};
  const also: EventFilter[] = [];
  const add = (f: EventFilter) => also.push(f);
  for (const member of MEMBERS) {
    const mine = a[member];
    const theirs = b[member];
    if (mine === undefined && theirs === undefined) continue;
    const rule = RULES[member] as Rule<typeof member>;
    const value = mine === undefined ? theirs : theirs === undefined ? mine : rule(mine, theirs, add);
    if (value === NOTHING) return MATCHES_NOTHING;
    (out as Record<string, unknown>)[member] = value;
  }
  if (also.length > 0) out.all = [...(out.all ?? []), ...also];
  return out;
}
