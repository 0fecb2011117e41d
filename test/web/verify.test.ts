// @engines sqlite
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { contentHash as serverContentHash } from '../../src/core/event/seal.js';
import { generateSigner, signNote } from '../../src/core/log/note.js';
import { parseCheckpoint } from '../../web/src/verify/checkpoint.js';
import { contentHash } from '../../web/src/verify/event.js';
import { verifyInclusion } from '../../web/src/verify/merkle.js';
import { openNote, parseVerifierKey } from '../../web/src/verify/note.js';
import { type LogSource, type Verifiable, verifyEvent } from '../../web/src/verify/verify.js';
import { event, startTestApp, type TestApp } from '../helpers/app.js';
import { checkInclusionVectors } from '../helpers/merkle.js';
import { until } from '../helpers/wait.js';

/**
 * The viewer's verifier (web/src/verify/), run in Node on the WebCrypto that browsers have
 * (globalThis.crypto.subtle, Ed25519 included): the RFC 6962 conformance vectors, Go's signed
 * note, and events of a real server against its own signed checkpoints, altered in every way the
 * mark must catch.
 */

describe('the browser’s verifier: formats', () => {
  it('verifies every valid RFC 6962 inclusion vector and refuses every broken one', async () => {
    assert.ok((await checkInclusionVectors(verifyInclusion)) >= 6);
  });

  it('opens Go’s example signed note, and nothing altered', async () => {
    const key = await parseVerifierKey('PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW');
    assert.ok(key);
    const text =
      "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
    const note = `${text}\n— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n`;
    assert.equal(await openNote(note, key), text);
    assert.equal(await openNote(note.replace('cryptography', 'Cryptography'), key), null);
    assert.equal(await openNote(note.replace('x08go', 'x08gp'), key), null);
    assert.equal(await openNote(text, key), null);
    assert.equal(
      await parseVerifierKey('PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW'),
      null,
    );
    assert.equal(
      await parseVerifierKey('PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10T'),
      null,
    );
    const other = generateSigner('PeterNeumann');
    assert.equal(await openNote(signNote(text, other), key), null, 'same name, another key');
  });

  it('reads checkpoints as the server writes them', () => {
    const root = Buffer.alloc(32, 7).toString('base64');
    const cp = parseCheckpoint(`log/acme\n42\n${root}\n`);
    assert.equal(cp?.origin, 'log/acme');
    assert.equal(cp?.size, 42);
    assert.equal(parseCheckpoint(`log/acme\n042\n${root}\n`), null);
    assert.equal(parseCheckpoint(`log/acme\n42\n${root.slice(4)}\n`), null);
    assert.equal(parseCheckpoint(`log/acme\n42\n${root}`), null);
  });
});

describe('the browser’s verifier against a server’s log', () => {
  let t: TestApp;
  let key: string;
  let otherKey: string;
  const get = async (token: string, url: string) => {
    const res = await t.call(token, { method: 'GET', url });
    assert.equal(res.statusCode, 200, `${url}: ${res.body}`);
    return res.body;
  };
  const logOf = (token: string): LogSource => ({
    key: async () => JSON.parse(await get(token, '/v1/log/key')).verifier_key as string,
    checkpoint: async () => get(token, '/v1/log/checkpoint'),
    inclusion: async (seq, size) =>
      JSON.parse(await get(token, `/v1/log/inclusion?seq=${seq}&tree_size=${size}`)),
  });
  const stored = async (seq: number, token = key) =>
    JSON.parse(await get(token, `/v1/events/${seq}`)) as Verifiable;

  before(async () => {
    t = await startTestApp({
      TRAILKEEP_LOG_CHECKPOINT_INTERVAL: '0.05',
      TRAILKEEP_LOG_NAME: 'audit.example.com',
    });
    key = await t.tenantWithKey('acme');
    otherKey = await t.tenantWithKey('globex');
    const events = Array.from({ length: 37 }, (_, i) =>
      event({
        occurred_at: new Date(Date.UTC(2026, 2, 1, 12, 0, i)).toISOString(),
        actor: { id: `u-${i}`, name: 'Zoë Ünïcode 🎉' },
        changes: [{ field: 'role', old: ['agent'], new: ['admin'] }],
        context: { n: String(i), emoji: '✓' },
      }),
    );
    const ingest = async (token: string, list: Record<string, unknown>[]) => {
      const res = await t.call(token, { method: 'POST', url: '/v1/events', payload: { events: list } });
      assert.equal(res.statusCode, 201, res.body);
    };
    const signed = (size: number) =>
      until(async () => {
        const res = await t.call(key, { method: 'GET', url: '/v1/log/checkpoint' });
        return res.statusCode === 200 && res.body.split('\n')[1] === String(size);
      });
    // Two rounds, so the log keeps a checkpoint older than its last events.
    await ingest(key, events.slice(0, 20));
    await signed(20);
    await ingest(key, events.slice(20));
    await ingest(otherKey, events.slice(0, 5));
    await signed(37);
  });
  after(async () => {
    await t?.close();
  });

  it('computes every event’s hash as the server does, and verifies each against the signed checkpoint', async () => {
    for (const seq of [1, 2, 17, 36, 37]) {
      const e = await stored(seq);
      assert.equal(await contentHash(e), serverContentHash(e), `seq ${seq}`);
      assert.deepEqual(await verifyEvent(e, logOf(key)), { state: 'verified', size: 37 }, `seq ${seq}`);
    }
  });

  it('fails an event whose content was altered, naming why', async () => {
    const e = await stored(5);
    const edited = { ...e, action: 'user.delete' };
    assert.deepEqual(await verifyEvent(edited, logOf(key)), {
      state: 'failed',
      reason: 'its content does not give its hash',
    });
  });

  it('fails an event altered together with its hash: its leaf is not in the signed tree', async () => {
    const e = await stored(5);
    const edited: Verifiable = { ...e, action: 'user.delete' };
    edited.hash = await contentHash(edited);
    const verdict = await verifyEvent(edited, logOf(key));
    assert.deepEqual(verdict, {
      state: 'failed',
      reason: 'its inclusion proof does not lead to the checkpoint’s root',
    });
  });

  it('fails a proof that was tampered with, and a checkpoint signed by another key', async () => {
    const e = await stored(9);
    const honest = logOf(key);
    const tampered: LogSource = {
      ...honest,
      inclusion: async (seq, size) => {
        const proof = await honest.inclusion(seq, size);
        return { hashes: [Buffer.alloc(32, 1).toString('base64'), ...proof.hashes.slice(1)] };
      },
    };
    assert.equal((await verifyEvent(e, tampered)).state, 'failed');
    const forger = generateSigner('audit.example.com');
    const forged: LogSource = {
      ...honest,
      checkpoint: async () => {
        const note = (await honest.checkpoint()) as string;
        return signNote(note.slice(0, note.lastIndexOf('\n\n') + 1), forger);
      },
    };
    const verdict = await verifyEvent(e, forged);
    assert.deepEqual(verdict, {
      state: 'failed',
      reason: 'the checkpoint is not signed by the key of audit.example.com',
    });
    assert.equal(
      (await verifyEvent(e, forged, forger.text)).state,
      'verified',
      'a pinned key is the one trusted',
    );
    assert.equal((await verifyEvent(e, honest, forger.text)).state, 'failed', 'the server’s key is not');
  });

  it('fails an event shown against another tenant’s checkpoint', async () => {
    const e = await stored(3);
    const mixed: LogSource = { ...logOf(key), checkpoint: logOf(otherKey).checkpoint };
    assert.deepEqual(await verifyEvent(e, mixed), {
      state: 'failed',
      reason: 'the checkpoint is of another log (audit.example.com/globex, not audit.example.com/acme)',
    });
  });

  it('says an event is not yet checkpointed when the latest checkpoint is older than it', async () => {
    const e = await stored(37);
    const honest = logOf(key);
    const behind: LogSource = {
      ...honest,
      checkpoint: async () => {
        const res = await t.call(key, { method: 'GET', url: '/v1/log/checkpoints?max_size=36&limit=1000' });
        const list = res.json<{ checkpoints: { size: number; checkpoint: string }[] }>().checkpoints;
        const older = list.at(-1);
        assert.ok(older && older.size < 37, 'an older checkpoint');
        return older.checkpoint;
      },
    };
    const verdict = await verifyEvent(e, behind);
    assert.equal(verdict.state, 'pending');
    assert.match(
      (verdict as { reason: string }).reason,
      /latest checkpoint covers seqs 1–\d+; this event is seq 37/,
    );
    assert.deepEqual(await verifyEvent(e, { ...honest, checkpoint: async () => null }), {
      state: 'pending',
      size: null,
      reason: 'the log has no signed checkpoint yet',
    });
  });
});
