/** How figures are written in the log and the tables. */
import type { Stat } from './stats.js';

export const int = (n: number): string => Math.round(n).toLocaleString('en');

export const mib = (b: number | null): string => (b === null ? 'n/a' : `${Math.round(b / 2 ** 20)} MiB`);

/** Milliseconds or seconds: two decimals below 10, one above. */
export const fixed = (n: number): string => n.toFixed(Math.abs(n) < 10 ? 2 : 1);

/** `median [min–max]`. */
export const spread = (s: Stat, f: (n: number) => string = fixed): string =>
  `${f(s.median)} [${f(s.min)}–${f(s.max)}]`;
