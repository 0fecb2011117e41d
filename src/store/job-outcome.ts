import type { JobOutcome } from './types.js';

/**
 * A finished job's outcome as the values of `SET state, rows, snapshot_seq, error, bytes,
 * finished_at, expires_at`, in that order: both engines' finish statements bind them so.
 */
export const outcomeValues = (o: JobOutcome): unknown[] => [
  o.state,
  o.rows ?? null,
  o.snapshot_seq ?? null,
  o.error ?? null,
  o.bytes ?? null,
  o.finished_at,
  o.expires_at,
];
