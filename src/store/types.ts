import type { Credential, CredentialKind } from '../core/credentials.js';
import type { AppendResult } from '../core/event/idempotency.js';
import type { PreparedEvent } from '../core/event/prepare.js';
import type { Job, JobKind } from '../core/jobs.js';
import type { EventFilter, EventQuery, EventRow, Facet } from '../core/query.js';
import type { Tenant } from '../core/tenant.js';
import type { ExportFiles } from './exports.js';
import type { LogStore } from './log.js';

// The domain records are core's (src/core/jobs.ts, credentials.ts, tenant.ts); the store keeps them.
export type { Credential, CredentialKind } from '../core/credentials.js';
export type { Job, JobKind, JobState } from '../core/jobs.js';
export type { Tenant } from '../core/tenant.js';
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
