import type { FilterParams } from '../filters.js';

/** Where a stream delivers (docs/streams.md has a page for each). */
export const DESTINATION_TYPES = ['webhook', 'splunk_hec', 'datadog', 's3', 'syslog'] as const;
export type DestinationType = (typeof DESTINATION_TYPES)[number];

/** How each delivered event is written (docs/streams/formats.md). */
export const STREAM_FORMATS = ['native', 'ocsf', 'cloudevents'] as const;
export type StreamFormatName = (typeof STREAM_FORMATS)[number];

/**
 * active: delivering; paused: by its admin, or by the destination refusing the credential
 * (401/403) until resumed; disabled: the destination said the endpoint is gone (410) until resumed.
 */
export const STREAM_STATES = ['active', 'paused', 'disabled'] as const;
export type StreamState = (typeof STREAM_STATES)[number];

/** What a field of the delivered event becomes: keyed HMAC-SHA256 (hex), a mask, or nothing. */
export const PII_ACTIONS = ['hmac', 'mask', 'drop'] as const;
export type PiiAction = (typeof PII_ACTIONS)[number];

export interface PiiRule {
  /** A dotted path into the event (`actor.email`, `source.ip`, `changes.new`): every value at it. */
  field: string;
  action: PiiAction;
}

/** When a batch is sent: at most this many events and bytes, and at most this long after its first event was seen. */
export interface BatchLimits {
  max_events: number;
  max_bytes: number;
  max_wait_ms: number;
}

export const DEFAULT_BATCH: BatchLimits = { max_events: 500, max_bytes: 1_000_000, max_wait_ms: 1_000 };

/** A range of seqs delivered again on request (POST /v1/streams/{id}/replay), beside the live cursor. */
export interface Replay {
  from_seq: number;
  to_seq: number;
  /** The last seq of the range delivered so far (from_seq - 1 before the first batch). */
  cursor: number;
  /** Names the replay (when it was asked for, epoch ms), so its deliveries have ids of their own. */
  n: number;
}

/**
 * A stream as the store keeps it. `destination` holds the destination's settings without its
 * secrets; `secrets` is the sealed box of those (services/streams/secrets.ts), never returned.
 */
export interface StreamRecord {
  id: string;
  tenant: string;
  name: string;
  destination: { type: DestinationType } & Record<string, unknown>;
  secrets: string | null;
  format: StreamFormatName;
  filters: FilterParams;
  batch: BatchLimits;
  pii: PiiRule[];
  state: StreamState;
  /** Every seq up to this one has been delivered or did not match the filter. */
  cursor: number;
  replay: Replay | null;
  created_at: number;
  updated_at: number;
  /** The last failure (delivery or state change), and when; cleared by the next success. */
  last_error: string | null;
  last_error_at: number | null;
  last_delivered_at: number | null;
  /** Not tried again before this time (a backoff). */
  next_attempt_at: number;
  lease_owner: string | null;
  lease_until: number | null;
}

/**
 * One batch sent to a destination. A batch's id and seq range are written before its first
 * attempt, so every retry, on any node, sends the same records under the same id.
 * pending → delivered. A record the destination can never take is a delivery of its own, in
 * state `dead` (a dead letter), with the reason in `error`; the stream moves past it.
 */
export const DELIVERY_STATES = ['pending', 'delivered', 'dead'] as const;
export type DeliveryState = (typeof DELIVERY_STATES)[number];

export interface Delivery {
  id: string;
  tenant: string;
  stream: string;
  /** The seqs this batch covers (events the filter left out included). */
  from_seq: number;
  to_seq: number;
  /** Events in the batch. */
  events: number;
  state: DeliveryState;
  /** A replay's deliveries name it; null for the live cursor's. */
  replay: number | null;
  attempts: number;
  created_at: number;
  updated_at: number;
  /** Why the last attempt failed, or why a dead letter could not be delivered. */
  error: string | null;
}
