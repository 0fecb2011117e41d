import { randomUUID } from 'node:crypto';
import { invalidParameter, TrailkeepError } from '../../core/errors.js';
import type { Job, JobKind } from '../../core/jobs.js';
import type { EventFilter, EventRow } from '../../core/query.js';
import type { ExportDownload, ExportFiles, JobStore } from '../../store/types.js';
import type { EventService, Page, PageRequest } from '../events.js';
import type { ExportFormat } from '../exports/writer.js';
import {
  type ExportOptions,
  type ExportParams,
  exportFormatOf,
  frozenFilter,
  orderOf,
  type QueryOptions,
  type QueryParams,
  visibleWithin,
} from './params.js';
import { type ExportQuota, exportRefused } from './quota.js';
import { removeExportFiles } from './runners.js';

const NOUN: Record<JobKind, string> = { query: 'Query job', export: 'Export' };

/** The cursor scope of a query job's results: a cursor pages that job and no other list. */
export const resultsScope = (jobId: string) => `query:${jobId}`;

/**
 * The request side of async queries and exports: create, inspect, cancel, read results.
 * Running jobs is the worker's part; the two meet only through the store.
 */
export class JobService {
  private readonly listeners = new Set<() => void>();

  constructor(
    private readonly jobs: JobStore,
    private readonly events: EventService,
    private readonly files: ExportFiles,
    /** How long a finished or cancelled job and its results are kept. */
    readonly ttlMs: number,
    /** Jobs one tenant may have queued or running at once. */
    private readonly maxActive: number,
    /** What one tenant's exports may hold at once (quota.ts). */
    readonly exportQuota: ExportQuota,
    private readonly clock: () => number = Date.now,
  ) {}

  /**
   * Called whenever this node creates a job, so a local worker starts it at once instead of at
   * its next poll. Other nodes find it by polling. Returns the unsubscribe function.
   */
  onCreated(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** `options` sets the results' order (newest first by default) and keeps the dialect's request. */
  createQuery(tenant: string, filter: EventFilter, options: QueryOptions = {}): Promise<Job> {
    return this.create(tenant, 'query', { filter, ...options });
  }

  createExport(
    tenant: string,
    format: ExportFormat,
    filter: EventFilter,
    options: ExportOptions = {},
  ): Promise<Job> {
    if (options.proofs && format !== 'ndjson')
      invalidParameter(
        'proofs',
        'needs format ndjson: proofs ride in the file as one more JSON line.',
        'body.proofs',
      );
    if (options.proofs && options.within) {
      // A timed range's proof carries its neighbours as stored: events outside the token's filters.
      const message = 'is not for viewer tokens: a proof’s witnesses are events outside the token’s filters.';
      throw new TrailkeepError('forbidden', `proofs ${message}`, [{ path: 'body.proofs', message }]);
    }
    return this.create(tenant, 'export', {
      format,
      filter,
      ...(options.proofs ? { proofs: true } : {}),
      ...(options.within ? { within: options.within } : {}),
    });
  }

  /**
   * An export, unless the tenant started one less than `spacingMs` ago (on any node): then
   * how long until it may, in milliseconds.
   */
  async createExportSpaced(
    tenant: string,
    format: ExportFormat,
    filter: EventFilter,
    spacingMs: number,
  ): Promise<{ job: Job } | { retryAfterMs: number }> {
    const now = this.clock();
    const made = await this.admit(tenant, 'export', { format, filter }, now - spacingMs + 1);
    if ('blockedBy' in made) return { retryAfterMs: made.blockedBy + spacingMs - now };
    return made;
  }

  private async create(tenant: string, kind: JobKind, params: QueryParams | ExportParams): Promise<Job> {
    // Without a spacing rule, only the cap can refuse, and admit() throws for it.
    return ((await this.admit(tenant, kind, params)) as { job: Job }).job;
  }

  /** Creates the job within the tenant's cap on unfinished jobs (and spacing, when given). */
  private async admit(
    tenant: string,
    kind: JobKind,
    params: QueryParams | ExportParams,
    spacedSince?: number,
  ): Promise<{ job: Job } | { blockedBy: number }> {
    const made = await this.jobs.create(
      { id: randomUUID(), tenant, kind, params: { ...params } },
      this.clock(),
      {
        maxActive: this.maxActive,
        maxExports: this.exportQuota.files,
        maxExportBytes: this.exportQuota.bytes,
        ...(spacedSince === undefined ? {} : { spacedSince }),
      },
    );
    if ('exports' in made) throw exportRefused(made.exports, made.over, this.exportQuota);
    if ('active' in made) {
      throw new TrailkeepError(
        'rate_limited',
        `The tenant has ${made.active} queued or running jobs, the most it may have at once; retry when one finishes.`,
        { retry_after: 5 },
      );
    }
    if ('job' in made) this.created();
    return made;
  }

  private created(): void {
    for (const listener of this.listeners) listener();
  }

  /**
   * The tenant's job of that kind; anything else (another tenant's, the other kind, expired, or
   * for a viewer token narrowed to `within` one it may not see: visibleWithin) is 404.
   */
  async get(tenant: string, kind: JobKind, id: string, within?: EventFilter): Promise<Job> {
    const job = await this.jobs.get(tenant, id);
    if (
      !job ||
      job.kind !== kind ||
      (job.expires_at !== null && job.expires_at < this.clock()) ||
      !visibleWithin(job, within)
    ) {
      throw new TrailkeepError('not_found', `${NOUN[kind]} ${id} not found.`);
    }
    return job;
  }

  /** Cancels a queued or running job. A finished job is returned as it is: there is nothing to stop. */
  async cancel(tenant: string, kind: JobKind, id: string): Promise<Job> {
    await this.get(tenant, kind, id);
    const now = this.clock();
    const job = await this.jobs.cancel(tenant, id, now, now + this.ttlMs);
    // Swept between the two calls: as gone as if it never existed.
    if (!job) throw new TrailkeepError('not_found', `${NOUN[kind]} ${id} not found.`);
    return job;
  }

  /**
   * What deleting an export does: a queued or running one is cancelled (and kept until it
   * expires, like any ended job); one that has ended is deleted with its files at once, freeing
   * its place in the tenant's quotas. Returns the job as it was, and whether it is gone.
   */
  async deleteExport(tenant: string, id: string): Promise<{ job: Job; deleted: boolean }> {
    const found = await this.get(tenant, 'export', id);
    if (found.state !== 'queued' && found.state !== 'running') {
      return { job: await this.removeExport(found), deleted: true };
    }
    const job = await this.cancel(tenant, 'export', id);
    // It ended between the two calls: its file is what the client asked to be rid of.
    if (job.state !== 'cancelled') return { job: await this.removeExport(job), deleted: true };
    return { job, deleted: false };
  }

  /** Files first, as the expiry sweep does, so no file outlives its job. */
  private async removeExport(job: Job): Promise<Job> {
    await removeExportFiles(this.files, job);
    await this.jobs.delete(job.tenant, job.id);
    return job;
  }

  /** One page of a succeeded query's frozen result set, in the query's order (newest first by default). */
  async results(tenant: string, id: string, req: PageRequest): Promise<Page> {
    const job = ready(await this.get(tenant, 'query', id));
    return this.events.page(
      tenant,
      frozenFilter(job, job.snapshot_seq ?? 0),
      { ...req, order: req.order ?? orderOf(job) },
      resultsScope(id),
    );
  }

  /** The whole frozen result set of a succeeded query, in its order, chunk by chunk (for streaming). */
  async scan(tenant: string, id: string): Promise<{ job: Job; chunks: AsyncGenerator<EventRow[]> }> {
    const job = ready(await this.get(tenant, 'query', id));
    return { job, chunks: this.events.scan(tenant, frozenFilter(job, job.snapshot_seq ?? 0), orderOf(job)) };
  }

  /** The finished export file of a succeeded export (one `within` may see), opened for streaming. */
  async download(
    tenant: string,
    id: string,
    within?: EventFilter,
  ): Promise<{ job: Job; format: ExportFormat; file: ExportDownload }> {
    const job = ready(await this.get(tenant, 'export', id, within));
    const format = exportFormatOf(job);
    // The attempt that finished the job is the last one leased: only its file is published.
    const file = await this.files.open({ tenant, jobId: id, attempt: job.attempts, format });
    if (!file) throw new TrailkeepError('not_found', `Export ${id} not found.`);
    return { job, format, file };
  }
}

function ready(job: Job): Job {
  if (job.state !== 'succeeded') {
    throw new TrailkeepError(
      'job_not_ready',
      `The job is ${job.state}; its results are available once it has succeeded.`,
      { state: job.state },
    );
  }
  return job;
}
