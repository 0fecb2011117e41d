/** 24 November 4714 BC, the first instant PostgreSQL's timestamptz holds (in JavaScript time). */
const FIRST_MS = Date.UTC(-4713, 10, 24);

/**
 * A time as timestamptz text PostgreSQL reads. `toISOString` writes the year before 1 AD as
 * `0000`, earlier ones signed (`-000001`) and later than 9999 signed (`+010000`): PostgreSQL
 * parses none of them (it has no year 0; 1 BC precedes 1 AD). Those years are written as
 * PostgreSQL writes them (`0001-… BC`, `10000-…`). A time before PostgreSQL's first instant can
 * only be a filter bound (ingest takes years 0000–9999) and is read as that instant.
 */
export function pgTime(ms: number): string {
  const d = new Date(Math.max(ms, FIRST_MS));
  const year = d.getUTCFullYear();
  const rest = d.toISOString().replace(/^[+-]?\d+/, '');
  return year >= 1
    ? `${String(year).padStart(4, '0')}${rest}`
    : `${String(1 - year).padStart(4, '0')}${rest} BC`;
}
