import { DateTime, IANAZone } from 'luxon';
import { TrailkeepError } from './errors.js';

const DATE = /^\d{4}-\d{2}-\d{2}$/;

const invalid = (name: string, message: string): never => {
  throw new TrailkeepError('invalid_request', `${name} ${message}`, [{ path: name, message }]);
};

/** An IANA time-zone name (`US/Eastern`, `Europe/Paris`, `UTC`); `invalid_request` otherwise. */
export function zoneNamed(name: string, param = 'timezone'): string {
  if (!IANAZone.isValidZone(name)) invalid(param, `is not an IANA time zone: ${JSON.stringify(name)}.`);
  return name;
}

function dayIn(text: string, zone: string, param: string): DateTime {
  const day = DATE.test(text) ? DateTime.fromFormat(text, 'yyyy-MM-dd', { zone }) : null;
  if (!day?.isValid) return invalid(param, `must be a date yyyy-MM-dd: ${JSON.stringify(text)}.`);
  return day.startOf('day');
}

/**
 * Whole days `fromDate`..`toDate` (both inclusive, `yyyy-MM-dd`) in `zone`, as the canonical
 * UTC range: `from` the first day's start, inclusive; `to` the start of the day after `toDate`,
 * exclusive. A day that starts in a DST gap starts at its first existing instant.
 */
export function zonedDayRange(
  zone: string,
  fromDate?: string,
  toDate?: string,
  names: { from: string; to: string } = { from: 'fromDate', to: 'toDate' },
): { from?: number; to?: number } {
  const from = fromDate === undefined ? undefined : dayIn(fromDate, zone, names.from).toMillis();
  const to = toDate === undefined ? undefined : dayIn(toDate, zone, names.to).plus({ days: 1 }).toMillis();
  if (from !== undefined && to !== undefined && to <= from) invalid(names.to, `is before ${names.from}.`);
  return { ...(from !== undefined ? { from } : {}), ...(to !== undefined ? { to } : {}) };
}

/** An instant as local time in `zone`, in a luxon pattern (`yyyy-MM-dd HH:mm:ss.S`). */
export const formatInZone = (ms: number, zone: string, pattern: string): string =>
  DateTime.fromMillis(ms, { zone }).toFormat(pattern);
