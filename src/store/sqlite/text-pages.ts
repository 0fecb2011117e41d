import type { EventQuery, EventRow } from '../../core/query.js';
import { searchTerms } from '../../core/query.js';
import { fromCursor } from '../keyset.js';
import { BLOCK_BITS, type Block } from './blocks.js';
import type { Db, StatementCache } from './db.js';
import { matchExpression, sqliteDialect, sqliteSql } from './sql-dialect.js';

/**
 * Pages with full-text terms (`q`), on SQLite.
 *
 * The plain statement (events.ts listSql) reads every event the terms match and sorts them by
 * time to show the first page: cheap for a rare term, but several µs per match, so a term in
 * 14 % of a 1M-event tenant took 400 ms. Here the matches are read block by block of rowids
 * (blocks.ts), newest block first for a newest-first page (oldest first for oldest-first): each
 * block's matches come from the full-text index by rowid range, sorted, and merged into the
 * page. It stops when the page is full and no block left can hold an event that belongs on it,
 * which each block's time bounds tell. Appends give rowids in arrival order and audit events
 * arrive roughly in time order, so a common term's page is usually found in its last block or
 * two; events that arrive out of order only widen bounds, and a page is exact either way.
 *
 * The runs of blocks read by one statement double (2, 4, 8, …), so a rare term, which no block
 * bound can cut short, costs a few statements more than the plain one (about log2 of the
 * blocks), and a common term's page costs its last block or two.
 */

/**
 * The page's rows among the blocks first..last, in page order, at most `limit`: the blocks'
 * matches found by rowid range, each event then read by rowid. Exported for the plan tests.
 */
export function blockPageSql(
  tenant: string,
  q: EventQuery,
  match: string,
  first: number,
  last: number,
): { sql: string; params: unknown[] } {
  const range = fromCursor(q);
  const params: unknown[] = [match, first << BLOCK_BITS, ((last + 1) << BLOCK_BITS) - 1];
  const w = sqliteSql.where(params, tenant, { ...q, q: undefined, from: range.from, to: range.to });
  // CROSS JOIN keeps this join order: the matches drive, each event is read by rowid. (With
  // `rowid IN (…)` the planner walked the tenant's whole time index testing each event.)
  const sql = `SELECT ${sqliteDialect.rowColumns}
    FROM events_fts CROSS JOIN events ON events.rowid = events_fts.rowid
    WHERE events_fts MATCH ? AND events_fts.rowid BETWEEN ? AND ? AND ${w}${sqliteSql.tail(params, q, range.after)}`;
  return { sql, params };
}

export function textPages(db: Db, statements: StatementCache) {
  const allBlocks = db.prepare<[], Block>(
    'SELECT block, min_at AS lo, max_at AS hi FROM event_blocks ORDER BY block',
  );

  const fromBlocks = (
    tenant: string,
    q: EventQuery,
    match: string,
    first: number,
    last: number,
  ): EventRow[] => {
    const { sql, params } = blockPageSql(tenant, q, match, first, last);
    return statements.get(sql).all(...params) as EventRow[];
  };

  /**
   * The page, or undefined for a page the plain statement reads (no terms, or an offset). One
   * read transaction: the blocks' bounds and every block's rows come from the same snapshot, so
   * events appended meanwhile are wholly in or wholly out.
   */
  const readPage = db.transaction((tenant: string, q: EventQuery): EventRow[] | undefined => {
    const terms = q.q === undefined || q.offset ? [] : searchTerms(q.q);
    if (terms.length === 0) return undefined;
    const blocks = allBlocks.all();

    const asc = q.order === 'asc';
    // Blocks in the page's order, each with the bound on the times of it and every block after
    // it in that order: the latest time for a newest-first page, the earliest for oldest-first.
    const ordered = asc ? blocks : blocks.reverse();
    const bound: number[] = new Array(ordered.length);
    for (let i = ordered.length - 1; i >= 0; i--) {
      const b = ordered[i] as Block;
      const own = asc ? b.lo : b.hi;
      const later = bound[i + 1];
      bound[i] = later === undefined ? own : asc ? Math.min(own, later) : Math.max(own, later);
    }
    const range = fromCursor(q);
    const match = matchExpression(terms);
    const before = (a: EventRow, b: EventRow) =>
      asc ? a.occurredAt - b.occurredAt || a.seq - b.seq : b.occurredAt - a.occurredAt || b.seq - a.seq;

    let page: EventRow[] = [];
    // Two blocks to begin with: the newest block is usually only partly filled, and each
    // statement costs a full-text lookup of the terms (~5 ms for a term in 14 % of 1M events).
    let run = 2;
    for (let i = 0; i < ordered.length; ) {
      const last = page.at(-1);
      // Full, and nothing from here on can come before the page's last row.
      if (
        last &&
        page.length === q.limit &&
        (asc ? last.occurredAt < (bound[i] as number) : last.occurredAt > (bound[i] as number))
      )
        break;
      const span = ordered.slice(i, i + run);
      i += span.length;
      run *= 2;
      // Blocks wholly outside the page's time range hold none of its rows.
      const live = span.filter(
        (b) =>
          (range.to === undefined || b.lo < range.to) && (range.from === undefined || b.hi >= range.from),
      );
      if (live.length === 0) continue;
      const ids = live.map((b) => b.block);
      const found = fromBlocks(tenant, q, match, Math.min(...ids), Math.max(...ids));
      page = page.concat(found).sort(before).slice(0, q.limit);
    }
    return page;
  });
  return (tenant: string, q: EventQuery): EventRow[] | undefined => readPage(tenant, q);
}
