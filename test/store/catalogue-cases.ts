import { prepareEvent } from '../../src/core/event/prepare.js';
import type { EventInput } from '../../src/core/event/schema.js';
import {
  CONDITIONS,
  type ConditionName,
  type ConditionStorage,
  FIELDS,
  type FieldStorage,
  type FilterField,
  type Path,
} from '../../src/core/filter-catalogue.js';
import { type EventFilter, searchTerms, tokenize } from '../../src/core/query.js';

/** A stored event as its JSON reads. */
export type StoredEvent = Record<string, unknown> & { seq: number; occurred_at: string };

/** A filter and which events it must select, by a reading of the JSON that is no engine's. */
export interface FilterCase {
  filter: EventFilter;
  selects: (e: StoredEvent) => boolean;
}

/** One catalogue row: its name, kind, and the cases it is tested by over the stored events. */
export interface CatalogueRow {
  name: string;
  kind: string;
  cases: (events: StoredEvent[]) => FilterCase[];
}

const NO_SUCH_VALUE = 'no-such-value';

const at = (e: unknown, path: Path): unknown =>
  path.reduce<unknown>(
    (v, k) => (v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined),
    e,
  );

/** A filter of one member, named by a catalogue row. */
const only = (name: string, value: unknown) => ({ [name]: value }) as EventFilter;

const strings = (v: unknown): string[] =>
  (Array.isArray(v) ? v : [v]).filter((x): x is string => typeof x === 'string');

/** The distinct values `valuesOf` finds, the rarest first (ties by value), so a case selects few events. */
function rarestFirst(events: StoredEvent[], valuesOf: (e: StoredEvent) => string[]): string[] {
  const counts = new Map<string, number>();
  for (const e of events) for (const v of new Set(valuesOf(e))) counts.set(v, (counts.get(v) ?? 0) + 1);
  return [...counts].sort(([a, m], [b, n]) => m - n || (a < b ? -1 : 1)).map(([v]) => v);
}

/** A filter of values: the rarest one, the two rarest (OR), and one no event has. */
function valueCases(
  events: StoredEvent[],
  valuesOf: (e: StoredEvent) => string[],
  filterOf: (values: string[]) => EventFilter,
): FilterCase[] {
  const choices = rarestFirst(events, valuesOf);
  return [choices.slice(0, 1), choices.slice(0, 2), [NO_SUCH_VALUE]].map((values) => ({
    filter: filterOf(values),
    selects: (e) => valuesOf(e).some((v) => values.includes(v)),
  }));
}

/** The values an event has for a field, as the catalogue says they are stored. */
function fieldValues(s: FieldStorage): (e: StoredEvent) => string[] {
  switch (s.kind) {
    case 'column':
    case 'json':
    case 'side':
      return (e) => strings(at(e, s.path));
    case 'member':
      return (e) => {
        const list = at(e, s.path);
        return Array.isArray(list) ? list.flatMap((el) => strings(at(el, [s.member]))) : [];
      };
  }
}

function fieldRow(name: FilterField): CatalogueRow {
  const s: FieldStorage = FIELDS[name];
  return {
    name,
    kind: s.kind,
    cases: (events) =>
      valueCases(events, fieldValues(s), (values) => ({
        fields: only(name, values) as EventFilter['fields'],
      })),
  };
}

/** The terms an event is found by: those of its indexed text. */
const termsOf = (e: StoredEvent): string[] => tokenize(prepareEvent(e as unknown as EventInput).index.text);

function conditionCases(name: ConditionName, s: ConditionStorage, events: StoredEvent[]): FilterCase[] {
  switch (s.kind) {
    case 'bound': {
      const numberOf = (e: StoredEvent) => (s.column === 'seq' ? e.seq : Date.parse(e.occurred_at));
      const sorted = events.map(numberOf).sort((a, b) => a - b);
      const middle = sorted[Math.floor(sorted.length / 2)] as number;
      const holds = (v: number) => (s.op === '>=' ? v >= middle : s.op === '<' ? v < middle : v <= middle);
      return [{ filter: only(name, middle), selects: (e) => holds(numberOf(e)) }];
    }
    case 'anyColumn': {
      // Each column alone, by its rarest value, then all of them together.
      const rarest = s.columns.map((c) => rarestFirst(events, (e) => strings(at(e, c.path)))[0] as string);
      const sets = [...rarest.map((v) => [v]), rarest, [NO_SUCH_VALUE]];
      return sets.map((values) => ({
        filter: only(name, values),
        selects: (e) => s.columns.some((c) => strings(at(e, c.path)).some((v) => values.includes(v))),
      }));
    }
    case 'flag':
      return [true, false].map((flag) => ({
        filter: only(name, flag),
        selects: (e) => (at(e, s.path) === true) === flag,
      }));
    case 'shown': {
      const shown = (e: StoredEvent): string[] => {
        const own = at(e, s.path);
        if (typeof own === 'string') return [own];
        return [at(e, FIELDS[s.field].path) === s.equals ? s.shows : s.otherwise];
      };
      return [...rarestFirst(events, shown), NO_SUCH_VALUE].map((value) => ({
        filter: only(name, value),
        selects: (e) => shown(e).includes(value),
      }));
    }
    case 'prefix': {
      // A value cut short (its events and any others sharing the start), a whole value, and none.
      const values = rarestFirst(events, (e) => strings(at(e, s.path)));
      const value = values[0] as string;
      const prefixes = [value.slice(0, Math.ceil(value.length / 2)), value, NO_SUCH_VALUE];
      return prefixes.map((prefix) => ({
        filter: only(name, prefix),
        selects: (e) => strings(at(e, s.path)).some((v) => v.startsWith(prefix)),
      }));
    }
    case 'text': {
      // The rarest term, it AND the commonest, and text without a term (which matches nothing).
      const terms = rarestFirst(events, termsOf);
      const queries = [terms[0], `${terms[0]} ${terms.at(-1)}`, '!!!'] as string[];
      return queries.map((query) => ({
        filter: only(name, query),
        selects: (e) => {
          const wanted = searchTerms(query);
          const own = termsOf(e);
          return wanted.length > 0 && wanted.every((t) => own.includes(t));
        },
      }));
    }
  }
}

/**
 * A row per filter of the catalogue, fields and conditions alike: a new row is tested on every
 * engine without a line here, and a new kind of row does not compile until it is read here.
 */
export const catalogueRows: CatalogueRow[] = [
  ...(Object.keys(FIELDS) as FilterField[]).map(fieldRow),
  ...(Object.keys(CONDITIONS) as ConditionName[]).map((name) => ({
    name,
    kind: CONDITIONS[name].kind,
    cases: (events: StoredEvent[]) => conditionCases(name, CONDITIONS[name], events),
  })),
];
