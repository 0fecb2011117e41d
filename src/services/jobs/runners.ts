import type { Job, JobKind } from '../../core/jobs.js';
import type { EventStore, ExportFiles, JobStore, LogStore } from '../../store/types.js';
import type { CsvRenderer } from '../exports/csv-renderer.js';
import { checkpointFor, provenExport } from '../exports/proofs.js';
import { ExportTooLarge, writeExport } from '../exports/writer.js';
import { exportFormatOf, exportProofsOf, frozenFilter } from './params.js';
import { exportTooLarge } from './quota.js';

/** What a finished run records on its job. */
export interface RunResult {
  rows: number;
  snapshot_seq: number;
  /** An export's file size. */
  bytes?: number;
  /** The tenant's export byte quota, which `bytes` must fit in with its other kept exports when recorded. */
  maxKeptBytes?: number;
}

export interface RunContext {
  /** False once the job was cancelled, its lease lost, or the worker is stopping: stop soon. */
  keepGoing(): Promise<boolean>;
}

/** Runs one kind of job. Returns null when it stopped early; it has then removed its partial output. */
export interface JobRunner {
  run(job: Job, ctx: RunContext): Promise<RunResult | null>;
  /** Removes what a run produced when its result could not be recorded (the lease was lost). */
  discard?(job: Job): Promise<void>;
  /** Removes everything every attempt of the job produced (the job has expired). */
  purge?(job: Job): Promise<void>;
  /** Frees what the runner holds (a render thread) once the worker has stopped. */
  close?(): Promise<void>;
}

export type JobRunners = Record<JobKind, JobRunner>;

/**
 * A query job materialises nothing: it records the tenant's last seq and the row count at that
 * point. Results are then read from the log itself, filtered to seq ≤ snapshot, which cannot
 * change because events are never updated. O(1) storage per job, whatever its size.
 */
export function queryRunner(events: Pick<EventStore, 'lastSeq' | 'count'>): JobRunner {
  return {
    async run(job) {
      const snapshot = await events.lastSeq(job.tenant);
      const rows = await events.count(job.tenant, frozenFilter(job, snapshot));
      return { rows, snapshot_seq: snapshot };
    },
  };
}

/** What an export run reads, counts, writes and renders with. */
export interface ExportRunnerDeps {
  events: Pick<EventStore, 'lastSeq' | 'list'>;
  /** The tenant's kept export bytes, which the byte quota counts. */
  jobs: Pick<JobStore, 'exportUsage'>;
  files: ExportFiles;
  csv: CsvRenderer;
  /** The tamper-evident log, which proof-carrying exports are proven against. */
  log: Pick<LogStore, 'latest' | 'tiles' | 'sealed'>;
}

export interface ExportRunnerOptions {
  /** Events read per step; between steps the run checks whether it should go on. */
  chunk?: number;
  /** Bytes of export files one tenant may keep (TRAILKEEP_TENANT_EXPORT_BYTES); unbounded when absent. */
  maxKeptBytes?: number;
  /** What expiry is judged by when the tenant's kept bytes are counted. */
  clock?: () => number;
  /** How long a proof-carrying export waits for a checkpoint that covers its newest events. */
  checkpointWaitMs?: number;
}

/** Deletes every file any attempt of an export wrote. */
export function removeExportFiles(files: ExportFiles, job: Job): Promise<void> {
  return files.remove({ tenant: job.tenant, jobId: job.id, format: exportFormatOf(job) }, job.attempts);
}

/**
 * Streams the frozen result set to this attempt's file, then publishes it atomically. With a
 * byte quota, the file may take what the tenant's other kept exports leave when it starts
 * (checked per part as it is written); the worker records it only if it still fits then.
 */
export function exportRunner(deps: ExportRunnerDeps, options: ExportRunnerOptions = {}): JobRunner {
  const { events, jobs, files, csv } = deps;
  const { maxKeptBytes, clock = Date.now } = options;
  const refOf = (job: Job) => ({
    tenant: job.tenant,
    jobId: job.id,
    attempt: job.attempts,
    format: exportFormatOf(job),
  });
  return {
    async run(job, ctx) {
      const lastSeq = await events.lastSeq(job.tenant);
      // With proofs the export is what the checkpoint signs, so the events stop at its size.
      const checkpoint = exportProofsOf(job)
        ? await checkpointFor(deps.log, job.tenant, lastSeq, options.checkpointWaitMs ?? 0)
        : null;
      const snapshot = checkpoint ? checkpoint.size : lastSeq;
      const filter = frozenFilter(job, snapshot);
      const proven = checkpoint ? provenExport(deps.log, job.tenant, checkpoint, filter) : null;
      const ref = refOf(job);
      const left =
        maxKeptBytes === undefined
          ? undefined
          : maxKeptBytes - (await jobs.exportUsage(job.tenant, clock())).bytes;
      const writer = await files.create(ref);
      let rows: number | null;
      try {
        rows = await writeExport({ events, csv }, job.tenant, filter, ref.format, writer.stream, {
          keepGoing: ctx.keepGoing,
          ...(proven && { onRows: proven.onRows, trailer: proven.trailer }),
          ...(options.chunk ? { chunk: options.chunk } : {}),
          ...(left === undefined ? {} : { maxBytes: left }),
        });
        // Checked once more so a cancel during the last chunk does not publish a file.
        if (rows !== null && !(await ctx.keepGoing())) rows = null;
      } catch (err) {
        await writer.abort();
        if (err instanceof ExportTooLarge && maxKeptBytes !== undefined) throw exportTooLarge(maxKeptBytes);
        throw err;
      }
      if (rows === null) {
        await writer.abort();
        return null;
      }
      let bytes: number;
      try {
        bytes = await writer.commit();
      } catch (err) {
        await files.removeAttempt(ref);
        throw err;
      }
      return { rows, snapshot_seq: snapshot, bytes, ...(maxKeptBytes === undefined ? {} : { maxKeptBytes }) };
    },
    async discard(job) {
      await files.removeAttempt(refOf(job));
    },
    async purge(job) {
      await removeExportFiles(files, job);
    },
    close: () => csv.close(),
  };
}
