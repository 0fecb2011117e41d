import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { type Config, loadConfig } from '../../src/config/config.js';
import { type AppOptions, buildApp } from '../../src/http/app.js';
import { createServices, type Services } from '../../src/services/index.js';
import { createJobWorker } from '../../src/services/jobs/index.js';
import type { JobWorker } from '../../src/services/jobs/worker.js';
import { createLogWorker } from '../../src/services/log/index.js';
import type { LogWorker } from '../../src/services/log/worker.js';
import { openStore } from '../../src/store/open.js';
import { ADMIN_TOKEN, api, createKey, type Requester, tenantWithKey } from './api.js';
import { engineNamed, type TestEngine } from './engines.js';

export { ADMIN_TOKEN };

/** A fresh directory under the system temp dir, removed by the returned function. */
export function tempDir(prefix = 'trailkeep-test-'): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export type { TestEngine };

/**
 * The engine test apps run on: TRAILKEEP_TEST_ENGINE (test/run.ts runs a file once per engine its
 * `// @engines` line names), else SQLite. Read here, in the tests, never in src/.
 */
export const testEngine: TestEngine = engineNamed(
  process.env.TRAILKEEP_TEST_ENGINE ?? 'sqlite',
  'TRAILKEEP_TEST_ENGINE',
);

/**
 * Where a test app keeps its data: a temp directory and, on PostgreSQL, a fresh database of
 * the test server. Pass the same one to several startTestApp calls to restart on the same data.
 */
export interface TestData {
  engine: TestEngine;
  /** A scratch directory; on SQLite it also holds the database and its exports. */
  dir: string;
  /** The settings that point an app at this data. */
  env: Record<string, string>;
  remove(): Promise<void>;
}

export async function testData(engine: TestEngine = testEngine): Promise<TestData> {
  const tmp = tempDir();
  if (engine === 'sqlite') {
    return {
      engine,
      dir: tmp.dir,
      env: { TRAILKEEP_DB: join(tmp.dir, 'trailkeep.db'), TRAILKEEP_EXPORT_DIR: join(tmp.dir, 'exports') },
      remove: async () => tmp.remove(),
    };
  }
  // Imported only here: SQLite runs never touch the PostgreSQL helpers.
  const { createTestDatabase } = await import('./pg.js');
  const database = await createTestDatabase();
  return {
    engine,
    dir: tmp.dir,
    env: { TRAILKEEP_DB: database.url },
    async remove() {
      await database.drop();
      tmp.remove();
    },
  };
}

/** Where a test app without a logger sends its workers' warnings: nowhere, as its requests' logs. */
const SILENT = { warn() {}, error() {} };

export interface TestApp {
  app: FastifyInstance;
  services: Services;
  config: Config;
  engine: TestEngine;
  /** A scratch directory, removed with the app's data. */
  dir: string;
  /** The app's job worker, started (it does nothing with TRAILKEEP_JOB_WORKERS=0). */
  worker: JobWorker;
  /** The app's log worker, started: checkpoints every TRAILKEEP_LOG_CHECKPOINT_INTERVAL, as a server's. */
  logWorker: LogWorker;
  /** Injects a request with a bearer token (or none). */
  call(token: string | null, opts: InjectOptions): Promise<LightMyRequestResponse>;
  /** Creates a tenant and a key with the given scopes; returns the key's secret. */
  tenantWithKey(tenant: string, scopes?: string[]): Promise<string>;
  key(tenant: string, scopes: string[]): Promise<string>;
  /** Creates an OAuth client and returns an access token from `/oauth/token` for it. */
  accessToken(tenant: string, scopes: string[]): Promise<string>;
  close(): Promise<void>;
}

/**
 * A real application over a real database of the test engine (a SQLite file in a temp
 * directory, or a fresh PostgreSQL database). `env` overrides settings; pass the same `data`
 * again to reopen an existing database (restart tests): it is then the caller's to remove.
 * `options` are buildApp's (a logger), and the services' clock (Date.now by default).
 */
export async function startTestApp(
  env: Record<string, string> = {},
  data?: TestData,
  options: AppOptions & { clock?: () => number } = {},
): Promise<TestApp> {
  const place = data ?? (await testData());
  const config = loadConfig({
    ...place.env,
    TRAILKEEP_ADMIN_TOKEN: ADMIN_TOKEN,
    TRAILKEEP_LOG_LEVEL: 'silent',
    ...env,
  });
  const store = await openStore(config.TRAILKEEP_DB, {
    poolSize: config.TRAILKEEP_DB_POOL,
    exportDir: config.TRAILKEEP_EXPORT_DIR,
  });
  const services = await createServices(config, store, options.clock);
  const app = await buildApp(services, options);
  await app.ready();
  const worker = createJobWorker(
    services,
    options.logger ? options.logger.child({ component: 'jobs' }) : undefined,
  );
  worker.start();
  const logWorker = createLogWorker(
    services,
    options.logger ? options.logger.child({ component: 'log' }) : SILENT,
  );
  logWorker.start();
  services.streams.worker.start(options.logger ? options.logger.child({ component: 'streams' }) : SILENT);

  const call: TestApp['call'] = (token, opts) =>
    app.inject({
      ...opts,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(opts.headers ?? {}) },
    });
  const request: Requester = async (token, method, url, payload) => {
    const res = await call(token, {
      method: method as 'GET',
      url,
      ...(payload === undefined ? {} : { payload: payload as object }),
    });
    return { status: res.statusCode, text: res.body };
  };
  const key: TestApp['key'] = (tenant, scopes) => createKey(request, tenant, scopes);
  return {
    app,
    services,
    config,
    engine: place.engine,
    dir: place.dir,
    worker,
    logWorker,
    call,
    key,
    async accessToken(tenant, scopes) {
      const { client_id, client_secret } = await api<{ client_id: string; client_secret: string }>(
        request,
        ADMIN_TOKEN,
        'POST',
        `/v1/tenants/${tenant}/oauth-clients`,
        { name: `client for ${tenant}`, scopes },
      );
      const grant = { grant_type: 'client_credentials', client_id, client_secret };
      return (await api<{ access_token: string }>(request, null, 'POST', '/oauth/token', grant, 200))
        .access_token;
    },
    tenantWithKey: (tenant, scopes) => tenantWithKey(request, tenant, scopes),
    async close() {
      await Promise.all([worker.stop(), logWorker.stop(), services.streams.close()]);
      await app.close();
      await store.close();
      if (!data) await place.remove();
    },
  };
}

/** A minimal valid event, with overrides. */
export const event = (over: Record<string, unknown> = {}): Record<string, unknown> => ({
  occurred_at: '2026-03-01T12:00:00Z',
  action: 'user.update',
  ...over,
});
