import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { verifyEvent } from '../../src/core/event/seal.js';
import { runCli } from '../cli/run.js';
import { tempDir } from '../helpers/app.js';
import { type ServeProcess, serve } from '../helpers/serve.js';

/** The README's first steps, by a new user: a fresh server, curl-style calls and the CLI. */
describe('quickstart, as the README tells it', () => {
  const tmp = tempDir();
  const env = { TRAILKEEP_DB: join(tmp.dir, 'data', 'trailkeep.db'), TRAILKEEP_LOG_LEVEL: 'info' };
  let server: ServeProcess | undefined;
  after(() => {
    server?.child.kill('SIGKILL');
    tmp.remove();
  });

  it('prints an admin token once, then serves tenants, keys, CLI ingest and reads; data survives a restart', async () => {
    server = await serve(env);
    const admin = /tka_[A-Za-z0-9_-]{43}/.exec(server.stdout())?.[0];
    assert.ok(admin, 'the first start prints the generated admin token');
    const api = (path: string, token: string, init: RequestInit = {}) =>
      fetch(`${server?.url}${path}`, {
        ...init,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...init.headers },
      });

    assert.equal(
      (await api('/v1/tenants', admin, { method: 'POST', body: '{"id":"acme","name":"Acme Corp"}' })).status,
      201,
    );
    const keyRes = await api('/v1/tenants/acme/keys', admin, {
      method: 'POST',
      body: JSON.stringify({ name: 'quickstart', scopes: ['events:write', 'events:read'] }),
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
