/** The statistics the suite reports: median with min and max over rounds. */

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
