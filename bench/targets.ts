/**
 * The targets, in one place, and how each figure is held against them. They are stated
 * for the quick profile's sizes (1,000,000 events in the measured tenant); at other sizes the
 * marks are printed all the same, for what they are worth.
 */
import type { Engine } from './databases.js';

export const TARGET_EVENTS = 1_000_000;

export const TARGETS = {
  /** Every page query's p95. */
  pageP95Ms: { sqlite: 15, postgres: 25 } as Record<Engine, number>,
  /** A page query's p50 at most this far above its SQL ceiling's. */
  gapP50Ms: 2,
  /** Deep pages as fast as the first: p50 no more than this above page 1's … */
  deepSlackMs: 1,
  /** … or this fraction above it, whichever is larger (noise on a shared machine). */
  deepSlackRatio: 0.1,
  /** A Genesys async query over the whole dataset reaches Succeeded within this. */
  asyncSucceededSeconds: 10,
  exportEventsPerSec: 100_000,
  exportPeakRssBytes: 256 * 2 ** 20,
  /** Issue 19: an inclusion proof's p95 over HTTP at 1,000,000 events. */
  inclusionP95Ms: 5,
} as const;

export interface Check {
  /** What was held against what, e.g. "p95 ≤ 15 ms". */
  target: string;
  ok: boolean;
}

const ms = (n: number) => `${n} ms`;

/** A page query's checks: p95 under the engine's bound, p50 within 2 ms of the ceiling's. */
export const pageChecks = (engine: Engine, p95: number, gapP50: number): Check[] => [
  { target: `p95 ≤ ${ms(TARGETS.pageP95Ms[engine])}`, ok: p95 <= TARGETS.pageP95Ms[engine] },
  { target: `p50 gap ≤ ${ms(TARGETS.gapP50Ms)}`, ok: gapP50 <= TARGETS.gapP50Ms },
];

export const deepCheck = (deepP50: number, firstP50: number): Check => ({
  target: 'p50 as page 1',
  ok: deepP50 <= firstP50 + Math.max(TARGETS.deepSlackMs, firstP50 * TARGETS.deepSlackRatio),
});

export const asyncCheck = (seconds: number): Check => ({
  target: `Succeeded ≤ ${TARGETS.asyncSucceededSeconds} s`,
  ok: seconds <= TARGETS.asyncSucceededSeconds,
});

export const exportChecks = (eventsPerSec: number, peakRssBytes: number | null): Check[] => [
  { target: '≥ 100,000 events/s', ok: eventsPerSec >= TARGETS.exportEventsPerSec },
  {
    target: 'peak RSS ≤ 256 MiB',
    ok: peakRssBytes !== null && peakRssBytes <= TARGETS.exportPeakRssBytes,
  },
];

export const inclusionCheck = (p95: number): Check => ({
  target: `p95 ≤ ${ms(TARGETS.inclusionP95Ms)}`,
  ok: p95 <= TARGETS.inclusionP95Ms,
});
