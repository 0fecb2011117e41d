import {
  CONDITIONS,
  type ConditionName,
  type ConditionStorage,
  FIELDS,
  type FieldStorage,
  type FilterField,
} from '../../core/filter-catalogue.js';
import {
  type EventFilter,
  type EventQuery,
  type Position,
  prefixEnd,
  searchTerms,
} from '../../core/query.js';
import { fromCursor } from '../keyset.js';
import type { SqlDialect } from './dialect.js';

/** One statement and its bound values, in placeholder order. */
export interface Statement {
  sql: string;
  params: unknown[];
}

/** A constant of the catalogue as an SQL string literal. */
const literal = (text: string) => `'${text.replaceAll("'", "''")}'`;

const CONDITION_NAMES = Object.keys(CONDITIONS) as ConditionName[];

/**
 * The SQL of the filters and reads of the events table, for one engine's dialect: the only
 * place a filter of the catalogue (core/filter-catalogue.ts) becomes SQL.
 */
export function sqlCompiler(d: SqlDialect) {
  /** `expr` equals the value, or is one of the values. */
  const is = (params: unknown[], expr: string, values: readonly string[]) =>
    values.length === 1 ? `${expr} = ${d.bind(params, values[0])}` : d.oneOf(params, expr, values);

  /**
   * `tenant` binds the statement's tenant again, for a side table's own condition on it. `byRow`:
   * the statement reads a few rows by another index, and each is looked up in the side table
   * (`seq IN (…)` would list every event of the value first).
   */
  const field = (
    params: unknown[],
    tenant: () => string,
    s: FieldStorage,
    values: string[],
    byRow: boolean,
  ) => {
    switch (s.kind) {
      case 'column':
        return is(params, s.column, values);
      case 'json':
        return is(params, d.jsonText(s.path), values);
      case 'member':
        return d.anyElement(s.path, s.member, (value) => is(params, value, values));
      case 'side': {
        const own = `${s.table} WHERE tenant = ${tenant()} AND ${is(params, s.column, values)}`;
        return byRow
          ? `EXISTS (SELECT 1 FROM ${own} AND ${s.table}.seq = events.seq)`
          : `seq IN (SELECT seq FROM ${own})`;
      }
    }
  };

  /** `byRow`: as `field`'s, for the full-text index. */
  const condition = (
    params: unknown[],
    s: ConditionStorage,
    value: unknown,
    byRow: boolean,
  ): string | undefined => {
    switch (s.kind) {
      case 'bound': {
        const v = value as number;
        return `${s.column} ${s.op} ${s.column === 'occurred_at' ? d.time(params, v) : d.bind(params, v)}`;
      }
      case 'anyColumn': {
        const values = value as string[];
        if (values.length === 0) return undefined;
        return `(${s.columns.map((c) => is(params, c.column, values)).join(' OR ')})`;
      }
      case 'flag':
        return `${s.column} = ${d.bind(params, d.bool(value as boolean))}`;
      case 'shown': {
        const fallback = `CASE WHEN ${FIELDS[s.field].column} = ${literal(s.equals)} THEN ${literal(s.shows)} ELSE ${literal(s.otherwise)} END`;
        return `${d.jsonTextOr(s.path, fallback)} = ${d.bind(params, value)}`;
      }
      case 'prefix': {
        const start = value as string;
        const end = prefixEnd(start);
        const column = d.bytewise(s.column);
        const from = `${column} >= ${d.bind(params, start)}`;
        return end === null ? from : `${from} AND ${column} < ${d.bind(params, end)}`;
      }
      case 'text': {
        const terms = searchTerms(value as string);
        return byRow ? d.rowText(params, terms) : d.text(params, terms);
      }
    }
  };

  /**
   * The WHERE condition of a filter in `tenant`; its values are pushed onto `params`. `byRow`
   * when the statement reads its rows by a narrow range of another index (a seq window).
   */
  const where = (params: unknown[], tenant: string, f: EventFilter, byRow = false): string => {
    const own = d.bind(params, tenant);
    const again = () => d.bindAgain(params, own, tenant);
    const clauses = [`tenant = ${own}`];
    for (const [name, values] of Object.entries(f.fields ?? {})) {
      if (!values?.length) continue;
      clauses.push(field(params, again, FIELDS[name as FilterField], values, byRow));
    }
    for (const name of CONDITION_NAMES) {
      const value = f[name];
      if (value === undefined) continue;
      const clause = condition(params, CONDITIONS[name], value, byRow);
      if (clause !== undefined) clauses.push(clause);
    }
    return clauses.join(' AND ');
  };

  /**
   * The end of a page's statement: strictly past `after` (the cursor, as fromCursor left it)
   * in the page's order, then the order, the limit and any offset.
   */
  const tail = (
    params: unknown[],
    q: Pick<EventQuery, 'order' | 'limit' | 'offset'>,
    after: Position | undefined,
  ): string => {
    const dir = q.order === 'asc' ? 'ASC' : 'DESC';
    let sql = '';
    if (after) {
      const at = d.time(params, after.occurredAt);
      sql += ` AND (occurred_at, seq) ${q.order === 'asc' ? '>' : '<'} (${at}, ${d.bind(params, after.seq)})`;
    }
    sql += ` ORDER BY occurred_at ${dir}, seq ${dir} LIMIT ${d.bind(params, q.limit)}`;
    if (q.offset) sql += ` OFFSET ${d.bind(params, q.offset)}`;
    return sql;
  };

  /** A statement over the events a filter selects; `select` is given the WHERE condition. */
  const statement = (
    tenant: string,
    f: EventFilter,
    select: (where: string, params: unknown[]) => string,
    byRow = false,
  ): Statement => {
    const params: unknown[] = [];
    const w = where(params, tenant, f, byRow);
    return { sql: select(w, params), params };
  };

  return {
    where,
    tail,

    /** A page: the cursor's time bounds the range (store/keyset.ts), so the index read starts at it. */
    listSql(tenant: string, q: EventQuery): Statement {
      const range = fromCursor(q);
      return statement(
        tenant,
        { ...q, from: range.from, to: range.to },
        (w, params) =>
          `SELECT ${d.rowColumns} FROM events${d.hint('list', q)} WHERE ${w}${tail(params, q, range.after)}`,
      );
    },

    /**
     * The matching events with a seq in `after`+1…`upTo`, in seq order: what a live tail reads
     * as the log grows (store/types.ts `EventStore.window`). The seq range is the read, a few
     * hundred entries of the seq index; the filter tests its rows, whatever indexes it has.
     */
    windowSql(tenant: string, f: EventFilter, after: number, upTo: number): Statement {
      const within: EventFilter = {
        ...f,
        minSeq: Math.max(f.minSeq ?? 1, after + 1),
        maxSeq: Math.min(f.maxSeq ?? upTo, upTo),
      };
      return statement(
        tenant,
        within,
        (w, params) =>
          `SELECT ${d.rowColumns} FROM events${d.hint('window', within)} WHERE ${w} ORDER BY seq LIMIT ${d.bind(params, Math.max(0, upTo - after))}`,
        true,
      );
    },

    countSql: (tenant: string, f: EventFilter): Statement =>
      statement(tenant, f, (w) => `SELECT count(*) AS n FROM events WHERE ${w}`),

    /** The change rows of the matching events, summed from an index that holds them. */
    changeRowsSql: (tenant: string, f: EventFilter): Statement =>
      statement(
        tenant,
        f,
        (w) => `SELECT coalesce(sum(change_rows), 0) AS n FROM events${d.hint('changeRows', f)} WHERE ${w}`,
      ),

    /**
     * The distinct (service, target type, action) combinations, bytewise with nulls last. The
     * subquery lets the order name expressions (a collation) that DISTINCT does not select.
     */
    facetsSql: (tenant: string, f: EventFilter): Statement =>
      statement(
        tenant,
        f,
        (w) => `SELECT * FROM (SELECT DISTINCT service, target_type, action FROM events WHERE ${w}) f
          ORDER BY ${d.bytewise('service')} NULLS LAST, ${d.bytewise('target_type')} NULLS LAST, ${d.bytewise('action')}`,
      ),
  };
}

export type SqlCompiler = ReturnType<typeof sqlCompiler>;
