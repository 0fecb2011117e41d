import type { Static, TObject } from 'typebox';
import type { StreamFormatName } from '../../../core/streams/stream.js';
import type { SafeNet } from '../net.js';

/** One delivered record: the formatted event, and its JSON text as sent. */
export interface OutRecord {
  seq: number;
  /** The event's `occurred_at` (RFC 3339), what destinations that keep a time per record take. */
  occurredAt: string;
  record: Record<string, unknown>;
  /** `JSON.stringify(record)`, written once per record. */
  json: string;
}

/**
 * One batch for a destination. Its id, seq range and records are the same on every attempt, on
 * any node: a destination that de-duplicates by id (or writes by a key made from it) sees a
 * retry as the same batch.
 */
export interface OutBatch {
  /** The delivery id (`webhook-id`, S3 object key part, …): stable across retries. */
  id: string;
  tenant: string;
  stream: string;
  streamName: string;
  format: StreamFormatName;
  /** The seqs the batch covers, events the stream's filter left out included. */
  fromSeq: number;
  toSeq: number;
  records: OutRecord[];
  /** The tenant's latest signed checkpoint (a C2SP signed note) when the batch was formed; null before the first. */
  checkpoint: string | null;
  /** When the batch was first formed (epoch ms): the same on every attempt. */
  createdAt: number;
}

/**
 * What an attempt came to:
 * - accepted: the destination has the batch (for Splunk with acknowledgement: indexed);
 * - retry: a failure that may pass (network, timeout, 408, 429, 5xx), after `retryAfterMs` when
 *   the destination said so (Retry-After);
 * - refused: the destination refused the credential (401/403): the stream pauses;
 * - gone: the endpoint is gone for good (410): the stream is disabled;
 * - rejected: the destination will never take this batch as it is (another 4xx): the worker
 *   splits it until the one record it refuses goes to the dead letters.
 */
export type SendOutcome =
  | { kind: 'accepted' }
  | { kind: 'retry'; error: string; retryAfterMs?: number }
  | { kind: 'refused'; error: string }
  | { kind: 'gone'; error: string }
  | { kind: 'rejected'; error: string };

/** What a destination may use to reach the outside: connections only to addresses the operator allows. */
export interface DestinationContext {
  net: SafeNet;
  /** The host name Trailkeep reports as the sender (syslog HOSTNAME, Datadog hostname …). */
  hostname: string;
  clock: () => number;
}

/** An opened destination; one per stream while a node delivers it. */
export interface Destination {
  /** One attempt; never throws for the destination's answers (those are outcomes), and stops when `signal` aborts. */
  send(batch: OutBatch, signal: AbortSignal): Promise<SendOutcome>;
  /** Releases connections. */
  close(): Promise<void>;
}

/**
 * One kind of destination: its settings as the API takes them, which of them are secrets, and
 * how to open it. Adding a destination is one file beside this one and its entry in index.ts.
 */
export interface DestinationModule<S extends TObject = TObject> {
  type: string;
  /** The settings (`destination` in POST /v1/streams), secrets included; `type` is added by index.ts. */
  settings: S;
  /** The settings that are secrets: stored sealed (services/streams/secrets.ts), never returned. */
  secrets: readonly (keyof Static<S> & string)[];
  /** What the destination's intake takes at most in one request; a stream's batch limits are capped by these. */
  limits?: { max_events?: number; max_bytes?: number };
  /** Checks beyond the schema, at create and update (a URL's scheme, its host); throws `invalid_request` naming the setting. */
  validate?(settings: Static<S>, net: SafeNet): void;
  open(settings: Static<S>, context: DestinationContext): Destination;
}

/** Classifies an HTTP status the way every HTTP destination does (see SendOutcome). */
export function outcomeOfStatus(status: number, error: string, retryAfterMs?: number): SendOutcome {
  if (status >= 200 && status < 300) return { kind: 'accepted' };
  if (status === 401 || status === 403) return { kind: 'refused', error };
  if (status === 410) return { kind: 'gone', error };
  if (status === 408 || status === 429 || status >= 500 || status < 200)
    return retryAfterMs === undefined ? { kind: 'retry', error } : { kind: 'retry', error, retryAfterMs };
  return { kind: 'rejected', error };
}
