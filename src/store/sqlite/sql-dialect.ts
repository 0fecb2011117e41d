import type { Path } from '../../core/filter-catalogue.js';
import type { EventFilter } from '../../core/query.js';
import { sqlCompiler } from '../sql/compile.js';
import type { SqlDialect } from '../sql/dialect.js';

/**
 * Indexes that return one field value's events already in (occurred_at, seq) order, most
 * selective first. Without statistics SQLite's planner often prefers walking events_time and
 * filtering; an equality on one of these fields never reads more rows through its own index.
 */
const ORDERED_INDEXES: [string, string[]][] = [
  ['events_target', ['target_type', 'target_id']],
  ['events_txn', ['transaction_id']],
  ['events_trace', ['trace_id']],
  ['events_session', ['session_id']],
  ['events_actor', ['actor_id']],
  ['events_actor_home_org', ['actor_home_org_id']],
  ['events_target_id', ['target_id']],
  ['events_client', ['client_id']],
  ['events_action', ['action']],
  ['events_service', ['service']],
];

function indexFor(f: EventFilter): string {
  const single = (field: string) =>
    (f.fields as Record<string, string[] | undefined> | undefined)?.[field]?.length === 1;
  const hit = ORDERED_INDEXES.find(([, cols]) => cols.every(single));
  return hit ? ` INDEXED BY ${hit[0]}` : '';
}

/**
 * The change rows summed from an index that holds them (events_rows, or events_type_rows when
 * target types are filtered) when nothing else needs the event: no event is read.
 */
function rowsIndexFor(f: EventFilter): string {
  const only = Object.entries(f.fields ?? {}).every(([k, v]) => k === 'target_type' || !v?.length);
  if (!only || f.actorIdOrLogin?.length || f.q !== undefined) return '';
  return ` INDEXED BY ${f.fields?.target_type?.length ? 'events_type_rows' : 'events_rows'}`;
}

/** An FTS5 query for every one of the terms (tokenize's terms: letters, digits and `_` only). */
export const matchExpression = (terms: readonly string[]): string => terms.map((t) => `"${t}"`).join(' ');

const jsonPath = (path: Path) => `'$.${path.join('.')}'`;

export const sqliteDialect: SqlDialect = {
  bind(params, value) {
    params.push(value);
    return '?';
  },
  bindAgain(params, _placeholder, value) {
    params.push(value);
    return '?';
  },
  oneOf(params, expr, values) {
    params.push(...values);
    return `${expr} IN (${values.map(() => '?').join(', ')})`;
  },
  jsonText: (path) => `json_extract(body, ${jsonPath(path)})`,
  jsonTextOr: (path, fallback) => `coalesce(json_extract(body, ${jsonPath(path)}), ${fallback})`,
  anyElement: (path, member, test) =>
    `EXISTS (SELECT 1 FROM json_each(body, ${jsonPath(path)}) a WHERE ${test(`json_extract(a.value, '$.${member}')`)})`,
  bool: (value) => Number(value),
  time(params, ms) {
    params.push(ms);
    return '?';
  },
  text(params, terms) {
    // No searchable term at all matches nothing, rather than everything. Not the constant 0:
    // SQLite folds it away and then finds "no query solution" for an INDEXED BY (indexFor).
    if (terms.length === 0) return 'seq < 0';
    params.push(matchExpression(terms));
    return 'rowid IN (SELECT rowid FROM events_fts WHERE events_fts MATCH ?)';
  },
  rowText(params, terms) {
    if (terms.length === 0) return 'seq < 0';
    params.push(matchExpression(terms));
    // Correlated, so each row of the window is one lookup: `rowid IN (…)` above lists every
    // match of the terms first, the whole tenant's for a common one.
    return 'EXISTS (SELECT 1 FROM events_fts WHERE events_fts MATCH ? AND events_fts.rowid = events.rowid)';
  },
  rowColumns: 'occurred_at AS occurredAt, seq, body AS json',
  // BINARY, SQLite's default collation, compares bytes.
  bytewise: (column) => column,
  // A window is a seq range: without the name the planner may walk a filter's index instead.
  hint: (statement, f) =>
    statement === 'window' ? ' INDEXED BY events_seq' : statement === 'list' ? indexFor(f) : rowsIndexFor(f),
};

export const sqliteSql = sqlCompiler(sqliteDialect);
