import {
  type EventFilter,
  type EventQuery,
  type FilterField,
  JSON_FIELDS,
  type Position,
  searchTerms,
} from '../../core/query.js';

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

export function indexFor(f: EventFilter): string {
  const single = (field: string) =>
    (f.fields as Record<string, string[] | undefined> | undefined)?.[field]?.length === 1;
  const hit = ORDERED_INDEXES.find(([, cols]) => cols.every(single));
  return hit ? ` INDEXED BY ${hit[0]}` : '';
}

/** An FTS5 query for every one of the terms (tokenize's terms: letters, digits and `_` only). */
export const matchExpression = (terms: string[]): string => terms.map((t) => `"${t}"`).join(' ');

/** Builds the WHERE clause of a filter; values are always bound, never interpolated. */
export function where(tenant: string, f: EventFilter): { sql: string; params: unknown[] } {
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
    if (terms.length) params.push(matchExpression(terms));
  }
  return { sql: clauses.join(' AND '), params };
}

/**
 * The end of a keyset page's statement: strictly past `after` (the cursor, as fromCursor left
 * it) in the page's order, then the order and `LIMIT ?`; its values are pushed onto `params`.
 */
export function keysetTail(
  q: Pick<EventQuery, 'order' | 'limit'>,
  after: Position | undefined,
  params: unknown[],
): string {
  const dir = q.order === 'asc' ? 'ASC' : 'DESC';
  let sql = '';
  if (after) {
    sql += ` AND (occurred_at, seq) ${q.order === 'asc' ? '>' : '<'} (?, ?)`;
    params.push(after.occurredAt, after.seq);
  }
  params.push(q.limit);
  return `${sql} ORDER BY occurred_at ${dir}, seq ${dir} LIMIT ?`;
}
