import { inYears, parseDateTime } from './interval.js';

const DAY = 86_400_000;

/** Unit lengths in milliseconds; long forms in any case, short forms lower case only (`M` is no month). */
const UNITS: [RegExp, number][] = [
  [/^(?:s|second|seconds)$/, 1000],
  [/^(?:m|minute|minutes)$/, 60_000],
  [/^(?:h|hour|hours)$/, 3_600_000],
  [/^(?:d|day|days)$/, DAY],
  [/^(?:w|week|weeks)$/, 7 * DAY],
];

const unitOf = (text: string): number | null => {
  const long = text.length > 1 ? text.toLowerCase() : text;
  return UNITS.find(([re]) => re.test(long))?.[1] ?? null;
};

/** An anchor, then any number of `±N unit` steps (`today-1week`, `now-1d+3h`). */
const RELATIVE = /^(now|today|yesterday|tomorrow)((?:\s*[+-]\s*\d{1,9}\s*[a-z]+)*)$/i;
const STEP = /([+-])\s*(\d{1,9})\s*([a-z]+)/gi;

/**
 * A "human-friendly" point in time, in UTC, as epoch milliseconds; null when `text` is none of:
 * - `now`; `today` (00:00 UTC of `now`'s day), `yesterday` and `tomorrow` (00:00 UTC of those days);
 * - any of those followed by steps `+N<unit>` / `-N<unit>`, units `s`, `m`, `h`, `d`, `w` or
 *   `second`, `minute`, `hour`, `day`, `week`, singular or plural (`now-1day`, `now+15m`);
 * - an RFC 3339 / ISO-8601 date or date-time (without a zone, UTC).
 * Pure: the caller passes the clock's `now`, so one request resolves every bound against one instant.
 */
export function parseHumanTime(text: string, now: number): number | null {
  const t = text.trim();
  const rel = RELATIVE.exec(t);
  if (!rel) return parseDateTime(t);
  const anchor = (rel[1] ?? '').toLowerCase();
  const midnight = Math.floor(now / DAY) * DAY;
  let at =
    anchor === 'now'
      ? now
      : anchor === 'today'
        ? midnight
        : anchor === 'yesterday'
          ? midnight - DAY
          : midnight + DAY;
  for (const [, sign, n, unit] of (rel[2] ?? '').matchAll(STEP)) {
    const ms = unitOf(unit ?? '');
    if (ms === null) return null;
    at += (sign === '-' ? -1 : 1) * Number(n) * ms;
  }
  return inYears(at) ? at : null;
}

/** What `parseHumanTime` accepts, for error messages. */
export const HUMAN_TIME_FORMS =
  'an RFC 3339 date-time or ISO date, "now", "today", "yesterday", or one of those with steps such as ' +
  '"now-1day", "now-3h", "now+15m", "today-1week" (units s, m, h, d, w or second, minute, hour, day, week)';
