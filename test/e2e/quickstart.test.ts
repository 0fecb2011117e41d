// @engines sqlite postgres
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { verifyEvent } from '../../src/core/event/seal.js';
import { runCli } from '../cli/run.js';
import { call } from '../helpers/api.js';
import { type TestData, testData } from '../helpers/app.js';
import { type ServeProcess, serve } from '../helpers/serve.js';

/** The README's first steps, by a new user: a fresh server, curl-style calls and the CLI. */
describe('quickstart, as the README tells it', () => {
  let data: TestData;
  /** On SQLite, the README's ./data/ folder, which the first start creates. */
  let env: Record<string, string>;
  let server: ServeProcess | undefined;
  before(async () => {
    data = await testData();
    const db = data.engine === 'sqlite' ? join(data.dir, 'data', 'trailkeep.db') : data.env.TRAILKEEP_DB;
    env = { TRAILKEEP_DB: db as string, TRAILKEEP_LOG_LEVEL: 'info' };
  });
  after(async () => {
    server?.child.kill('SIGKILL');
    await data.remove();
  });

  it('prints an admin token once, then serves tenants, keys, CLI ingest and reads; data survives a restart', async () => {
    server = await serve(env);
    const admin = /tka_[A-Za-z0-9_-]{43}/.exec(server.stdout())?.[0];
    assert.ok(admin, 'the first start prints the generated admin token');
    const api = (path: string, token: string, method = 'GET', body?: unknown) =>
      call(server?.url as string, token, method, path, body);

    assert.equal((await api('/v1/tenants', admin, 'POST', { id: 'acme', name: 'Acme Corp' })).status, 201);
    const keyRes = await api('/v1/tenants/acme/keys', admin, 'POST', {
      name: 'quickstart',
      scopes: ['events:write', 'events:read'],
    });
    assert.equal(keyRes.status, 201);
    const { secret } = (await keyRes.json()) as { secret: string };

    const ingest = await runCli(['ingest', 'examples/events.ndjson', '--url', server.url, '--token', secret]);
    assert.equal(ingest.code, 0, ingest.stderr);
    assert.match(ingest.stdout + ingest.stderr, /Ingested 24 events/);

    const page = (await (await api('/v1/events?limit=100&order=asc', secret)).json()) as {
      data: Record<string, unknown>[];
    };
    assert.deepEqual(
      page.data.map((e) => e.seq),
      Array.from({ length: 24 }, (_, i) => i + 1),
    );
    assert.ok(page.data.every(verifyEvent), 'every event verifies against its hash');
    const count = (await (await api('/v1/events/count?actor_id=u-1001', secret)).json()) as { count: number };
    assert.equal(count.count, 8);

    // SIGTERM stops gracefully; the next start keeps the data and prints no new token.
    server.child.kill('SIGTERM');
    assert.equal(await server.exited, 0);
    server = await serve(env);
    assert.doesNotMatch(server.stdout(), /tka_/);
    const again = (await (await api('/v1/events/count', secret)).json()) as { count: number };
    assert.equal(again.count, 24);
    server.child.kill('SIGTERM');
    assert.equal(await server.exited, 0);
  });
});
