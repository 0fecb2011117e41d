import type { Services } from '../index.js';
import { Checkpointer } from './checkpointer.js';
import { IntegrityReporter } from './integrity.js';
import { SelfCheck } from './self-check.js';
import { LogWorker } from './worker.js';

/**
 * The log's worker of a node, configured from its settings: checkpoints every
 * TRAILKEEP_LOG_CHECKPOINT_INTERVAL, a self-check pass every TRAILKEEP_LOG_VERIFY_INTERVAL.
 * Built by whoever runs the node, never on import, and started separately.
 */
export function createLogWorker(
  services: Pick<Services, 'config' | 'store' | 'events' | 'metrics' | 'logSigner' | 'clock'>,
  log: { warn(obj: object, msg: string): void; error(obj: object, msg: string): void },
): LogWorker {
  const { config, store, events, metrics, logSigner, clock } = services;
  const integrity = new IntegrityReporter({
    failures: metrics.logIntegrityFailures,
    log,
    record: (tenant, event) => events.ingest(tenant, [event], () => '$'),
    clock,
  });
  const onFailure = (failure: Parameters<IntegrityReporter['report']>[0]) => integrity.report(failure);
  return new LogWorker(
    new Checkpointer({ log: store.log, signer: logSigner, clock, onFailure }),
    new SelfCheck({
      log: store.log,
      verifier: logSigner,
      tenants: async () => (await store.tenants.list()).map((t) => t.id),
      onFailure,
    }),
    {
      checkpointMs: config.TRAILKEEP_LOG_CHECKPOINT_INTERVAL * 1000,
      verifyMs: config.TRAILKEEP_LOG_VERIFY_INTERVAL * 1000,
      log,
    },
  );
}
