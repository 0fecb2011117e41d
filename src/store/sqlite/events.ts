import type { EventFilter, EventQuery, EventRow, Facet } from '../../core/query.js';
import { appendOne } from '../append-one.js';
import { fromCursor } from '../keyset.js';
import type { EventStore } from '../types.js';
import { type Db, StatementCache } from './db.js';
import { textPages } from './text-pages.js';
import { indexFor, keysetTail, where } from './where.js';

/** The statement a page runs: exported so tests can check its query plan. */
export function listSql(tenant: string, q: EventQuery): { sql: string; params: unknown[] } {
  const range = fromCursor(q);
  const w = where(tenant, { ...q, from: range.from, to: range.to });
  const tail = keysetTail(q, range.after, w.params);
  w.params.push(q.offset ?? 0);
  return {
    sql: `SELECT occurred_at AS occurredAt, seq, body AS json FROM events${indexFor(q)} WHERE ${w.sql}${tail} OFFSET ?`,
    params: w.params,
  };
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
  const text = textPages(db, statements);
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
      const plain = (page: EventQuery): EventRow[] => {
        const { sql, params } = listSql(tenant, page);
        return (page.scan ? scans() : statements).get(sql).all(...params) as EventRow[];
      };
      return (q.q !== undefined && !q.scan && text(tenant, q)) || plain(q);
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
