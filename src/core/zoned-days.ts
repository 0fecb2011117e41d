import { DateTime, IANAZone } from 'luxon';
import { invalidParameter as invalid } from './errors.js';
import { TIME_MAX, TIME_MIN } from './interval.js';

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const HOUR = 3_600_000;

/** An IANA time-zone name (`US/Eastern`, `Europe/Paris`, `UTC`); `invalid_request` otherwise. */
export function zoneNamed(name: string, param = 'timezone'): string {
  if (!IANAZone.isValidZone(name)) invalid(param, `is not an IANA time zone: ${JSON.stringify(name)}.`);
  return name;
}

type Day = { year: number; month: number; day: number };

const compareDays = (a: Day, b: Day): number => a.year - b.year || a.month - b.month || a.day - b.day;

/**
 * The first instant whose local date in `zone` is `day` or later: where the day begins, even when
 * its midnight does not exist (a DST gap: the day begins when the clocks jump) or exists twice (a
 * fall-back at midnight: the day begins at the first one). Luxon resolves such a local time to one
 * of its candidates, not always the first, so the boundary is found from the definition itself:
 * local dates only grow with time, and no offset change moves a day's start by more than 36 hours
 * from its midnight at the offset luxon picked.
 */
function startOfDay(day: Day, zone: string): number {
  const near = DateTime.fromObject(day, { zone }).toMillis();
  let before = near - 36 * HOUR;
  let after = near + 36 * HOUR;
  while (after - before > 1) {
    const mid = Math.floor((before + after) / 2);
    if (compareDays(DateTime.fromMillis(mid, { zone }), day) >= 0) after = mid;
    else before = mid;
  }
  return after;
}

function dayOf(text: string, param: string): Day {
  const m = DATE.exec(text);
  const day = m ? { year: Number(m[1]), month: Number(m[2]), day: Number(m[3]) } : null;
  if (!day || !DateTime.fromObject(day, { zone: 'UTC' }).isValid) {
    return invalid(param, `must be a date yyyy-MM-dd: ${JSON.stringify(text)}.`);
  }
  return day;
}

/** The calendar day after `day` (no zone: calendar arithmetic only). */
const nextDay = (day: Day): Day => {
  const d = DateTime.fromObject(day, { zone: 'UTC' }).plus({ days: 1 });
  return { year: d.year, month: d.month, day: d.day };
};

/**
 * Whole days `fromDate`..`toDate` (both inclusive, `yyyy-MM-dd`) in `zone`, as the canonical
 * UTC range: `from` the first day's start, inclusive; `to` the start of the day after `toDate`,
 * exclusive. Clamped to the instants an event can have (years 0000–9999 in UTC), so a day at the
 * edge of that range in a zone far from UTC still reads as a valid range.
 */
export function zonedDayRange(
  zone: string,
  fromDate?: string,
  toDate?: string,
  names: { from: string; to: string } = { from: 'fromDate', to: 'toDate' },
): { from?: number; to?: number } {
  const from =
    fromDate === undefined ? undefined : Math.max(TIME_MIN, startOfDay(dayOf(fromDate, names.from), zone));
  const to =
    toDate === undefined
      ? undefined
      : Math.min(TIME_MAX + 1, startOfDay(nextDay(dayOf(toDate, names.to)), zone));
  if (from !== undefined && to !== undefined && to <= from) invalid(names.to, `is before ${names.from}.`);
  return { ...(from !== undefined ? { from } : {}), ...(to !== undefined ? { to } : {}) };
}

/** An instant as local time in `zone`, in a luxon pattern (`yyyy-MM-dd HH:mm:ss.S`). */
export const formatInZone = (ms: number, zone: string, pattern: string): string =>
  DateTime.fromMillis(ms, { zone }).toFormat(pattern);
