/**
 * The ceiling's statements: each logical query (bench/query-kinds.ts) as one SQL statement on
 * the product's own schema, written by hand from the migrations rather than taken from the
 * store, so a statement the store builds badly shows up as a gap. Each reads what the product
 * must read to answer: the stored JSON of the page's events, their (occurred_at, seq) for the
 * next cursor, one row more than a keyset page shows, and any total in the same statement.
 *
 * SQLite keeps occurred_at as epoch ms and full text in the contentless `events_fts` (rowid =
 * events.rowid); PostgreSQL keeps timestamptz and a `search` tsvector ('simple' configuration).
 */
import type { Engine } from './databases.js';
import type { Field, Logical } from './query-kinds.js';

export interface Statement {
  sql: string;
  params: unknown[];
}

/** Without statistics SQLite's planner may walk the time index and filter; these say which index serves. */
const SQLITE_INDEX: [string, Field[]][] = [
  ['events_target', ['target_type', 'target_id']],
  ['events_actor', ['actor_id']],
  ['events_action', ['action']],
];

/** `FROM … WHERE …` of the matching events, its values appended to `params`. */
type Source = (tenant: string, l: Logical, params: unknown[]) => string;

const sqliteSource: Source = (tenant, l, params) => {
  const clauses: string[] = [];
  const add = (clause: string, ...values: unknown[]) => {
    clauses.push(clause);
    params.push(...values);
  };
  add('tenant = ?', tenant);
  for (const [field, values] of Object.entries(l.fields ?? {})) {
    add(
      values.length === 1 ? `${field} = ?` : `${field} IN (${values.map(() => '?').join(', ')})`,
      ...values,
    );
  }
  if (l.from !== undefined) add('occurred_at >= ?', l.from);
  if (l.to !== undefined) add('occurred_at < ?', l.to);
  if (l.maxSeq !== undefined) add('seq <= ?', l.maxSeq);
  if (l.q !== undefined) add('rowid IN (SELECT rowid FROM events_fts WHERE events_fts MATCH ?)', `"${l.q}"`);
  if (l.noPrivilegedOrAutomatic) {
    // SQLite reads JSON true as 1.
    add("json_extract(body, '$.actor.privileged') IS NOT 1 AND json_extract(body, '$.automatic') IS NOT 1");
  }
  const one = (f: Field) => l.fields?.[f]?.length === 1;
  const index = SQLITE_INDEX.find(([, cols]) => cols.every(one))?.[0];
  return `FROM events${index ? ` INDEXED BY ${index}` : ''} WHERE ${clauses.join(' AND ')}`;
};

const pgSource: Source = (tenant, l, params) => {
  const p = (v: unknown) => `$${params.push(v)}`;
  const clauses = [`tenant = ${p(tenant)}`];
  for (const [field, values] of Object.entries(l.fields ?? {})) {
    clauses.push(values.length === 1 ? `${field} = ${p(values[0])}` : `${field} = ANY(${p(values)}::text[])`);
  }
  if (l.from !== undefined) clauses.push(`occurred_at >= ${p(new Date(l.from).toISOString())}::timestamptz`);
  if (l.to !== undefined) clauses.push(`occurred_at < ${p(new Date(l.to).toISOString())}::timestamptz`);
  if (l.maxSeq !== undefined) clauses.push(`seq <= ${p(l.maxSeq)}`);
  if (l.q !== undefined) clauses.push(`search @@ to_tsquery('simple', ${p(l.q)})`);
  let from = 'events';
  if (l.noPrivilegedOrAutomatic) {
    // Each event's JSON parsed once (OFFSET 0 keeps the subquery from being inlined per use).
    from += ' CROSS JOIN LATERAL (SELECT body::jsonb AS j OFFSET 0) x';
    clauses.push(
      "(j #>> '{actor,privileged}') IS DISTINCT FROM 'true' AND (j ->> 'automatic') IS DISTINCT FROM 'true'",
    );
  }
  return `FROM ${from} WHERE ${clauses.join(' AND ')}`;
};

interface Dialect {
  source: Source;
  /** occurred_at as epoch ms. */
  at: string;
  /** An event's LivePerson rows: one per change, one when it has none. */
  changeRows: string;
  mark: (params: unknown[], value: unknown) => string;
  /** The position after which a keyset page starts. */
  after: (op: string, params: unknown[], l: Logical) => string;
}

const DIALECTS: Record<Engine, Dialect> = {
  sqlite: {
    source: sqliteSource,
    at: 'occurred_at',
    changeRows: "max(1, coalesce(json_array_length(body, '$.changes'), 0))",
    mark: (params, v) => {
      params.push(v);
      return '?';
    },
    after: (op, params, l) => {
      params.push(l.after?.occurredAt, l.after?.seq);
      return `(occurred_at, seq) ${op} (?, ?)`;
    },
  },
  postgres: {
    source: pgSource,
    at: '(extract(epoch FROM occurred_at) * 1000)::bigint',
    changeRows:
      "greatest(1, jsonb_array_length(CASE WHEN jsonb_typeof(j -> 'changes') = 'array' THEN j -> 'changes' END))",
    mark: (params, v) => `$${params.push(v)}`,
    after: (op, params, l) =>
      `(occurred_at, seq) ${op} ($${params.push(new Date(l.after?.occurredAt ?? 0).toISOString())}::timestamptz, $${params.push(l.after?.seq)})`,
  },
};

export function statementFor(engine: Engine, tenant: string, l: Logical): Statement {
  const d = DIALECTS[engine];
  const params: unknown[] = [];
  if (l.countOnly) return { sql: `SELECT count(*) AS n ${d.source(tenant, l, params)}`, params };
  // A total is a scalar subquery over the same events: not correlated, so it runs once.
  const total = l.total
    ? `(SELECT ${l.total === 'events' ? 'count(*)' : `coalesce(sum(${d.changeRows}), 0)`} ${d.source(tenant, l, params)}) AS total, `
    : '';
  let sql = `SELECT ${total}${d.at} AS at, seq, body ${d.source(tenant, l, params)}`;
  if (l.after) sql += ` AND ${d.after(l.order === 'asc' ? '>' : '<', params, l)}`;
  const dir = l.order === 'asc' ? 'ASC' : 'DESC';
  sql += ` ORDER BY occurred_at ${dir}, seq ${dir} LIMIT ${d.mark(params, l.limit)}`;
  if (l.offset) sql += ` OFFSET ${d.mark(params, l.offset)}`;
  return { sql, params };
}

/**
 * What a Genesys async query's job does, as one statement: count the matching events at the
 * tenant's last seq (the job reads that seq, then counts up to it).
 */
export function snapshotCountFor(engine: Engine, tenant: string, l: Logical): Statement {
  const d = DIALECTS[engine];
  const params: unknown[] = [];
  const source = d.source(tenant, { ...l, countOnly: true }, params);
  const last = `(SELECT last_seq FROM tenants WHERE id = ${d.mark(params, tenant)})`;
  return { sql: `SELECT count(*) AS n ${source} AND seq <= ${last}`, params };
}
