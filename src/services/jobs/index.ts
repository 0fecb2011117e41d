import { CsvRenderer } from '../exports/csv-renderer.js';
import type { Services } from '../index.js';
import { exportRunner, queryRunner } from './runners.js';
import { type JobLog, JobWorker, type JobWorkerOptions } from './worker.js';

/**
 * The job worker of a node, configured from its settings. Built by whoever runs the node (the
 * server, the test app), never on import, and started separately. Its exports render CSV on a
 * thread of its own, which stop() closes.
 */
export function createJobWorker(
  services: Pick<Services, 'config' | 'store' | 'jobs' | 'clock'>,
  log?: JobLog,
  overrides: Partial<JobWorkerOptions> = {},
): JobWorker {
  const { config, store, jobs, clock } = services;
  const exporting = {
    events: store.events,
    jobs: store.jobs,
    files: store.exports,
    csv: new CsvRenderer(),
    log: store.log,
  };
  return new JobWorker(
    {
      jobs: store.jobs,
      runners: {
        query: queryRunner(store.events),
        export: exportRunner(exporting, {
          maxKeptBytes: jobs.exportQuota.bytes,
          clock,
          // A few rounds of the checkpointer: a checkpoint covers a commit about one round later.
          checkpointWaitMs: Math.max(5000, config.TRAILKEEP_LOG_CHECKPOINT_INTERVAL * 5000),
        }),
      },
      onCreated: (listener) => jobs.onCreated(listener),
    },
    {
      concurrency: config.TRAILKEEP_JOB_WORKERS,
      leaseMs: config.TRAILKEEP_JOB_LEASE * 1000,
      ttlMs: jobs.ttlMs,
      clock,
      ...(log ? { log } : {}),
      ...overrides,
    },
  );
}
