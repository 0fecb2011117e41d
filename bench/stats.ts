/** The few statistics the suite reports: median with min and max over rounds, latency percentiles. */

export interface Stat {
  median: number;
  min: number;
  max: number;
}

export const stat = (xs: number[]): Stat => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median =
    sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
  return { median, min: sorted[0] as number, max: sorted[sorted.length - 1] as number };
};

export interface Percentiles {
  p50: number;
  p95: number;
  p99: number;
}

/** Nearest-rank percentiles (the smallest value with at least p % of the samples at or below it). */
export function percentiles(xs: number[]): Percentiles {
  const sorted = [...xs].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] as number;
  return { p50: at(50), p95: at(95), p99: at(99) };
}

/** Each percentile's median, min and max over rounds. */
export const percentileStats = (rounds: Percentiles[]): Record<keyof Percentiles, Stat> => ({
  p50: stat(rounds.map((r) => r.p50)),
  p95: stat(rounds.map((r) => r.p95)),
  p99: stat(rounds.map((r) => r.p99)),
});
