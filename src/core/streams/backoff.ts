/** The first retry's delay; each failure after it doubles the ceiling. */
export const FIRST_RETRY_MS = 1_000;

/** The longest a destination's Retry-After is honoured for (a day): beyond it, it reads as a mistake. */
export const MAX_RETRY_AFTER_MS = 86_400_000;

/**
 * How long to wait before attempt `failures + 1`: exponential backoff with full jitter (a
 * uniformly random delay up to the ceiling, so streams failing together do not retry
 * together), at least a tenth of the ceiling; or what the destination asked for (Retry-After),
 * which is honoured exactly up to a day.
 */
export function retryDelayMs(
  failures: number,
  maxMs: number,
  retryAfterMs: number | undefined,
  random: () => number = Math.random,
): number {
  if (retryAfterMs !== undefined) return Math.min(Math.max(retryAfterMs, 0), MAX_RETRY_AFTER_MS);
  const ceiling = Math.min(maxMs, FIRST_RETRY_MS * 2 ** Math.min(Math.max(failures - 1, 0), 30));
  return Math.round(ceiling * (0.1 + 0.9 * random()));
}

/** A batch's delivery id: the stream, the replay it belongs to, and its seq range (S3 keys and webhook ids are made of it). */
export const deliveryId = (stream: string, replay: number | null, from: number, to: number): string =>
  `${stream}.${replay === null ? '' : `r${replay}.`}${from}-${to}`;
