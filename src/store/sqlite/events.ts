import {
  type EventFilter,
  type EventQuery,
  type EventRow,
  type Facet,
  type FilterField,
  JSON_FIELDS,
  searchTerms,
} from '../../core/query.js';
import { appendOne } from '../append-one.js';
import { fromCursor } from '../keyset.js';
import type { EventStore } from '../types.js';
import { type Db, StatementCache } from './db.js';

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

/** Builds the WHERE clause of a filter; values are always bound, never interpolated. */
function where(tenant: string, f: EventFilter): { sql: string; params: unknown[] } {
  const clauses = ['tenant = ?'];
  const params: unknown[] = [tenant];
  for (const [field, values] of Object.entries(f.fields ?? {})) {
    if (!values || values.length === 0) continue;
    const marks = values.map(() => '?').join(', ');
    const json = JSON_FIELDS[field as FilterField];
    if (field === 'ip') {
      clauses.push(`seq IN (SELECT seq FROM event_ips WHERE tenant = ? AND ip IN (${marks}))`);
      params.push(tenant);
    } else if (json) {
      // Paths are constants of core/query.ts, never input; the values are bound.
      const path = `$.${json.path.join('.')}`;
      clauses.push(
        json.each
          ? `EXISTS (SELECT 1 FROM json_each(body, '${path}') a WHERE json_extract(a.value, '$.${json.each}') IN (${marks}))`
          : `json_extract(body, '${path}') IN (${marks})`,
      );
    } else {
      clauses.push(values.length === 1 ? `${field} = ?` : `${field} IN (${marks})`);
    }
    params.push(...values);
  }
  if (f.actorIdOrLogin?.length) {
    const marks = f.actorIdOrLogin.map(() => '?').join(', ');
    clauses.push(`(actor_id IN (${marks}) OR actor_login IN (${marks}))`);
    params.push(...f.actorIdOrLogin, ...f.actorIdOrLogin);
  }
  const bounds: [string, number | undefined][] = [
    ['occurred_at >= ?', f.from],
    ['occurred_at < ?', f.to],
    ['seq <= ?', f.maxSeq],
    ['automatic = ?', f.automatic === undefined ? undefined : Number(f.automatic)],
    ['actor_privileged = ?', f.privileged === undefined ? undefined : Number(f.privileged)],
  ];
  if (f.result !== undefined) {
    // The outcome is a column: events it decides cost no JSON unless they hold an auth.result.
    clauses.push(
      `coalesce(json_extract(body, '$.auth.result'), CASE WHEN outcome = 'failure' THEN 'Failure' ELSE 'Success' END) = ?`,
    );
    params.push(f.result);
  }
  for (const [clause, value] of bounds) {
    if (value === undefined) continue;
    clauses.push(clause);
    params.push(value);
  }
  const terms = f.q === undefined ? [] : searchTerms(f.q);
  if (f.q !== undefined) {
    // No searchable term at all matches nothing, rather than everything. Not the constant 0:
    // SQLite folds it away and then finds "no query solution" for an INDEXED BY (indexFor).
    clauses.push(
      terms.length ? 'rowid IN (SELECT rowid FROM events_fts WHERE events_fts MATCH ?)' : 'seq < 0',
    );
    if (terms.length) params.push(terms.map((t) => `"${t}"`).join(' '));
  }
  return { sql: clauses.join(' AND '), params };
}

/** The statement a page runs: exported so tests can check its query plan. */
export function listSql(tenant: string, q: EventQuery): { sql: string; params: unknown[] } {
  const range = fromCursor(q);
  const w = where(tenant, { ...q, from: range.from, to: range.to });
  const dir = q.order === 'asc' ? 'ASC' : 'DESC';
  let sql = `SELECT occurred_at AS occurredAt, seq, body AS json FROM events${indexFor(q)} WHERE ${w.sql}`;
  if (range.after) {
    sql += ` AND (occurred_at, seq) ${q.order === 'asc' ? '>' : '<'} (?, ?)`;
    w.params.push(range.after.occurredAt, range.after.seq);
  }
  sql += ` ORDER BY occurred_at ${dir}, seq ${dir} LIMIT ? OFFSET ?`;
  w.params.push(q.limit, q.offset ?? 0);
  return { sql, params: w.params };
}

export function countSql(tenant: string, f: EventFilter): { sql: string; params: unknown[] } {
  const w = where(tenant, f);
  return { sql: `SELECT count(*) AS n FROM events WHERE ${w.sql}`, params: w.params };
}

/**
 * The change rows of the matching events, summed from an index that holds them (events_rows,
 * or events_type_rows when target types are filtered): no event is read.
 */
export function changeRowsSql(tenant: string, f: EventFilter): { sql: string; params: unknown[] } {
  const w = where(tenant, f);
  const index = f.fields?.target_type?.length ? 'events_type_rows' : 'events_rows';
  const only = Object.entries(f.fields ?? {}).every(([k, v]) => k === 'target_type' || !v?.length);
  return {
    sql: `SELECT coalesce(sum(change_rows), 0) AS n FROM events${only && !f.actorIdOrLogin?.length && f.q === undefined ? ` INDEXED BY ${index}` : ''} WHERE ${w.sql}`,
    params: w.params,
  };
}

export function facetsSql(tenant: string, f: EventFilter): { sql: string; params: unknown[] } {
  const w = where(tenant, f);
  return {
    sql: `SELECT DISTINCT service, target_type, action FROM events WHERE ${w.sql} ORDER BY service NULLS LAST, target_type NULLS LAST, action`,
    params: w.params,
  };
}

/**
 * The events of one database: reads on `db`, scans (`EventQuery.scan`) on `scanDb()`, appends
 * through `appendGroups` (the writer thread, or an in-thread transaction for an in-memory
 * database, which no second connection can share).
 */
export function sqliteEvents(db: Db, scanDb: () => Db, appendGroups: EventStore['appendGroups']): EventStore {
  const statements = new StatementCache(db);
  let scanStatements: StatementCache | undefined;
  const scans = (): StatementCache => {
    scanStatements ??= new StatementCache(scanDb(), 16);
    return scanStatements;
  };
  const lastSeq = db.prepare<[string], { last_seq: number }>('SELECT last_seq FROM tenants WHERE id = ?');
  const getById = db.prepare<[string, string], { body: string }>(
    'SELECT body FROM events WHERE tenant = ? AND id = ?',
  );
  const getBySeq = db.prepare<[string, number], { body: string }>(
    'SELECT body FROM events WHERE tenant = ? AND seq = ?',
  );

  return {
    append: appendOne(appendGroups),
    appendGroups,
    async list(tenant, q) {
      const { sql, params } = listSql(tenant, q);
      const cache = q.scan ? scans() : statements;
      return cache.get(sql).all(...params) as EventRow[];
    },
    async count(tenant, f) {
      const { sql, params } = countSql(tenant, f);
      return (statements.get(sql).get(...params) as { n: number }).n;
    },
    async countChangeRows(tenant, f) {
      const { sql, params } = changeRowsSql(tenant, f);
      return (statements.get(sql).get(...params) as { n: number }).n;
    },
    async facets(tenant, f) {
      const { sql, params } = facetsSql(tenant, f);
      return statements.get(sql).all(...params) as Facet[];
    },
    async get(tenant, id, seq) {
      const row = getById.get(tenant, id) ?? (seq === undefined ? undefined : getBySeq.get(tenant, seq));
      return row?.body ?? null;
    },
    async lastSeq(tenant) {
      return lastSeq.get(tenant)?.last_seq ?? 0;
    },
  };
}
