// @engines sqlite postgres
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../cli/run.js';
import { event, startTestApp, type TestApp } from '../helpers/app.js';
import { ingest } from '../helpers/jobs.js';
import { until } from '../helpers/wait.js';
import { WEBHOOK_SECRET, WebhookReceiver } from '../helpers/webhook-receiver.js';

/**
 * What a receiver gets from the app's own worker, checked the way a receiver would: OCSF records
 * with PII rules applied, and webhook bodies kept as NDJSON that `trailkeep verify` checks
 * against the log's key, naming a dropped batch by its seq range and an edited event by its seq.
 */

const FAST = {
  TRAILKEEP_STREAMS_POLL: '0.05',
  TRAILKEEP_STREAMS_ALLOW_PRIVATE: 'true',
  TRAILKEEP_LOG_CHECKPOINT_INTERVAL: '0.1',
  TRAILKEEP_RATE_LIMIT: '0',
};

describe('streams to SIEMs: what the receiver gets', () => {
  let t: TestApp;
  let key: string;
  let rx: WebhookReceiver;
  let dir: string;

  const create = async (body: Record<string, unknown>) => {
    const res = await t.call(key, {
      method: 'POST',
      url: '/v1/streams',
      payload: {
        name: 'siem',
        destination: { type: 'webhook', url: rx.url, secret: WEBHOOK_SECRET },
        ...body,
      },
    });
    assert.equal(res.statusCode, 201, res.body);
    return res.json<{ id: string }>().id;
  };

  before(async () => {
    t = await startTestApp(FAST);
    key = await t.tenantWithKey('acme', ['tenant:admin', 'events:write', 'events:read']);
    rx = await new WebhookReceiver().start();
    dir = await mkdtemp(join(tmpdir(), 'tk-received-'));
  });
  after(async () => {
    await rx.close();
    await t.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('OCSF records with PII rules: the email masked, the IP dropped, the actor id keyed, the proof fields kept', async () => {
    const id = await create({
      format: 'ocsf',
      filters: { action: 'user.login' },
      pii: {
        rules: [
          { field: 'actor.email', action: 'mask' },
          { field: 'source.ip', action: 'drop' },
          { field: 'actor.id', action: 'hmac' },
        ],
        hmac_key: 'a-key-of-the-tenant-0123456789',
      },
    });
    const seqs = await ingest(t, key, [
      event({
        action: 'user.login',
        actor: { id: 'u1', email: 'ada@example.com' },
        source: { ip: ['203.0.113.9'] },
      }),
      event({ action: 'user.update' }),
    ]);
    const got = await until(
      () =>
        rx
          .accepted()
          .flatMap((r) => (r.body.data.stream === id ? r.body.data.events : []))
          .find((e) => (e.metadata as { sequence: number }).sequence === seqs[0]),
      15_000,
      { what: 'the OCSF record' },
    );
    const text = JSON.stringify(got);
    assert.equal(text.includes('ada@example.com'), false, 'the email is not sent');
    assert.equal(text.includes('203.0.113.9'), false, 'the IP is not sent');
    assert.equal(text.includes('"u1"'), false, 'the actor id is keyed');
    assert.equal(got.class_uid, 3002, 'a login is OCSF Authentication');
    assert.equal((got.metadata as { tenant_uid: string }).tenant_uid, 'acme');
    const delivered = rx.accepted().flatMap((r) => (r.body.data.stream === id ? r.body.data.events : []));
    assert.ok(
      delivered.every((e) => (e.metadata as { sequence: number }).sequence !== seqs[1]),
      'the filter left user.update out',
    );
    await t.call(key, { method: 'DELETE', url: `/v1/streams/${id}` });
  });

  it('trailkeep verify names a dropped batch by its seq range and an edited event by its seq', async () => {
    const id = await create({ start: { seq: 1 }, batch: { max_events: 10, max_wait_ms: 0 } });
    await ingest(
      t,
      key,
      Array.from({ length: 45 }, (_, i) => event({ id: `v${i}` })),
    );
    // Once the log has signed a checkpoint over these, one more event: its batch carries that
    // checkpoint (the first batches may have gone before any was signed).
    const signed = await t.services.store.events.lastSeq('acme');
    await until(
      async () =>
        Number((await t.call(key, { method: 'GET', url: '/v1/log/checkpoint' })).body.split('\n')[1]) >=
        signed,
      10_000,
      { what: 'a checkpoint over the events' },
    );
    await ingest(t, key, [event({ id: 'v-last' })]);
    const last = await t.services.store.events.lastSeq('acme');
    const mine = () => rx.accepted().filter((r) => r.body.data.stream === id);
    // Every seq of the tenant reached the receiver, the last with a checkpoint over the others.
    await until(
      () => {
        const seqs = new Set(mine().flatMap((r) => r.body.data.events.map((e) => e.seq)));
        return Array.from({ length: last }, (_, i) => i + 1).every((s) => seqs.has(s));
      },
      20_000,
      { what: 'the backfill' },
    );
    const sizes = mine().map((r) => Number(r.body.data.checkpoint?.split('\n')[1] ?? 0));
    assert.ok(Math.max(...sizes) >= signed, 'a batch carried the checkpoint');
    const verifier = (await t.call(key, { method: 'GET', url: '/v1/log/key' })).json<{
      verifier_key: string;
    }>().verifier_key;
    // One file per webhook body, as a receiver would keep them.
    const bodies = mine();
    for (const [i, r] of bodies.entries())
      await writeFile(join(dir, `batch-${String(i).padStart(4, '0')}.ndjson`), `${JSON.stringify(r.body)}\n`);
    const clean = await runCli(['verify', '--key', verifier, dir]);
    assert.equal(clean.code, 0, `${clean.stdout}\n${clean.stderr}`);

    const files = (await readdir(dir)).sort();
    const dropped = bodies[2]?.body.data as { from_seq: number; to_seq: number };
    await unlink(join(dir, files[2] as string));
    const edited = JSON.parse(await readFile(join(dir, files[4] as string), 'utf8'));
    const victim = edited.data.events[1];
    victim.actor = { id: 'someone-else' };
    await writeFile(join(dir, files[4] as string), `${JSON.stringify(edited)}\n`);
    const found = await runCli(['verify', '--key', verifier, dir]);
    assert.equal(found.code, 1, found.stdout);
    assert.match(
      found.stdout,
      new RegExp(`GAP tenant acme: seqs ${dropped.from_seq}\\D${dropped.to_seq} missing`),
    );
    assert.match(found.stdout, new RegExp(`ALTERED tenant acme: seq ${victim.seq}\\b`));
  });
});
