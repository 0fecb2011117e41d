/** Spans of time in milliseconds, and the ISO-8601 intervals the Genesys dialect takes. */
export const MINUTE = 60_000;
export const HOUR = 3_600_000;
export const DAY = 86_400_000;

/** An ISO-8601 interval `from/to` of two instants in milliseconds. */
export const interval = (from: number, to: number) =>
  `${new Date(from).toISOString()}/${new Date(to).toISOString()}`;
