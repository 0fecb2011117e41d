import type { EventQuery, EventRow, Position } from '../../core/query.js';
import { searchTerms } from '../../core/query.js';
import { fromCursor } from '../keyset.js';
import type { Db, StatementCache } from './db.js';
import { indexFor, matchExpression, where } from './where.js';

/**
 * Pages with full-text terms (`q`), on SQLite.
 *
 * The plain statement (events.ts listSql) reads every event the terms match and sorts them by
 * time to show the first page: cheap for a rare term, but ~3 µs per match, so a term in 14 % of
 * a 1M-event tenant took over a second. A common term is better served the other way round:
 * walk the tenant's events in page order through the time index (index only) a chunk at a time,
 * and keep those the full-text index holds between the chunk's lowest and highest rowid.
 * Appends give rowids in arrival order, and audit events arrive roughly in time order, so that
 * rowid range is narrow and the full-text index answers it by seeking.
 *
 * Which way: the terms' document counts (fts5vocab, a bound on the matches) against the
 * tenant's size estimate the rows the walk reads before it has a page, each at WALK_COST, and
 * the plain statement's at SORT_COST per match. The walk gives up to the plain statement,
 * from where it got to, when a chunk's rowid range holds more than 8 chunks' worth of matches (events
 * not in arrival order, or other tenants' matches among them) or after WALK_LIMIT rows, so a
 * wrong guess costs a bounded detour. Both ways give the same rows; the tests hold them to it.
 */
/** Events per chunk of the walk; a chunk's rowid range may hold 8 times as many matches. */
const CHUNK = 1000;
/** µs per event walked (index read, rowid range, membership) and per match sorted, measured at 1M. */
const WALK_COST = 0.4;
const SORT_COST = 3;

interface Walked extends Position {
  rowid: number;
}

export function textPages(db: Db, statements: StatementCache, chunkSize = CHUNK) {
  const spanLimit = 8 * chunkSize;
  db.exec(
    "CREATE VIRTUAL TABLE IF NOT EXISTS temp.events_fts_vocab USING fts5vocab(main, events_fts, 'row')",
  );
  const docs = db.prepare<[string], number>('SELECT doc FROM temp.events_fts_vocab WHERE term = ?').pluck();
  const size = db.prepare<[string], number>('SELECT last_seq FROM tenants WHERE id = ?').pluck();
  const inRange = db
    .prepare<[string, number, number, number], number>(
      'SELECT rowid FROM events_fts WHERE events_fts MATCH ? AND rowid BETWEEN ? AND ? LIMIT ?',
    )
    .pluck();
  const bodies = db.prepare<[string], { rowid: number; json: string }>(
    'SELECT rowid, body AS json FROM events WHERE rowid IN (SELECT value FROM json_each(?))',
  );

  /** The walk's next chunk: the page's own filters without the terms, in page order, after `after`. */
  const chunk = (tenant: string, q: EventQuery, after: Position | undefined): Walked[] => {
    const range = fromCursor({ ...q, after });
    const w = where(tenant, { ...q, q: undefined, from: range.from, to: range.to });
    const dir = q.order === 'asc' ? 'ASC' : 'DESC';
    let sql = `SELECT rowid, occurred_at AS occurredAt, seq FROM events${indexFor(q)} WHERE ${w.sql}`;
    if (range.after) {
      sql += ` AND (occurred_at, seq) ${q.order === 'asc' ? '>' : '<'} (?, ?)`;
      w.params.push(range.after.occurredAt, range.after.seq);
    }
    sql += ` ORDER BY occurred_at ${dir}, seq ${dir} LIMIT ${chunkSize}`;
    return statements.get(sql).all(...w.params) as Walked[];
  };

  /**
   * The page by walking, or undefined when the plain statement is the better way. `rest`
   * lists the page's remaining rows from a position on, the plain way.
   */
  return (tenant: string, q: EventQuery, rest: (q: EventQuery) => EventRow[]): EventRow[] | undefined => {
    const terms = q.q === undefined || q.offset ? [] : searchTerms(q.q);
    if (terms.length === 0) return undefined;
    const matches = Math.min(...terms.map((t) => docs.get(t) ?? 0));
    if (matches === 0) return [];
    const want = q.limit;
    const walk = (want * (size.get(tenant) ?? 0)) / matches;
    if (walk * WALK_COST > matches * SORT_COST) return undefined;

    const match = matchExpression(terms);
    const found: Walked[] = [];
    let after = q.after;
    let walked = 0;
    let finished = false;
    while (found.length < want && walked <= 4 * walk + chunkSize) {
      const rows = chunk(tenant, q, after);
      if (rows.length === 0) {
        finished = true;
        break;
      }
      let lo = Number.POSITIVE_INFINITY;
      let hi = Number.NEGATIVE_INFINITY;
      for (const r of rows) {
        if (r.rowid < lo) lo = r.rowid;
        if (r.rowid > hi) hi = r.rowid;
      }
      const hits = inRange.all(match, lo, hi, spanLimit + 1);
      if (hits.length > spanLimit) break;
      const hit = new Set(hits);
      for (const r of rows) {
        if (!hit.has(r.rowid)) continue;
        found.push(r);
        if (found.length === want) break;
      }
      walked += rows.length;
      const last = rows.at(-1) as Walked;
      after = { occurredAt: last.occurredAt, seq: last.seq };
      if (rows.length < chunkSize) finished = true;
      if (finished) break;
    }
    const json = new Map(bodies.all(JSON.stringify(found.map((r) => r.rowid))).map((b) => [b.rowid, b.json]));
    const page: EventRow[] = found.map((r) => ({
      occurredAt: r.occurredAt,
      seq: r.seq,
      json: json.get(r.rowid) as string,
    }));
    if (page.length === want || finished) return page;
    // Given up: the rest of the page the plain way, strictly after the last event walked.
    return page.concat(rest({ ...q, limit: want - page.length, ...(after ? { after } : {}) }));
  };
}
