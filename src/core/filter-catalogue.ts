/**
 * Every filter of the engine-neutral query (core/query.ts `EventFilter`) and how events store
 * what it reads: the one description both engines compile (store/sql/compile.ts) and the store
 * conformance suite tests row by row. A new filter is a row here plus, when it should be an
 * index range read, an index migration on each engine.
 *
 * `path` is where the value is in the canonical event (event-model §1); the kind says where an
 * engine finds it without parsing the event, or that it parses it.
 */

import type { EventFilter } from './query.js';

/** Member names from the event's root. Constants of this file, never input: compiled into SQL. */
export type Path = readonly string[];

export type FieldStorage =
  /** A column filled from `path` at append, in indexes that end in (occurred_at, seq). */
  | { kind: 'column'; path: Path; column: string }
  /** Text at `path` of the stored JSON: rarer filters, tested on the rows the others leave. */
  | { kind: 'json'; path: Path }
  /** `path` holds an array; the event matches when any element's `member` does. */
  | { kind: 'member'; path: Path; member: string }
  /** An array at `path` kept as rows (tenant, value, seq) of a table of its own. */
  | { kind: 'side'; path: Path; table: string; column: string };

/**
 * The fields of `EventFilter.fields`: within one the values OR together, across them they AND.
 * In the order the filter parameters are documented.
 */
export const FIELDS = {
  actor_id: { kind: 'column', path: ['actor', 'id'], column: 'actor_id' },
  actor_type: { kind: 'column', path: ['actor', 'type'], column: 'actor_type' },
  actor_home_org_id: { kind: 'column', path: ['actor', 'home_org_id'], column: 'actor_home_org_id' },
  action: { kind: 'column', path: ['action'], column: 'action' },
  category: { kind: 'column', path: ['category'], column: 'category' },
  outcome: { kind: 'column', path: ['outcome'], column: 'outcome' },
  service: { kind: 'column', path: ['service'], column: 'service' },
  target_type: { kind: 'column', path: ['target', 'type'], column: 'target_type' },
  target_id: { kind: 'column', path: ['target', 'id'], column: 'target_id' },
  client_id: { kind: 'column', path: ['client', 'id'], column: 'client_id' },
  ip: { kind: 'side', path: ['source', 'ip'], table: 'event_ips', column: 'ip' },
  session_id: { kind: 'column', path: ['source', 'session_id'], column: 'session_id' },
  trace_id: { kind: 'column', path: ['source', 'trace_id'], column: 'trace_id' },
  transaction_id: { kind: 'column', path: ['transaction_id'], column: 'transaction_id' },
  token_id: { kind: 'json', path: ['source', 'token_id'] },
  request_id: { kind: 'json', path: ['source', 'request_id'] },
  auth_event: { kind: 'json', path: ['auth', 'event'] },
  auth_stage: { kind: 'json', path: ['auth', 'stage'] },
  auth_result: { kind: 'json', path: ['auth', 'result'] },
  auth_upstream_idp: { kind: 'json', path: ['auth', 'upstream_idp'] },
  auth_upstream_user_id: { kind: 'json', path: ['auth', 'upstream_user_id'] },
  auth_login_org_id: { kind: 'json', path: ['auth', 'login_org_id'] },
  attribute_type: { kind: 'member', path: ['attributes'], member: 'type' },
  attribute_id: { kind: 'member', path: ['attributes'], member: 'id' },
  attribute_org_id: { kind: 'member', path: ['attributes'], member: 'org_id' },
} as const satisfies Record<string, FieldStorage>;

export type FilterField = keyof typeof FIELDS;

export const FILTER_FIELDS = Object.keys(FIELDS) as FilterField[];

/** The fields stored in a column of their own. */
export type ColumnField = {
  [K in FilterField]: (typeof FIELDS)[K]['kind'] extends 'column' ? K : never;
}[FilterField];

/** The members of `EventFilter` besides `fields`. */
export type ConditionName = Exclude<keyof EventFilter, 'fields'>;

export type ConditionStorage =
  /** Events whose column is at (`>=`), below (`<`) or up to (`<=`) the value: the time range, the snapshot. */
  | { kind: 'bound'; column: 'occurred_at' | 'seq'; op: '>=' | '<' | '<=' }
  /** Any of several columns, each filled from its `path`, is one of the values. */
  | { kind: 'anyColumn'; columns: readonly { column: string; path: Path }[] }
  /** A boolean column generated from `path`, absent counting as false. */
  | { kind: 'flag'; column: string; path: Path }
  /**
   * Text at `path` of the stored JSON, else derived from a field's column: `shows` where the
   * field `equals`, `otherwise` elsewhere. The column decides every event without the member.
   */
  | { kind: 'shown'; path: Path; field: ColumnField; equals: string; shows: string; otherwise: string }
  /** The column (filled from `path`) starts with the value: a bytewise range (core/query.ts `prefixEnd`). */
  | { kind: 'prefix'; column: string; path: Path }
  /** Full-text terms (core/query.ts `searchTerms`), all of which must match. */
  | { kind: 'text' };

/**
 * The other members of `EventFilter`, each one condition. `satisfies` names every member: a new
 * member without a row here does not compile, nor does a row without a member.
 */
export const CONDITIONS = {
  from: { kind: 'bound', column: 'occurred_at', op: '>=' },
  to: { kind: 'bound', column: 'occurred_at', op: '<' },
  actionPrefix: { kind: 'prefix', column: 'action', path: ['action'] },
  minSeq: { kind: 'bound', column: 'seq', op: '>=' },
  maxSeq: { kind: 'bound', column: 'seq', op: '<=' },
  actorIdOrLogin: {
    kind: 'anyColumn',
    columns: [
      { column: 'actor_id', path: ['actor', 'id'] },
      { column: 'actor_login', path: ['actor', 'login'] },
    ],
  },
  automatic: { kind: 'flag', column: 'automatic', path: ['automatic'] },
  privileged: { kind: 'flag', column: 'actor_privileged', path: ['actor', 'privileged'] },
  result: {
    kind: 'shown',
    path: ['auth', 'result'],
    field: 'outcome',
    equals: 'failure',
    shows: 'Failure',
    otherwise: 'Success',
  },
  q: { kind: 'text' },
} as const satisfies Record<ConditionName, ConditionStorage>;
