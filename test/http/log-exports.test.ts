// @engines sqlite postgres
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { verifyExportFile } from '../../src/cli/lib/proof-file.js';
import { canonicalJson, sha256Hex } from '../../src/core/event/seal.js';
import { PROOF_MEMBER } from '../../src/core/log/export-proof.js';
import { generateSigner, parseVerifier, type Verifier } from '../../src/core/log/note.js';
import { runCli } from '../cli/run.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { settled } from '../helpers/jobs.js';
import { sleep } from '../helpers/wait.js';

/** 700 events (three tiles' worth), a minute apart; seq 650 is back-dated into the first hour. */
const EVENTS = 700;
const START = Date.UTC(2026, 2, 1);
const occurredAt = (i: number) => new Date(START + (i === 649 ? 30 : i) * 60_000).toISOString();

/**
 * Proof-carrying NDJSON exports (`"proofs": true`) and `trailkeep verify FILE`, on each engine:
 * a whole log, a seq range, a time range and a filtered export verify; an edited, removed,
 * reordered or rewritten line, or another key, does not, and the failure names the event.
 */
describe('proof-carrying exports', () => {
  let t: TestApp;
  let key: string;
  let verifierKey: string;
  let verifier: Verifier;

  async function exportFile(body: Record<string, unknown>): Promise<string> {
    const made = await t.call(key, {
      method: 'POST',
      url: '/v1/exports',
      payload: { format: 'ndjson', ...body },
    });
    assert.equal(made.statusCode, 202, made.body);
    const job = await settled(t, key, `/v1/exports/${made.json<{ id: string }>().id}`);
    assert.equal(job.state, 'succeeded', JSON.stringify(job));
    assert.equal(job.proofs, body.proofs === true);
    const res = await t.call(key, { method: 'GET', url: `/v1/exports/${job.id}/download` });
    assert.equal(res.statusCode, 200);
    return res.body;
  }

  let n = 0;
  const save = (text: string): string => {
    const path = join(t.dir, `export-${++n}.ndjson`);
    writeFileSync(path, text);
    return path;
  };
  /** The verifier's failure for `text`, or null when it verifies. */
  const failure = async (text: string, v = verifier): Promise<string | null> =>
    verifyExportFile(save(text), v).then(
      () => null,
      (err: Error) => err.message,
    );
  const split = (text: string) => {
    const lines = text.split('\n').slice(0, -1);
    return { events: lines.slice(0, -1), proof: lines.at(-1) as string };
  };
  const join_ = (events: string[], proof: string) => `${[...events, proof].join('\n')}\n`;
  /** Where the event of `seq` is among the lines. */
  const at = (events: string[], seq: number) => events.findIndex((l) => JSON.parse(l).seq === seq);

  before(async () => {
    t = await startTestApp({ TRAILKEEP_LOG_CHECKPOINT_INTERVAL: '0.05', TRAILKEEP_LOG_VERIFY_INTERVAL: '0' });
    key = await t.tenantWithKey('acme');
    const events = Array.from({ length: EVENTS }, (_, i) => ({
      id: `e${i + 1}`,
      occurred_at: occurredAt(i),
      action: i % 4 === 0 ? 'invoice.delete' : 'invoice.update',
    }));
    for (let i = 0; i < EVENTS; i += 350) {
      const res = await t.call(key, {
        method: 'POST',
        url: '/v1/events',
        payload: { events: events.slice(i, i + 350) },
      });
      assert.equal(res.statusCode, 201, res.body);
    }
    verifierKey = (await t.call(key, { method: 'GET', url: '/v1/log/key' })).json<{ verifier_key: string }>()
      .verifier_key;
    verifier = parseVerifier(verifierKey) as Verifier;
  });
  after(async () => {
    await t?.close();
  });

  it('an export of the whole log holds every event and one proof line; trailkeep verify proves it complete', async () => {
    const text = await exportFile({ proofs: true });
    const { events, proof } = split(text);
    assert.equal(events.length, EVENTS);
    // Oldest first, as every export: the back-dated seq 650 comes with minute 30's events.
    const seqs = events.map((l) => JSON.parse(l).seq as number);
    assert.deepEqual(
      [...seqs].sort((a, b) => a - b),
      Array.from({ length: EVENTS }, (_, i) => i + 1),
    );
    assert.deepEqual(seqs.slice(30, 33), [31, 650, 32]);
    const line = JSON.parse(proof)[PROOF_MEMBER];
    assert.equal(line.tree_size, EVENTS);
    assert.deepEqual(line.gaps, []);
    const ok = await runCli(['verify', save(text), '--key', verifierKey]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, new RegExp(`OK: ${EVENTS} events of trailkeep/acme`));
    assert.match(ok.stdout, new RegExp(`Complete: the file holds every event of seqs 1-${EVENTS}`));
  });

  it('fails an edited event, naming it, and exits non-zero; and fails another key', async () => {
    const { events, proof } = split(await exportFile({ proofs: true }));
    const edited = [...events];
    edited[at(edited, 42)] = (edited[at(edited, 42)] as string).replace('invoice.update', 'invoice.delete');
    const bad = await runCli(['verify', save(join_(edited, proof)), '--key', verifierKey]);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /seq 42 \(id e42\) was altered/);
    const other = await runCli([
      'verify',
      save(join_(events, proof)),
      '--key',
      generateSigner('trailkeep').text,
    ]);
    assert.notEqual(other.code, 0);
    assert.match(other.stderr, /not signed by trailkeep\+/);
  });

  it('fails a removed, a reordered, an inserted line and an event rewritten with a matching hash', async () => {
    const { events, proof } = split(await exportFile({ proofs: true }));
    assert.equal(await failure(join_(events, proof)), null);
    assert.match(
      (await failure(join_(events.toSpliced(at(events, 100), 1), proof))) ?? '',
      /seq 100 is missing/,
    );
    const swapped = [...events];
    const [i, j] = [at(swapped, 10), at(swapped, 11)];
    [swapped[i], swapped[j]] = [swapped[j] as string, swapped[i] as string];
    assert.match((await failure(join_(swapped, proof))) ?? '', /seq 10 \(id e10\) comes after seq 11/);
    // An event re-sealed with the hash of its new content passes the hash check; the tree does not.
    const rewritten = [...events];
    const e = JSON.parse(rewritten[at(rewritten, 300)] as string);
    e.action = 'invoice.delete';
    delete e.hash;
    rewritten[at(rewritten, 300)] = JSON.stringify({ ...e, hash: sha256Hex(canonicalJson(e)) });
    assert.match((await failure(join_(rewritten, proof))) ?? '', /do not give the checkpoint's root/);
    // A line the proof was not made for: an export filtered to deletes, with one update put back.
    const deletes = split(await exportFile({ proofs: true, filters: { action: 'invoice.delete' } }));
    const withUpdate = [
      ...deletes.events.slice(0, 1),
      events[at(events, 2)] as string,
      ...deletes.events.slice(1),
    ];
    assert.match(
      (await failure(join_(withUpdate, deletes.proof))) ?? '',
      /seq 2 \(id e2\) is not among the events/,
    );
    assert.match((await failure(events.join('\n'))) ?? '', /carries no proofs|not JSON/);
  });

  it('a seq range is proven complete; a filtered export proves inclusion only', async () => {
    const range = await exportFile({ proofs: true, filters: { min_seq: 200, max_seq: 520 } });
    assert.equal(split(range).events.length, 321);
    const summary = await verifyExportFile(save(range), verifier);
    assert.equal(summary.complete, 'every event of seqs 200-520');
    // Dropping an end of the range must fail, though every remaining line is in the log.
    const { events, proof } = split(range);
    assert.match((await failure(join_(events.slice(0, -1), proof))) ?? '', /seq 520 is missing/);

    const filtered = await exportFile({ proofs: true, filters: { action: 'invoice.delete' } });
    assert.equal(split(filtered).events.length, EVENTS / 4);
    const inclusion = await verifyExportFile(save(filtered), verifier);
    assert.equal(inclusion.events, EVENTS / 4);
    assert.equal(inclusion.complete, null);
  });

  it('a time range is proven complete between witnesses outside it', async () => {
    // Minutes 100-199: seqs 101-200; their neighbours 100 and 201 are outside.
    const from = new Date(START + 100 * 60_000).toISOString();
    const to = new Date(START + 200 * 60_000).toISOString();
    const text = await exportFile({ proofs: true, filters: { from, to } });
    assert.equal(split(text).events.length, 100);
    const summary = await verifyExportFile(save(text), verifier);
    assert.match(summary.complete ?? '', /^every event of seqs 101-200, whose neighbours are outside/);
    // The back-dated seq 650 (minute 30) sits far from minutes 0-59's other events: everything
    // between is witnessed to be outside the range.
    const early = await exportFile({
      proofs: true,
      filters: { to: new Date(START + 60 * 60_000).toISOString() },
    });
    const earlyEvents = split(early).events.map((l) => JSON.parse(l).seq);
    const minutes = Array.from({ length: 60 }, (_, i) => i + 1);
    assert.deepEqual(earlyEvents, [...minutes.slice(0, 31), 650, ...minutes.slice(31)]);
    const proven = await verifyExportFile(save(early), verifier);
    assert.match(proven.complete ?? '', /^every event of seqs 1-650/);
  });

  it('refuses proofs for CSV, naming the parameter', async () => {
    const res = await t.call(key, {
      method: 'POST',
      url: '/v1/exports',
      payload: { format: 'csv', proofs: true },
    });
    assert.equal(res.statusCode, 400);
    assert.match(res.body, /proofs/);
  });

  it('waits for a checkpoint that covers what was committed before it started', async () => {
    // Checkpointing paused: the event is committed, and no checkpoint covers it yet.
    await t.logWorker.stop();
    const res = await t.call(key, {
      method: 'POST',
      url: '/v1/events',
      payload: { events: [{ id: 'late', occurred_at: occurredAt(EVENTS), action: 'invoice.update' }] },
    });
    assert.equal(res.statusCode, 201);
    const exported = exportFile({ proofs: true });
    await sleep(1_000);
    assert.equal((await t.services.store.log.latest('acme'))?.size, EVENTS);
    t.logWorker.start();
    const text = await exported;
    const { events } = split(text);
    assert.equal(JSON.parse(events.at(-1) as string).id, 'late');
    assert.equal((await verifyExportFile(save(text), verifier)).events, EVENTS + 1);
  });
});
