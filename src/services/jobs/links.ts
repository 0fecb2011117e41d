import type { Job } from '../../core/jobs.js';
import type { LinkSigner } from '../../core/links.js';
import type { EventRow } from '../../core/query.js';
import type { JobService } from './service.js';

/** How long a results download link stays valid (never beyond the job's own expiry). */
export const RESULTS_LINK_TTL_MS = 15 * 60_000;

/**
 * Presigned links to a succeeded query's whole result set: whoever holds the link may download
 * it until it expires, without a credential, so the link is bound to the tenant, the job, the
 * variant of the rendering (`variant`, e.g. which fields are expanded) and the expiry.
 */
export class ResultLinks {
  constructor(
    private readonly signer: LinkSigner,
    private readonly jobs: JobService,
    private readonly clock: () => number = Date.now,
    private readonly ttlMs = RESULTS_LINK_TTL_MS,
  ) {}

  private resource = (jobId: string, variant: string) => `query-results\n${jobId}\n${variant}`;

  /** A token for the results of a job already known to have succeeded. */
  create(job: Job, variant: string): { token: string; expiresAt: number } {
    const expiresAt = Math.min(this.clock() + this.ttlMs, job.expires_at ?? Number.POSITIVE_INFINITY);
    return { token: this.signer.sign(job.tenant, this.resource(job.id, variant), expiresAt), expiresAt };
  }

  /**
   * Opens what a token grants: 401/403 for a malformed, tampered, foreign or expired token;
   * 404 when the job is gone. Rows come in chunks, in the query's order.
   */
  async open(
    token: string,
    jobId: string,
    variant: string,
  ): Promise<{ job: Job; chunks: AsyncGenerator<EventRow[]> }> {
    const tenant = this.signer.verify(token, this.resource(jobId, variant), this.clock());
    return this.jobs.scan(tenant, jobId);
  }
}
