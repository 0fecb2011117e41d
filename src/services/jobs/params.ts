import { canonicalJson } from '../../core/event/seal.js';
import { type FilterParams, toEventFilter } from '../../core/filters.js';
import type { Job } from '../../core/jobs.js';
import { type EventFilter, type Order, upToSeq } from '../../core/query.js';
import type { ExportFormat } from '../exports/writer.js';

/** What a query job was asked, as stored in `jobs.params`. */
export interface QueryParams {
  /**
   * The engine-neutral filter the dialect parsed the request into, stored as it is (epoch
   * milliseconds, arrays of values): admission, the run and every results page read it without
   * parsing anything again.
   */
  filter: EventFilter;
  /** The order results are read in; newest first when absent (jobs made before it existed). */
  order?: Order;
  /**
   * The request as the client's API dialect phrased it (a Genesys query's interval, filters and
   * sort), kept only to be shown back to that client; it plays no part in running the job.
   */
  request?: Record<string, unknown>;
}

/** What a query may add to its filters. */
export type QueryOptions = Pick<QueryParams, 'order' | 'request'>;

export interface ExportParams extends QueryParams {
  format: ExportFormat;
  /** NDJSON with the proof line that makes it checkable offline (docs/log.md). */
  proofs?: boolean;
  /**
   * The narrowing of the viewer token that made it (its filter holds it already): only a viewer
   * token of the same narrowing sees the export, and every other credential of the tenant.
   */
  within?: EventFilter;
}

/** What an export may add to its format and filter. */
export type ExportOptions = Pick<ExportParams, 'proofs' | 'within'>;

/**
 * Whether a reader narrowed to `within` (a viewer token; undefined for any other credential) may
 * see the job: one made through a viewer token of the same narrowing, which holds nothing else.
 */
export function visibleWithin(job: Job, within: EventFilter | undefined): boolean {
  if (within === undefined) return true;
  const made = (job.params as unknown as Partial<ExportParams>).within;
  return made !== undefined && canonicalJson(made) === canonicalJson(within);
}

/**
 * How jobs stored before the filter was kept parsed hold it: the request's filter parameters
 * (RFC 3339 strings, a value or an array), read once more through the same rule that first
 * accepted them.
 */
interface StoredBefore {
  filters?: FilterParams;
}

/** The job's filter, from either way it may have been stored. */
function filterOf(job: Job): EventFilter {
  const params = job.params as unknown as Partial<QueryParams> & StoredBefore;
  return params.filter ?? toEventFilter(params.filters ?? {});
}

/**
 * The job's filter frozen at its snapshot: the log is append-only, so "seq ≤ snapshot" is the
 * whole result set as it stood when the job ran, however much is ingested after.
 */
export function frozenFilter(job: Job, snapshotSeq: number): EventFilter {
  return upToSeq(filterOf(job), snapshotSeq);
}

export const orderOf = (job: Job): Order => (job.params as unknown as QueryParams).order ?? 'desc';

/** The dialect's phrasing of the request, if it kept one. */
export const requestOf = (job: Job): Record<string, unknown> | undefined =>
  (job.params as unknown as QueryParams).request;

export const exportFormatOf = (job: Job): ExportFormat => (job.params as unknown as ExportParams).format;

export const exportProofsOf = (job: Job): boolean => (job.params as unknown as ExportParams).proofs === true;
