import { invalidParameter } from './errors.js';

/** A time range in epoch milliseconds: `from` inclusive, `to` exclusive. */
export interface TimeRange {
  from: number;
  to: number;
}

const DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?(Z|[+-]\d{2}:?\d{2})?)?$/i;
const DURATION =
  /^P(?!$)(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?!$)(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:[.,]\d{1,3})?)S)?)?$/i;

/**
 * An ISO-8601 date or date-time in years 0000–9999. Without a zone it is UTC (a server has no
 * business guessing the client's zone). Impossible dates (Feb 30, 24:00) are rejected.
 */
export function parseInstant(text: string): number | null {
  const m = DATE_TIME.exec(text.trim());
  if (!m) return null;
  const [, y, mo, d, h = '0', mi = '0', s = '0', frac = '', zone = 'Z'] = m;
  const ms = Number(frac.padEnd(3, '0').slice(0, 3));
  const date = new Date(0);
  date.setUTCFullYear(Number(y), Number(mo) - 1, Number(d));
  date.setUTCHours(Number(h), Number(mi), Number(s), ms);
  const local = date.getTime();
  // A date that rolled over (month 13, Feb 30, 25:00) no longer shows the fields it was given.
  if (
    date.getUTCFullYear() !== Number(y) ||
    date.getUTCMonth() !== Number(mo) - 1 ||
    date.getUTCDate() !== Number(d) ||
    date.getUTCHours() !== Number(h) ||
    date.getUTCMinutes() !== Number(mi) ||
    date.getUTCSeconds() !== Number(s)
  ) {
    return null;
  }
  if (zone.toUpperCase() === 'Z') return local;
  const z = /^([+-])(\d{2}):?(\d{2})$/.exec(zone);
  if (!z) return null;
  const offset = (Number(z[2]) * 60 + Number(z[3])) * 60_000;
  if (Number(z[2]) > 23 || Number(z[3]) > 59) return null;
  return z[1] === '+' ? local - offset : local + offset;
}

/** Adds (sign 1) or subtracts (sign -1) an ISO-8601 duration; years and months are calendar (UTC) steps. */
function shift(at: number, duration: string, sign: 1 | -1): number | null {
  const m = DURATION.exec(duration.trim());
  if (!m) return null;
  const [, y = '0', mo = '0', w = '0', d = '0', h = '0', mi = '0', s = '0'] = m;
  const date = new Date(at);
  date.setUTCFullYear(date.getUTCFullYear() + sign * Number(y), date.getUTCMonth() + sign * Number(mo));
  const fixed =
    ((Number(w) * 7 + Number(d)) * 86_400 + Number(h) * 3600 + Number(mi) * 60) * 1000 +
    Math.round(Number(s.replace(',', '.')) * 1000);
  return date.getTime() + sign * fixed;
}

/**
 * The instants Trailkeep stores and accepts: years 0000–9999 in UTC, so every one of them is
 * also an RFC 3339 date-time (a four-digit year) on the way out.
 */
export const TIME_MIN = Date.parse('0000-01-01T00:00:00.000Z');
export const TIME_MAX = Date.parse('9999-12-31T23:59:59.999Z');

/** Whether `ms` is one of those instants. */
export const inYears = (ms: number): boolean => Number.isFinite(ms) && ms >= TIME_MIN && ms <= TIME_MAX;

/**
 * A date-time as given on the wire (RFC 3339; ISO-8601 without a zone is UTC) as epoch
 * milliseconds, digits past the millisecond cut off, or null when it is not one of the instants
 * Trailkeep stores. The one test of "a valid date" for events, filters and every dialect's times.
 */
export function parseDateTime(text: string): number | null {
  const ms = parseInstant(text);
  return ms !== null && inYears(ms) ? ms : null;
}

/** The date-time parameter `name` as epoch milliseconds; `invalid_request` naming it otherwise. */
export const dateTimeParam = (text: string, name: string, path: string = name): number =>
  parseDateTime(text) ?? invalidParameter(name, 'must be an RFC 3339 date-time in years 0000-9999.', path);

/**
 * Parses an ISO-8601 time interval: `start/end`, `start/duration` or `duration/end`, start
 * inclusive, end exclusive, end after start. Throws `invalid_request` naming `field`.
 */
export function parseInterval(text: string, field = 'interval'): TimeRange {
  const bad = (why: string): never => invalidParameter(field, why, `$.${field}`);
  const parts = text.split('/');
  if (parts.length !== 2) {
    return bad('must be an ISO-8601 interval "start/end", e.g. 2024-05-01T00:00:00Z/2024-05-02T00:00:00Z.');
  }
  const [a = '', b = ''] = parts;
  const start = parseInstant(a);
  const end = parseInstant(b);
  let range: TimeRange | null = null;
  if (start !== null && end !== null) range = { from: start, to: end };
  else if (start !== null) {
    const to = shift(start, b, 1);
    if (to !== null) range = { from: start, to };
  } else if (end !== null) {
    const from = shift(end, a, -1);
    if (from !== null) range = { from, to: end };
  }
  if (!range || !inYears(range.from) || !inYears(range.to)) {
    return bad(
      'must be an ISO-8601 interval "start/end" of date-times (or one side a duration such as P1D) in years 0000-9999.',
    );
  }
  if (range.to <= range.from) return bad('must end after it starts.');
  return range;
}
