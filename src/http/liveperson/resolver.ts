import type { GraphQLResolveInfo } from 'graphql';
import { invalidParameter, TrailkeepError } from '../../core/errors.js';
import type { EventFilter } from '../../core/query.js';
import { zonedDayRange, zoneNamed } from '../../core/zoned-days.js';
import type { EventService } from '../../services/events.js';
import { rowWindow } from '../../services/rows.js';
import { unstorable } from '../request-values.js';
import { checkAnswerBytes } from './cost.js';
import { type AuditRow, auditRowsOf, comparatorOf, dated, isTimeColumn } from './mapping.js';
import { type AuditDataArgs, FIRST_MAX } from './schema.js';

/** The most rows a query ordered by something else than time may sort (all held in memory). */
export const SORT_CAP = 50_000;
const LIST_MAX = 100;

/** What one request's resolution shares with the route: the caller's tenant, and the total found. */
export interface AuditContext {
  tenant: string;
  events: EventService;
  /** The most bytes of JSON the rows may take (TRAILKEEP_ANSWER_BYTES). */
  answerBytes: number;
  /** Rows matching the filters, before `first`/`offset`: the X-Total-Count header. */
  total?: number;
  /** How many times `auditData` was selected (aliases, fragments): once is allowed. */
  calls?: number;
}

/** A list argument: null and [] filter nothing. */
function listOf(param: string, values: string[] | null | undefined): string[] | undefined {
  if (!values?.length) return undefined;
  if (values.length > LIST_MAX) invalidParameter(param, `takes at most ${LIST_MAX} values.`);
  // GraphQL string literals are decoded from the query text, which no request schema sees.
  if (values.some((v) => unstorable(v) !== null)) {
    invalidParameter(param, 'must be well-formed Unicode without NUL characters.');
  }
  return values;
}

/**
 * Resolves `auditData`: the arguments become one store filter (time range, component types,
 * users by id or login, LPA, automatic), then one window of rows; only the window's rows get a
 * `changeDate`, and they are measured before GraphQL builds its answer from them.
 */
export async function resolveAuditData(
  args: AuditDataArgs,
  ctx: AuditContext,
  info: GraphQLResolveInfo,
): Promise<AuditRow[]> {
  ctx.calls = (ctx.calls ?? 0) + 1;
  if (ctx.calls > 1) {
    throw new TrailkeepError('invalid_request', 'Select auditData once per request.');
  }
  if (args.first < 0 || args.first > FIRST_MAX) {
    invalidParameter('first', `must be between 0 and ${FIRST_MAX}.`);
  }
  if (args.offset < 0) invalidParameter('offset', 'must not be negative.');
  const zone = zoneNamed(args.timezone);
  try {
    Intl.getCanonicalLocales(args.language);
  } catch {
    invalidParameter('language', `is not a language tag: ${JSON.stringify(args.language)}.`);
  }
  const columns = args.orderBy.length > 0 ? args.orderBy : (['changeTimestamp'] as const);
  if (args.orderDirection.length > columns.length) {
    invalidParameter('orderDirection', 'has more entries than orderBy.');
  }
  const order = columns.map((column, i) => ({ column, desc: (args.orderDirection[i] ?? 'DESC') === 'DESC' }));

  const componentTypes = listOf('componentTypes', args.componentTypes);
  const users = listOf('users', args.users);
  // lpa and automaticUpdates include those events: false leaves them out, true filters nothing.
  const filter: EventFilter = {
    ...zonedDayRange(zone, args.fromDate ?? undefined, args.toDate ?? undefined),
    ...(componentTypes ? { fields: { target_type: componentTypes } } : {}),
    ...(users ? { actorIdOrLogin: users } : {}),
    ...(args.lpa ? {} : { privileged: false }),
    ...(args.automaticUpdates ? {} : { automatic: false }),
  };
  // Ordered by time alone, rows stream in the store's (occurred_at, seq) index order.
  const timeOnly = order.every((o) => isTimeColumn(o.column));
  const { rows, total } = await rowWindow(ctx.events, ctx.tenant, filter, {
    rowsOf: auditRowsOf,
    offset: args.offset,
    limit: args.first,
    order: order[0]?.desc === false ? 'asc' : 'desc',
    ...(timeOnly ? {} : { compare: comparatorOf(order) }),
    cap: SORT_CAP,
  });
  const answer = rows.map((r) => dated(r, zone));
  checkAnswerBytes(answer, info, ctx.answerBytes);
  ctx.total = total;
  return answer;
}
