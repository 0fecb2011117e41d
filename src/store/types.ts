import type { Credential, CredentialKind } from '../core/credentials.js';
import type { AppendResult } from '../core/event/idempotency.js';
import type { PreparedEvent } from '../core/event/prepare.js';
import type { Job, JobKind } from '../core/jobs.js';
import type { EventFilter, EventQuery, EventRow, Facet } from '../core/query.js';
import type { Delivery, DeliveryState, StreamRecord } from '../core/streams/stream.js';
import type { Tenant, TenantChanges } from '../core/tenant.js';
import type { ExportFiles } from './exports.js';
import type { LogStore } from './log.js';

// The domain records are core's (src/core/jobs.ts, credentials.ts, tenant.ts); the store keeps them.
export type { Credential, CredentialKind } from '../core/credentials.js';
export type { Job, JobKind, JobState } from '../core/jobs.js';
export type { Tenant, TenantChanges } from '../core/tenant.js';
export type { ExportDownload, ExportFileRef, ExportFiles, ExportFileWriter } from './exports.js';
export type { CheckpointRange, ExtendOutcome, LogExtension, LogStore, StoredCheckpoint } from './log.js';

/**
 * The one storage interface. Each engine implements it in its own folder and passes the same
 * conformance suite (test/store/conformance.ts). Services never see SQL or a driver.
 * Times are epoch milliseconds unless a field says otherwise.
 */
export interface Store {
  readonly engine: 'sqlite' | 'postgres';
  /** Applies pending migrations; safe to call on every start. */
  migrate(): Promise<void>;
  /** The highest migration applied (what `trailkeep migrate` reports). */
  schemaVersion(): Promise<number>;
  /** Resolves when the database answers; rejects otherwise. */
  ping(): Promise<void>;
  /** Closes the store; calling it again does nothing. */
  close(): Promise<void>;
  readonly settings: SettingStore;
  readonly tenants: TenantStore;
  readonly credentials: CredentialStore;
  readonly events: EventStore;
  readonly jobs: JobStore;
  /** Export files, kept where every node sharing this store can serve them. */
  readonly exports: ExportFiles;
  /** The tamper-evident log: tiles and signed checkpoints per tenant. */
  readonly log: LogStore;
  /** Streams to SIEMs: their settings, cursors, leases and deliveries. */
  readonly streams: StreamStore;
}

export interface SettingStore {
  get(key: string): Promise<string | null>;
  /** Stores `value` unless the key has one already; returns the value in force. */
  putIfAbsent(key: string, value: string): Promise<string>;
  put(key: string, value: string): Promise<void>;
}

export interface TenantStore {
  /** Throws `conflict` when the id exists. */
  create(tenant: { id: string; name: string }, now: number): Promise<Tenant>;
  get(id: string): Promise<Tenant | null>;
  list(): Promise<Tenant[]>;
  /** Applies the changes given (absent members stay); the tenant as it now is, or null when unknown. */
  update(id: string, changes: TenantChanges): Promise<Tenant | null>;
}

export interface CredentialRecord extends Credential {
  secret_hash: string;
}

export interface CredentialStore {
  create(record: Omit<CredentialRecord, 'created_at' | 'revoked_at'>, now: number): Promise<Credential>;
  /** Any credential by id, with its secret hash, revoked or not. */
  find(id: string): Promise<CredentialRecord | null>;
  list(tenant: string | null, kind: CredentialKind): Promise<Credential[]>;
  /** Revokes an active credential of that tenant and kind; false when there is none. */
  revoke(tenant: string | null, kind: CredentialKind, id: string, now: number): Promise<boolean>;
}

export type { AppendResult } from '../core/event/idempotency.js';

/** One tenant's part of a batch. */
export interface AppendGroup {
  tenant: string;
  events: PreparedEvent[];
}

export interface EventStore {
  /**
   * Appends a batch atomically and durably: every event is committed, or none is. Assigns
   * gapless per-tenant seqs and seals each event (hash) at commit. Throws `not_found` for an
   * unknown tenant and `conflict` when an id exists with different content.
   */
  append(tenant: string, events: PreparedEvent[], receivedAt: number): Promise<AppendResult[]>;
  /**
   * `append` for a batch that spans tenants (one group per tenant, each tenant once): one
   * transaction for all groups, so every event of every group is committed or none is; each
   * tenant's seqs stay gapless and its idempotency is its own. With `createTenants`, an unknown
   * tenant is created (its id as its name) in that same transaction; without, it is `not_found`.
   * Results are per group, in the groups' order.
   */
  appendGroups(
    groups: AppendGroup[],
    receivedAt: number,
    options?: { createTenants?: boolean },
  ): Promise<AppendResult[][]>;
  list(tenant: string, query: EventQuery): Promise<EventRow[]>;
  count(tenant: string, filter: EventFilter): Promise<number>;
  /**
   * The change rows of the matching events (core/change-rows.ts): one per change, one for an
   * event without changes. What dialects that list one row per change count and page by.
   */
  countChangeRows(tenant: string, filter: EventFilter): Promise<number>;
  /** The distinct (service, target type, action) combinations of the matching events, sorted bytewise, nulls last. */
  facets(tenant: string, filter: EventFilter): Promise<Facet[]>;
  /** The stored event JSON by client id, or by seq when `seq` is given and no id matches. */
  get(tenant: string, id: string, seq?: number): Promise<string | null>;
  /** The highest seq assigned in the tenant (0 when empty). */
  lastSeq(tenant: string): Promise<number>;
  /**
   * The events `filter` selects among seqs `after`+1…`upTo`, in seq order: a live tail's next
   * window. Read as a range of the tenant's seqs, so its cost follows the window, not the
   * filter. Seqs commit in order, so a window up to a `lastSeq` read before it is complete.
   */
  window(tenant: string, filter: EventFilter, after: number, upTo: number): Promise<EventRow[]>;
}

export interface JobOutcome {
  state: 'succeeded' | 'failed';
  rows?: number;
  snapshot_seq?: number;
  error?: string;
  /** A succeeded export's file size, what the tenant's byte quota counts. */
  bytes?: number;
  /**
   * With `bytes`: record the outcome only if the tenant's kept export bytes (ExportUsage), these
   * included, stay within this many; decided atomically with the tenant's other finishes and admissions.
   */
  maxKeptBytes?: number;
  finished_at: number;
  expires_at: number;
}

/**
 * What a tenant's exports hold now. `files` counts the exports that keep a file or will: queued,
 * running, and succeeded ones not yet expired. `bytes` sums the files of the succeeded ones.
 * Failed and cancelled exports keep no file; expired ones are about to be swept.
 */
export interface ExportUsage {
  files: number;
  bytes: number;
}

/** Whether finish recorded the outcome; else another owner holds the job, or the byte quota refused it. */
export type JobFinished = 'recorded' | 'fenced' | 'over_quota';

/** What a tenant's new job must respect; both checks and the insert are one atomic step on every node. */
export interface JobAdmission {
  /** The tenant may have at most this many jobs queued or running, the new one included. */
  maxActive: number;
  /** Refuse when the tenant created a job of the same kind at or after this time (a spacing rule). */
  spacedSince?: number;
  /** An export: the tenant's exports may count at most this many files (ExportUsage), the new one included. */
  maxExports?: number;
  /** An export: refused while the tenant's kept export bytes are at least this many. */
  maxExportBytes?: number;
}

/**
 * The new job; or what refused it: the tenant's export usage over a quota (checked first: waiting
 * does not free it), the creation time of the job that spaces it out, or its unfinished jobs.
 */
export type JobAdmitted =
  | { job: Job }
  | { exports: ExportUsage; over: 'files' | 'bytes' }
  | { blockedBy: number }
  | { active: number };

export interface JobStore {
  /** Creates a queued job if `rules` admit it. */
  create(
    job: { id: string; tenant: string; kind: JobKind; params: Record<string, unknown> },
    now: number,
    rules: JobAdmission,
  ): Promise<JobAdmitted>;
  get(tenant: string, id: string): Promise<Job | null>;
  /** The tenant's export usage at `now` (what the export quotas count). */
  exportUsage(tenant: string, now: number): Promise<ExportUsage>;
  /**
   * Takes a runnable job (queued, or running with an expired lease) for `owner` until
   * `now + leaseMs`, fairly across tenants: from the tenant with the fewest jobs running now (on
   * any node), then the one whose last job started longest ago (so one worker serves tenants in
   * turn), then the oldest job. One atomic statement: exactly one caller wins each job.
   */
  lease(owner: string, now: number, leaseMs: number): Promise<Job | null>;
  /** Extends a lease this owner still holds on a running job; false when it was lost or cancelled. */
  renew(id: string, owner: string, until: number): Promise<boolean>;
  /** Records the outcome if `owner` still holds the lease (fencing) and `maxKeptBytes` allows it. */
  finish(id: string, owner: string, outcome: JobOutcome): Promise<JobFinished>;
  /** Cancels a queued or running job; returns the job as it now is, or null when unknown. */
  cancel(tenant: string, id: string, now: number, expiresAt: number): Promise<Job | null>;
  /** Jobs whose `expires_at` has passed. */
  expired(now: number, limit: number): Promise<Job[]>;
  delete(tenant: string, id: string): Promise<void>;
}

/** What PATCH and the state routes change in a stream; absent members stay. */
export type StreamChanges = Partial<
  Pick<
    StreamRecord,
    | 'name'
    | 'destination'
    | 'secrets'
    | 'format'
    | 'filters'
    | 'batch'
    | 'pii'
    | 'state'
    | 'replay'
    | 'last_error'
    | 'last_error_at'
    | 'next_attempt_at'
  >
>;

export type DeliveryFilter = DeliveryState | 'failed';

export interface StreamLag {
  tenant: string;
  id: string;
  last_seq: number;
  /** When the oldest event not yet delivered was received (epoch ms); null when caught up. */
  oldest_received_at: number | null;
}

/** How a lease holder's attempt ended, recorded with the stream's state in one step. */
export interface AttemptFailed {
  error: string;
  /** Not tried again before this time. */
  nextAttemptAt: number;
  /** The destination refused the credential (paused) or is gone (disabled). */
  state?: 'paused' | 'disabled';
}

/**
 * Streams (docs/streams.md). The event table is their outbox: a stream is a cursor over its
 * tenant's seqs. A node works on a stream only while it holds its lease; every write a worker
 * makes is fenced by that lease, so a node that lost it (killed, stalled) changes nothing.
 */
export interface StreamStore {
  create(stream: StreamRecord): Promise<StreamRecord>;
  get(tenant: string, id: string): Promise<StreamRecord | null>;
  /** The tenant's streams, oldest first. */
  list(tenant: string): Promise<StreamRecord[]>;
  /** Every stream of every tenant (for /metrics), oldest first. */
  all(): Promise<StreamRecord[]>;
  /** Applies `changes` and sets updated_at; the stream as it now is, or null when unknown. */
  update(tenant: string, id: string, changes: StreamChanges, now: number): Promise<StreamRecord | null>;
  /** Removes the stream and its deliveries; false when unknown. */
  delete(tenant: string, id: string): Promise<boolean>;
  /**
   * Takes an active stream that has work (events past its cursor, a replay, or a pending
   * delivery) and is due (`next_attempt_at` passed), whose lease is free or expired, for
   * `owner` until `now + leaseMs`; the one waiting longest first, `skip` left out. Reads before
   * it writes, so a node with nothing to do takes no write lock.
   */
  lease(owner: string, now: number, leaseMs: number, skip: readonly string[]): Promise<StreamRecord | null>;
  /** Extends a lease `owner` still holds; false when it was lost. */
  renew(tenant: string, id: string, owner: string, until: number): Promise<boolean>;
  /** Gives the lease up; the stream is not taken again before `nextAttemptAt`. */
  release(tenant: string, id: string, owner: string, nextAttemptAt: number): Promise<void>;
  /** The stream's delivery begun and not finished (its replay's, when `replay` is a number), if any. */
  pending(tenant: string, stream: string, replay: number | null): Promise<Delivery | null>;
  /** Records a delivery about to be attempted (state pending); false when `owner` lost the lease. */
  begin(delivery: Delivery, owner: string): Promise<boolean>;
  /**
   * Shrinks a pending delivery the destination rejected to a part of it (a new id and range):
   * how a record it can never take is found. False when `owner` lost the lease.
   */
  shrink(
    tenant: string,
    stream: string,
    id: string,
    part: Pick<Delivery, 'id' | 'to_seq' | 'events'>,
    owner: string,
    now: number,
  ): Promise<boolean>;
  /**
   * Ends a pending delivery as `delivered` or `dead` (a dead letter, with its reason) and moves
   * the cursor it belongs to (the stream's, or its replay's) to its `to_seq`, in one transaction
   * fenced by the lease; a replay whose cursor reaches its end is cleared. Clears the stream's
   * last error on `delivered`. False when `owner` lost the lease.
   */
  finish(
    tenant: string,
    stream: string,
    id: string,
    state: Exclude<DeliveryState, 'pending'>,
    error: string | null,
    owner: string,
    now: number,
  ): Promise<boolean>;
  /** Moves a cursor over seqs that hold no event of the stream's filter (no delivery needed). */
  advance(
    tenant: string,
    stream: string,
    replay: boolean,
    toSeq: number,
    owner: string,
    now: number,
  ): Promise<boolean>;
  /** Records a failed attempt: the delivery's attempts and error, the stream's last error, backoff and state. */
  failed(
    tenant: string,
    stream: string,
    id: string,
    failure: AttemptFailed,
    owner: string,
    now: number,
  ): Promise<boolean>;
  /**
   * The stream's deliveries, newest first: all, those in a state, or `failed` ones (dead letters,
   * and pending ones whose last attempt failed).
   */
  deliveries(
    tenant: string,
    stream: string,
    filter: DeliveryFilter | null,
    limit: number,
  ): Promise<Delivery[]>;
  /**
   * Every stream's position against its tenant's log, in one read: the tenant's last seq, and
   * when the first event past the cursor was received (null when caught up). Of one tenant's
   * streams, or of all (for /metrics).
   */
  lags(tenant: string | null): Promise<StreamLag[]>;
  /** Removes delivered deliveries last updated before `before` (dead letters stay); how many went. */
  prune(before: number, limit: number): Promise<number>;
}
