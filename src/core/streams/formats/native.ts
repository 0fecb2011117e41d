import type { ProofFields, StreamFormat } from './types.js';

/** The key a record carries when a stream's PII rules changed it: the fields they changed. */
export const REDACTED_KEY = 'redacted';

/** The proof fields every format's record carries somewhere; these are where native keeps them. */
export function proofOf(value: Record<string, unknown> | undefined | null): ProofFields | null {
  if (!value) return null;
  const { tenant, seq, hash } = value;
  return typeof tenant === 'string' && Number.isSafeInteger(seq) && typeof hash === 'string'
    ? { tenant, seq: seq as number, hash }
    : null;
}

/**
 * The stored event exactly as `GET /v1/events/{id}` returns it; with PII rules applied, a
 * `redacted` member lists the fields they changed (its hash then covers the event before them).
 */
export const native: StreamFormat = {
  name: 'native',
  render: (event, redacted) => (redacted.length ? { ...event, [REDACTED_KEY]: [...redacted] } : event),
  proof: proofOf,
  original: (record) => (REDACTED_KEY in record || !proofOf(record) ? null : record),
  redacted: (record) => Array.isArray(record[REDACTED_KEY]),
};
