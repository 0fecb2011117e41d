import type { FastifyInstance } from 'fastify';
import type { Config } from './config/config.js';
import { buildApp } from './http/app.js';
import { createLogger } from './http/log.js';
import { createServices, type Services } from './services/index.js';
import { createJobWorker } from './services/jobs/index.js';
import type { JobWorker } from './services/jobs/worker.js';
import { createLogWorker } from './services/log/index.js';
import type { LogWorker } from './services/log/worker.js';
import { openStore } from './store/open.js';

export interface RunningServer {
  app: FastifyInstance;
  services: Services;
  worker: JobWorker;
  /** Signs checkpoints and re-verifies the log. */
  logWorker: LogWorker;
  url: string;
  /**
   * Stops accepting at once, lets requests already begun and the current step of each running
   * job finish (jobs are then released for another node or the next start), then closes the
   * store. Bounded by SHUTDOWN_MS: connections still open then are cut.
   */
  close(): Promise<void>;
}

/**
 * How long a shutdown may let requests and job steps run. Under the 10 s that orchestrators
 * commonly allow between SIGTERM and SIGKILL (Docker's default, and the bound), with
 * room to close the store and exit.
 */
export const SHUTDOWN_MS = 8_000;

/** How often idle keep-alive connections are closed during a shutdown. */
const REAP_IDLE_MS = 50;

/** Opens the store, composes the services and listens: what `trailkeep serve` runs. */
export async function startServer(config: Config, log = createLogger(config)): Promise<RunningServer> {
  const store = await openStore(config.TRAILKEEP_DB, {
    poolSize: config.TRAILKEEP_DB_POOL,
    exportDir: config.TRAILKEEP_EXPORT_DIR,
    onPoolError: (err) => log.warn({ err }, 'database connection lost; reconnecting on demand'),
  });
  const services = await createServices(config, store);
  if (services.secrets.generatedAdminToken) {
    // Printed once, to the terminal, never to the log: only its hash is kept.
    process.stdout.write(
      `\nTrailkeep generated an admin token. It is shown only this once; keep it safe:\n\n  ${services.secrets.generatedAdminToken}\n\n`,
    );
  }
  const app = await buildApp(services, { logger: log });
  // Once closing, every answer tells its client to close the connection, so no client reuses
  // one the shutdown is about to close under it; its next request finds the listener closed.
  let closing = false;
  app.addHook('onSend', async (_req, reply) => {
    if (closing) reply.header('connection', 'close');
  });
  const url = await app.listen({ host: config.TRAILKEEP_HOST, port: config.TRAILKEEP_PORT });
  // On shutdown a running job is asked to stop after its current step at once: a long export
  // cannot finish within the deadline anyway, and a released job starts again at once on another
  // node (or here after the restart) instead of waiting for its lease to lapse.
  const worker = createJobWorker(services, log.child({ component: 'jobs' }), {
    stopGraceMs: 0,
    stopWaitMs: SHUTDOWN_MS,
  });
  worker.start();
  const logWorker = createLogWorker(services, log.child({ component: 'log' }));
  logWorker.start();
  // Streams to SIEMs: a stream abandoned mid-attempt by the shutdown is sent again, under the same delivery id, by whichever node takes it next.
  services.streams.worker.start(log.child({ component: 'streams' }));
  log.info({ url, engine: store.engine, job_workers: config.TRAILKEEP_JOB_WORKERS }, 'trailkeep listening');
  return {
    app,
    services,
    worker,
    logWorker,
    url,
    async close() {
      closing = true;
      // app.close() stops listening and answers 503 to requests arriving on open connections,
      // but Node closes only the keep-alive connections idle at that moment: one whose request
      // was in flight stays open after its answer until the client closes it or its keep-alive
      // timeout (72 s), and the close waits for it. Reaped as they become idle instead.
      const reap = setInterval(() => app.server.closeIdleConnections(), REAP_IDLE_MS);
      const cut = setTimeout(() => {
        log.warn(
          { deadline_ms: SHUTDOWN_MS },
          'shutdown deadline reached; closing the connections still open',
        );
        app.server.closeAllConnections();
      }, SHUTDOWN_MS);
      try {
        // Both finish their in-flight work; the store they use closes last.
        await Promise.all([app.close(), worker.stop(), logWorker.stop(), services.streams.close()]);
      } finally {
        clearInterval(reap);
        clearTimeout(cut);
      }
      await store.close();
    },
  };
}
