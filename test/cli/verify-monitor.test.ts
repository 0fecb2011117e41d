// @engines sqlite postgres
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { checkpointText, originOf } from '../../src/core/log/checkpoint.js';
import { generateSigner, signNote } from '../../src/core/log/note.js';
import { startTestApp, type TestApp, testEngine } from '../helpers/app.js';
import { type RawDb, rawDb } from '../helpers/raw-db.js';
import { tampering } from '../helpers/tamper.js';
import { until } from '../helpers/wait.js';
import { runCli } from './run.js';

const EVENTS = 300;
/** The log's key, supplied so the test can sign what a compromised server would. */
const signer = generateSigner('audit.example.com');

/**
 * `trailkeep verify --url --tenant --key --state`, the monitor, on each engine: it trusts a
 * checkpoint once it has checked it, later accepts only checkpoints that extend it, and finds
 * events changed, removed or reordered in the database, forged proofs and forked checkpoints.
 */
describe('trailkeep verify as a monitor', () => {
  let t: TestApp;
  let url: string;
  let db: RawDb;
  let tamper: ReturnType<typeof tampering>;
  let n = 0;

  async function ingest(key: string, from: number, count: number): Promise<void> {
    const events = Array.from({ length: count }, (_, i) => ({
      id: `e${from + i}`,
      occurred_at: new Date(Date.UTC(2026, 2, 1) + (from + i) * 60_000).toISOString(),
      action: 'invoice.update',
      description: `invoice ${from + i}`,
    }));
    const res = await t.call(key, { method: 'POST', url: '/v1/events', payload: { events } });
    assert.equal(res.statusCode, 201, res.body);
  }

  /** A new tenant with EVENTS events, all signed; its key and a fresh state file. */
  async function signedTenant(): Promise<{ tenant: string; key: string; state: string }> {
    const tenant = `mon-${++n}`;
    const key = await t.tenantWithKey(tenant);
    await ingest(key, 1, EVENTS);
    await until(async () => (await t.services.store.log.latest(tenant))?.size === EVENTS, 10_000);
    return { tenant, key, state: join(t.dir, `${tenant}.state.json`) };
  }

  const verify = (key: string, tenant: string, state: string, extra: string[] = [], at = url) =>
    runCli(['verify', '--url', at, '--tenant', tenant, '--key', signer.text, '--state', state, ...extra], {
      env: { TRAILKEEP_TOKEN: key },
    });

  /** A server in front of the real one that changes some answers, as a compromised one would. */
  async function forging(
    rewrite: (path: string, body: Buffer) => Buffer | string,
  ): Promise<{ url: string; server: Server }> {
    const server = createServer(async (req, res) => {
      const upstream = await fetch(new URL(req.url ?? '/', url), {
        headers: req.headers as Record<string, string>,
      });
      const body = Buffer.from(await upstream.arrayBuffer());
      res.writeHead(upstream.status, {
        'content-type': upstream.headers.get('content-type') ?? 'text/plain',
      });
      res.end(rewrite(req.url ?? '', body));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
  }

  before(async () => {
    t = await startTestApp({
      TRAILKEEP_LOG_NAME: 'audit.example.com',
      TRAILKEEP_LOG_KEY: signer.secret,
      TRAILKEEP_LOG_CHECKPOINT_INTERVAL: '0.05',
      TRAILKEEP_LOG_VERIFY_INTERVAL: '0',
    });
    url = await t.app.listen({ port: 0, host: '127.0.0.1' });
    db = await rawDb(t.config.TRAILKEEP_DB);
    tamper = tampering(db, testEngine);
  });
  after(async () => {
    await db?.close();
    await t?.close();
  });

  it('trusts the first checkpoint it checks, then accepts one that extends it', async () => {
    const { tenant, key, state } = await signedTenant();
    const first = await verify(key, tenant, state);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, new RegExp(`OK: audit.example.com/${tenant} at size ${EVENTS} \\(first run`));
    assert.match(first.stdout, /100 events checked/);
    await ingest(key, EVENTS + 1, 20);
    await until(async () => (await t.services.store.log.latest(tenant))?.size === EVENTS + 20, 10_000);
    const second = await verify(key, tenant, state, ['--full']);
    assert.equal(second.code, 0, second.stderr);
    assert.match(
      second.stdout,
      new RegExp(`at size ${EVENTS + 20}, consistent with size ${EVENTS}; ${EVENTS + 20} events checked`),
    );
  });

  it('refuses another key, and another tenant’s log', async () => {
    const { tenant, key, state } = await signedTenant();
    const other = await runCli(
      [
        'verify',
        '--url',
        url,
        '--tenant',
        tenant,
        '--key',
        generateSigner('audit.example.com').text,
        '--state',
        state,
      ],
      { env: { TRAILKEEP_TOKEN: key } },
    );
    assert.equal(other.code, 1);
    assert.match(other.stderr, /not signed by audit\.example\.com\+/);
    // Signed by the log's key, but the log of another tenant.
    const elsewhere = signNote(
      checkpointText({ origin: originOf('audit.example.com', 'mon-other'), size: 1, root: Buffer.alloc(32) }),
      signer,
    );
    const proxy = await forging((path, body) => (path === '/v1/log/checkpoint' ? elsewhere : body));
    try {
      const res = await verify(key, tenant, state, [], proxy.url);
      assert.equal(res.code, 1, res.stdout);
      assert.match(res.stderr, new RegExp(`not signed by .* for tenant ${tenant}`));
    } finally {
      proxy.server.close();
    }
  });

  for (const [what, change, finds] of [
    [
      'an event rewritten with a hash of its new content',
      (tenant: string) => tamper.rewrite(tenant, 42, { description: 'approved' }),
      /seq 42 is not the event the log signed/,
    ],
    [
      'an event edited in place',
      (tenant: string) => tamper.edit(tenant, 42, 'invoice 42', 'invoice 420'),
      /seq 42 was altered/,
    ],
    ['a removed event', (tenant: string) => tamper.remove(tenant, 42), /seq 42 is missing/],
    [
      'an event inserted into the signed range',
      (tenant: string) => tamper.insert(tenant, 41, EVENTS),
      /seq 4[12] is not the event the log holds at its place/,
    ],
    [
      'two events swapped',
      (tenant: string) => tamper.swap(tenant, 42),
      /seq 42 is not the event the log holds at its place/,
    ],
  ] as const) {
    it(`finds ${what} in the database, checking every event`, async () => {
      const { tenant, key, state } = await signedTenant();
      assert.equal((await verify(key, tenant, state)).code, 0);
      await change(tenant);
      const res = await verify(key, tenant, state, ['--full']);
      assert.equal(res.code, 1, res.stdout);
      assert.match(res.stderr, finds);
    });
  }

  it('finds a rewritten event by its inclusion proof when it is sampled', async () => {
    const { tenant, key, state } = await signedTenant();
    await tamper.rewrite(tenant, 7, { description: 'approved' });
    const res = await verify(key, tenant, state, ['--sample', String(EVENTS)]);
    assert.equal(res.code, 1, res.stdout);
    assert.match(res.stderr, /seq 7 is not in the log at its place/);
  });

  it('rejects a forged inclusion proof', async () => {
    const { tenant, key, state } = await signedTenant();
    const proxy = await forging((path, body) => {
      if (!path.startsWith('/v1/log/inclusion?seq=5&')) return body;
      const proof = JSON.parse(body.toString()) as { hashes: string[] };
      const first = Buffer.from(proof.hashes[0] as string, 'base64');
      first[0] = (first[0] as number) ^ 1;
      return JSON.stringify({ ...proof, hashes: [first.toString('base64'), ...proof.hashes.slice(1)] });
    });
    try {
      const res = await verify(key, tenant, state, ['--sample', String(EVENTS)], proxy.url);
      assert.equal(res.code, 1, res.stdout);
      assert.match(res.stderr, /seq 5 is not in the log at its place/);
    } finally {
      proxy.server.close();
    }
  });

  it('rejects a forked checkpoint, signed by the log’s own key, and a log that shrank', async () => {
    const { tenant, key, state } = await signedTenant();
    assert.equal((await verify(key, tenant, state)).code, 0);
    await ingest(key, EVENTS + 1, 10);
    await until(async () => (await t.services.store.log.latest(tenant))?.size === EVENTS + 10, 10_000);
    // A tree of the same new size but another root, validly signed: a fork.
    const fork = (size: number) =>
      signNote(
        checkpointText({ origin: originOf('audit.example.com', tenant), size, root: Buffer.alloc(32, 7) }),
        signer,
      );
    for (const [size, finds] of [
      [EVENTS + 10, /does not extend the trusted one/],
      [EVENTS, /the log is forked: two roots for size/],
      [EVENTS - 1, /the log shrank from 300 to 299/],
    ] as const) {
      const proxy = await forging((path, body) => (path === '/v1/log/checkpoint' ? fork(size) : body));
      try {
        const res = await verify(key, tenant, state, [], proxy.url);
        assert.equal(res.code, 1, res.stdout);
        assert.match(res.stderr, finds);
      } finally {
        proxy.server.close();
      }
    }
    // The real log still extends what the monitor trusted.
    const res = await verify(key, tenant, state);
    assert.equal(res.code, 0, res.stderr);
  });
});
