import type { Services } from '../index.js';
import { exportRunner, queryRunner } from './runners.js';
import { type JobLog, JobWorker, type JobWorkerOptions } from './worker.js';

/**
 * The job worker of a node, configured from its settings. Built by whoever runs the node (the
 * server, the test app), never on import, and started separately.
 */
export function createJobWorker(
  services: Services,
  log?: JobLog,
  overrides: Partial<JobWorkerOptions> = {},
): JobWorker {
  const { config, store, jobs, clock } = services;
  return new JobWorker(
    {
      store,
      runners: {
        query: queryRunner(store),
        export: exportRunner(store, store.exports, { maxKeptBytes: jobs.exportQuota.bytes, clock }),
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
