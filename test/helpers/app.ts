import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { type Config, loadConfig } from '../../src/config/config.js';
import { buildApp } from '../../src/http/app.js';
import { createServices, type Services } from '../../src/services/index.js';
import { createJobWorker } from '../../src/services/jobs/index.js';
import type { JobWorker } from '../../src/services/jobs/worker.js';
import { openStore } from '../../src/store/open.js';

export const ADMIN_TOKEN = 'test-admin-token-0123456789';

/** A fresh directory under the system temp dir, removed by the returned function. */
export function tempDir(prefix = 'trailkeep-test-'): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface TestApp {
  app: FastifyInstance;
  services: Services;
  config: Config;
  dir: string;
  /** The app's job worker, started (it does nothing with TRAILKEEP_JOB_WORKERS=0). */
  worker: JobWorker;
  /** Injects a request with a bearer token (or none). */
  call(token: string | null, opts: InjectOptions): Promise<LightMyRequestResponse>;
  /** Creates a tenant and a key with the given scopes; returns the key's secret. */
  tenantWithKey(tenant: string, scopes?: string[]): Promise<string>;
  key(tenant: string, scopes: string[]): Promise<string>;
  close(): Promise<void>;
}

/**
 * A real application over a real SQLite file in a temp directory. `env` overrides settings;
 * pass the same `dir` again to reopen an existing database (restart tests).
 */
export async function startTestApp(env: Record<string, string> = {}, dir?: string): Promise<TestApp> {
  const tmp = dir ? { dir, remove: () => {} } : tempDir();
  const config = loadConfig({
    TRAILKEEP_DB: join(tmp.dir, 'trailkeep.db'),
    TRAILKEEP_ADMIN_TOKEN: ADMIN_TOKEN,
    TRAILKEEP_EXPORT_DIR: join(tmp.dir, 'exports'),
    TRAILKEEP_LOG_LEVEL: 'silent',
    ...env,
  });
  const store = await openStore(config.TRAILKEEP_DB);
  const services = await createServices(config, store);
  const app = await buildApp(services);
  await app.ready();
  const worker = createJobWorker(services);
  worker.start();

  const call: TestApp['call'] = (token, opts) =>
    app.inject({
      ...opts,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(opts.headers ?? {}) },
    });
  const key: TestApp['key'] = async (tenant, scopes) => {
    const res = await call(ADMIN_TOKEN, {
      method: 'POST',
      url: `/v1/tenants/${tenant}/keys`,
      payload: { name: `key for ${tenant}`, scopes },
    });
    if (res.statusCode !== 201) throw new Error(`key creation failed: ${res.statusCode} ${res.body}`);
    return res.json<{ secret: string }>().secret;
  };
  return {
    app,
    services,
    config,
    dir: tmp.dir,
    worker,
    call,
    key,
    async tenantWithKey(tenant, scopes = ['events:write', 'events:read']) {
      const res = await call(ADMIN_TOKEN, { method: 'POST', url: '/v1/tenants', payload: { id: tenant } });
      if (res.statusCode !== 201) throw new Error(`tenant creation failed: ${res.statusCode} ${res.body}`);
      return key(tenant, scopes);
    },
    async close() {
      await worker.stop();
      await app.close();
      await store.close();
      if (!dir) tmp.remove();
    },
  };
}

/** A minimal valid event, with overrides. */
export const event = (over: Record<string, unknown> = {}): Record<string, unknown> => ({
  occurred_at: '2026-03-01T12:00:00Z',
  action: 'user.update',
  ...over,
});
