import { type ChangeEvent, changeRowsOf } from '../../core/change-rows.js';
import { formatInZone } from '../../core/zoned-days.js';

/** One LivePerson `auditData` row (docs/event-model.md §3), plus the instant it sorts by. */
export interface AuditRow {
  changeTimestamp: number;
  accountId: string;
  objectType: string | null;
  objectName: string | null;
  element: string;
  oldValue: string;
  newValue: string;
  originator: string | null;
  originatorLoginName: string | null;
  originatorUserId: string | null;
  originatorUserAgent: string | null;
  originatorAuthType: string | null;
  originatorIsLpa: boolean;
  changeDate: string;
}

/** A row before its `changeDate` is rendered: only the rows a page shows are. */
export type UndatedRow = Omit<AuditRow, 'changeDate'>;

export const CHANGE_DATE = 'yyyy-MM-dd HH:mm:ss.S';

/**
 * The rows of one stored event: one per change (`element` the field, values joined with `, `), or
 * one `N/A` row with empty values for an event without changes. The event filters (users, LPA,
 * automatic) are the store's.
 */
export function auditRowsOf(json: string): UndatedRow[] {
  const e = JSON.parse(json) as ChangeEvent;
  const at = Date.parse(e.occurred_at);
  const a = e.actor ?? {};
  const base = {
    changeTimestamp: at,
    accountId: e.tenant,
    objectType: e.target?.type ?? null,
    objectName: e.target?.name ?? null,
    originator: a.name ?? null,
    originatorLoginName: a.login ?? null,
    originatorUserId: a.id ?? null,
    originatorUserAgent: a.user_agent ?? e.source?.user_agent ?? null,
    originatorAuthType: a.auth_type ?? null,
    originatorIsLpa: a.privileged === true,
  };
  return changeRowsOf(e).map((c) => ({
    ...base,
    element: c.field ?? 'N/A',
    oldValue: c.old.join(', '),
    newValue: c.new.join(', '),
  }));
}

/** `changeDate`: the row's instant as local time in `zone`. */
export const dated = (row: UndatedRow, zone: string): AuditRow => ({
  ...row,
  changeDate: formatInZone(row.changeTimestamp, zone, CHANGE_DATE),
});

/** The columns `orderBy` accepts: every selectable field, and `changeTimestamp`. */
export const COLUMNS = [
  'changeTimestamp',
  'accountId',
  'objectType',
  'objectName',
  'element',
  'oldValue',
  'newValue',
  'originator',
  'originatorLoginName',
  'originatorUserId',
  'originatorUserAgent',
  'originatorAuthType',
  'originatorIsLpa',
  'changeDate',
] as const;
export type Column = (typeof COLUMNS)[number];

/** `changeDate` is the same instant as `changeTimestamp`: it sorts by the instant, not the text. */
const keyOf = (c: Column): Exclude<Column, 'changeDate'> => (c === 'changeDate' ? 'changeTimestamp' : c);

type Key = string | number | boolean | null;

/** Nulls sort after every value, as PostgreSQL does (last ascending, first descending). */
const compareKeys = (a: Key, b: Key): number =>
  a === b ? 0 : a === null ? 1 : b === null ? -1 : a < b ? -1 : 1;

/** A row comparator for `orderBy` columns, each with its direction. */
export function comparatorOf(order: { column: Column; desc: boolean }[]) {
  const keys = order.map((o) => ({ key: keyOf(o.column), sign: o.desc ? -1 : 1 }));
  return (x: UndatedRow, y: UndatedRow): number => {
    for (const { key, sign } of keys) {
      const c = compareKeys(x[key], y[key]);
      if (c !== 0) return sign * c;
    }
    return 0;
  };
}

/** Whether a column orders by the event's instant (then rows stream in the store's index order). */
export const isTimeColumn = (c: Column): boolean => keyOf(c) === 'changeTimestamp';
