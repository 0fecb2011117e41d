import type { StreamFormatName } from '../stream.js';

/** A stored event as a stream reads it: the returned JSON parsed (it has `tenant`, `seq` and `hash`). */
export type StoredEvent = Record<string, unknown> & { tenant: string; seq: number; hash: string };

/** What every delivered record carries, whatever its format, so a receiver can check contiguity and hashes. */
export interface ProofFields {
  tenant: string;
  seq: number;
  hash: string;
}

/**
 * One stream format (docs/streams/formats.md): a pure mapping from a stored event to the record
 * a destination sends, and back to what `trailkeep verify` checks. Adding a format is one file
 * beside this one and its entry in index.ts.
 */
export interface StreamFormat {
  name: StreamFormatName;
  /**
   * The record for `event`. `redacted` lists the fields a stream's PII rules changed
   * (core/streams/pii.ts), so the record says its hash no longer recomputes from it.
   */
  render(event: StoredEvent, redacted: readonly string[]): Record<string, unknown>;
  /** The tenant, seq and hash a record of this format carries; null when it is not one. */
  proof(record: Record<string, unknown>): ProofFields | null;
  /**
   * The event whose canonical JSON the record's hash covers, as the record carries it; null when
   * the record was redacted (it cannot be checked) or is not one of this format.
   */
  original(record: Record<string, unknown>): Record<string, unknown> | null;
  /** Whether the record says PII rules changed it (so `original` cannot give the event its hash covers). */
  redacted(record: Record<string, unknown>): boolean;
}
