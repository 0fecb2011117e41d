import { hostname } from 'node:os';
import type { Config } from '../../config/config.js';
import type { Store } from '../../store/types.js';
import type { EventService } from '../events.js';
import type { Metrics } from '../metrics.js';
import { SafeNet } from './net.js';
import { OpenDestinations } from './open.js';
import { StreamSecrets } from './secrets.js';
import { StreamService } from './service.js';
import { StreamWorker } from './worker.js';

export interface Streams {
  service: StreamService;
  /** Delivers the streams this node leases; nothing runs until start(). */
  worker: StreamWorker;
  /** Stops the worker and closes the connections destinations hold. */
  close(): Promise<void>;
}

/** Composes streams over the store: the API's service and the node's delivery worker share one network layer and one set of keys. */
export function createStreams(
  config: Config,
  store: Store,
  events: EventService,
  key: Buffer,
  metrics: Metrics,
  clock: () => number,
): Streams {
  const net = new SafeNet(config.TRAILKEEP_STREAMS_ALLOW_PRIVATE);
  const secrets = new StreamSecrets(key);
  const destinations = new OpenDestinations(secrets, { net, hostname: hostname(), clock });
  const service = new StreamService(store.streams, store.events, events, secrets, destinations, net, clock);
  const worker = new StreamWorker(
    {
      streams: store.streams,
      events: store.events,
      log: store.log,
      destinations,
      record: (stream, action, details) => service.record(stream, action, 'trailkeep', details),
      counted: (outcome, records) => {
        metrics.streamAttempts.inc({ outcome });
        if (records) metrics.streamRecords.inc(records);
      },
    },
    {
      concurrency: config.TRAILKEEP_STREAMS_WORKERS,
      leaseMs: config.TRAILKEEP_STREAMS_LEASE * 1000,
      pollMs: config.TRAILKEEP_STREAMS_POLL * 1000,
      maxBackoffMs: config.TRAILKEEP_STREAMS_MAX_BACKOFF * 1000,
      clock,
    },
  );
  // One read of the streams and one of their lags per scrape, however many streams there are.
  metrics.watchStreams(async () => {
    const [streams, lags] = await Promise.all([store.streams.all(), store.streams.lags(null)]);
    const byId = new Map(lags.map((l) => [`${l.tenant}/${l.id}`, l]));
    return streams.map((s) => ({ tenant: s.tenant, ...service.view(s, byId.get(`${s.tenant}/${s.id}`)) }));
  });
  return {
    service,
    worker,
    async close() {
      await worker.stop();
      await net.close();
    },
  };
}
