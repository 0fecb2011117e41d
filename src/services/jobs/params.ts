import { type FilterParams, toEventFilter } from '../../core/filters.js';
import type { EventFilter } from '../../core/query.js';
import type { Job } from '../../store/types.js';
import type { ExportFormat } from '../exports/writer.js';

/** What a query job was asked, as stored in `jobs.params`. */
export interface QueryParams {
  filters: FilterParams;
}

export interface ExportParams extends QueryParams {
  format: ExportFormat;
}

/**
 * The job's filter frozen at its snapshot: the log is append-only, so "seq ≤ snapshot" is the
 * whole result set as it stood when the job ran, however much is ingested after.
 */
export function frozenFilter(job: Job, snapshotSeq: number): EventFilter {
  const { filters } = job.params as unknown as QueryParams;
  return { ...toEventFilter(filters ?? {}), maxSeq: snapshotSeq };
}

export const exportFormatOf = (job: Job): ExportFormat => (job.params as unknown as ExportParams).format;
