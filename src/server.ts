import type { FastifyInstance } from 'fastify';
import { type Config, exportDirOf } from './config/config.js';
import { buildApp } from './http/app.js';
import { createLogger } from './http/log.js';
import { createServices, type Services } from './services/index.js';
import { createJobWorker } from './services/jobs/index.js';
import type { JobWorker } from './services/jobs/worker.js';
import { openStore } from './store/open.js';

export interface RunningServer {
  app: FastifyInstance;
  services: Services;
  worker: JobWorker;
  url: string;
  /** Stops accepting and the job worker, lets in-flight work finish, then closes the store. */
  close(): Promise<void>;
}

/** Opens the store, composes the services and listens: what `trailkeep serve` runs. */
export async function startServer(config: Config, log = createLogger(config)): Promise<RunningServer> {
  const store = await openStore(config.TRAILKEEP_DB, {
    poolSize: config.TRAILKEEP_DB_POOL,
    exportDir: exportDirOf(config),
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
  const url = await app.listen({ host: config.TRAILKEEP_HOST, port: config.TRAILKEEP_PORT });
  const worker = createJobWorker(services, log.child({ component: 'jobs' }));
  worker.start();
  log.info({ url, engine: store.engine, job_workers: config.TRAILKEEP_JOB_WORKERS }, 'trailkeep listening');
  return {
    app,
    services,
    worker,
    url,
    async close() {
      // Both finish their in-flight work; the store they use closes last.
      await Promise.all([app.close(), worker.stop()]);
      await store.close();
    },
  };
}
