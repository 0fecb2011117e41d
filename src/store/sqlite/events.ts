import type { EventQuery, EventRow, Facet } from '../../core/query.js';
import { appendOne } from '../append-one.js';
import type { EventStore } from '../types.js';
import { type Db, StatementCache } from './db.js';
import { sqliteSql } from './sql-dialect.js';
import { textPages } from './text-pages.js';

/** The statements of the reads (store/sql/compile.ts): exported so tests can check their plans. */
export const { listSql, countSql, changeRowsSql, facetsSql, windowSql } = sqliteSql;

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
    async window(tenant, f, after, upTo) {
      const { sql, params } = windowSql(tenant, f, after, upTo);
      return statements.get(sql).all(...params) as EventRow[];
    },
  };
}
