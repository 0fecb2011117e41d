import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { generateSigner, publicHalf } from '../../src/core/log/note.js';
import { FORMATS } from '../../src/core/streams/formats/index.js';
import { applyPii } from '../../src/core/streams/pii.js';
import { STREAM_FORMATS } from '../../src/core/streams/stream.js';
import { type BatchReport, BatchVerifier } from '../../src/core/streams/verify-batches.js';
import { manifestOf, ndjsonOf, signedCheckpoint, storedEvents, webhookBody } from '../helpers/batches.js';

const signer = generateSigner('audit.example.com');
const verifier = publicHalf(signer);
const T = 'acme';

/** Ten webhook bodies of 50 seqs each (1..500), every one with a checkpoint of 500. */
function bodies(format: (typeof STREAM_FORMATS)[number] = 'native') {
  const cp = signedCheckpoint(signer, T, 500);
  return Array.from({ length: 10 }, (_, i) =>
    webhookBody(
      storedEvents(T, i * 50 + 1, i * 50 + 50),
      { tenant: T, from: i * 50 + 1, to: i * 50 + 50 },
      cp,
      format,
    ),
  );
}

function run(lines: unknown[], fromSeq?: number): BatchReport {
  const v = new BatchVerifier(verifier, fromSeq);
  lines.forEach((l, i) => {
    v.value(JSON.parse(JSON.stringify(l)), `line ${i + 1}`);
  });
  return v.finish();
}

const only = (r: BatchReport) => {
  assert.equal(r.tenants.length, 1);
  return r.tenants[0] as BatchReport['tenants'][number];
};

describe('BatchVerifier', () => {
  for (const format of STREAM_FORMATS) {
    it(`${format}: every batch received and intact is OK`, () => {
      const r = run(bodies(format));
      assert.deepEqual(r.problems, []);
      const t = only(r);
      assert.deepEqual([t.events, t.checked, t.gaps, t.altered, t.checkpointSize], [500, 500, [], [], 500]);
      assert.equal(r.ok, true);
    });
  }

  it('a dropped batch is reported as its exact seq range', () => {
    const all = bodies();
    const r = run([...all.slice(0, 3), ...all.slice(4)]);
    assert.deepEqual(only(r).gaps, [{ from: 151, to: 200, tail: false }]);
    assert.equal(r.ok, false);
  });

  it('an edited event is reported by its seq, whether the carried event or a mapped field was edited', () => {
    const all = bodies('ocsf');
    type Ocsf = { actor: { user: { email_addr: string } }; raw_data: string };
    const first = structuredClone(all[0]) as { data: { events: Ocsf[] } };
    const [six, thirteen] = [first.data.events[5], first.data.events[12]] as [Ocsf, Ocsf];
    six.actor.user.email_addr = 'mallory@example.com';
    thirteen.raw_data = thirteen.raw_data.replace('user6@example.com', 'eve@example.com');
    const r = run([first, ...all.slice(1)]);
    assert.deepEqual(
      only(r).altered.map((a) => [a.seq, a.reason]),
      [
        [6, 'it is not what its event renders to (a field beside the event was changed)'],
        [13, 'its hash does not recompute'],
      ],
    );
    assert.deepEqual(only(r).gaps, []);
  });

  it('a seq received twice with different hashes is altered; the same twice is a duplicate', () => {
    const all = bodies();
    const events = storedEvents(T, 1, 3);
    const twin = { ...(events[1] as Record<string, unknown>), hash: 'f'.repeat(64) };
    const r = run([...all, ...all.slice(0, 2), twin]);
    const t = only(r);
    assert.equal(t.duplicates, 100);
    assert.deepEqual(t.altered, [{ seq: 2, reason: 'its hash does not recompute' }]);
  });

  it('records without batches must be contiguous from 1', () => {
    const events = storedEvents(T, 1, 20).filter((e) => e.seq !== 7 && e.seq !== 8 && e.seq !== 15);
    const lines = ndjsonOf(events, 'cloudevents')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.deepEqual(only(run(lines)).gaps, [
      { from: 7, to: 8, tail: false },
      { from: 15, to: 15, tail: false },
    ]);
    assert.deepEqual(only(run(lines.slice(6), 9)).gaps, [{ from: 15, to: 15, tail: false }]);
  });

  it('the seqs a batch claims count as received even when its filter left their events out', () => {
    const cp = signedCheckpoint(signer, T, 100);
    const some = storedEvents(T, 1, 100).filter((e) => e.seq % 10 === 0);
    const r = run([webhookBody(some, { tenant: T, from: 1, to: 100 }, cp)]);
    assert.equal(r.ok, true);
    assert.equal(only(r).events, 10);
  });

  it('the tail up to the newest checkpoint is a gap', () => {
    const all = bodies();
    const later = webhookBody(
      storedEvents(T, 501, 520),
      { tenant: T, from: 501, to: 520 },
      signedCheckpoint(signer, T, 600),
    );
    const r = run([...all, later]);
    assert.deepEqual(only(r).gaps, [{ from: 521, to: 600, tail: true }]);
  });

  it('a checkpoint not signed by the key, or of another tenant, is reported', () => {
    const other = generateSigner('audit.example.com');
    const forged = signedCheckpoint(other, T, 900);
    const stranger = signedCheckpoint(signer, 'globex', 900);
    const tampered = signedCheckpoint(signer, T, 500).replace('\n500\n', '\n900\n');
    for (const cp of [forged, stranger, tampered]) {
      const r = run([webhookBody(storedEvents(T, 1, 5), { tenant: T, from: 1, to: 5 }, cp)]);
      const t = only(r);
      assert.equal(t.badCheckpoints.length, 1);
      assert.equal(t.checkpointSize, null);
      assert.deepEqual(t.gaps, []);
      assert.equal(r.ok, false);
    }
  });

  it('redacted records are counted, not called altered', () => {
    const events = storedEvents(T, 1, 10);
    for (const format of STREAM_FORMATS) {
      const lines = events.map((e) => {
        const { event, redacted } = applyPii(e, [{ field: 'actor.email', action: 'mask' }], null);
        return FORMATS[format].render(event, redacted);
      });
      const t = only(run(lines));
      assert.deepEqual([t.redacted, t.checked, t.altered], [10, 0, []], format);
    }
  });

  it('a record stripped of its event without saying it was redacted is altered', () => {
    const [e] = storedEvents(T, 1, 1);
    const record = FORMATS.ocsf.render(e as never, []);
    delete record.raw_data;
    assert.deepEqual(
      only(run([record])).altered.map((a) => a.seq),
      [1],
    );
  });

  it('a manifest covers its range only when its object is there with its bytes', () => {
    const cp = signedCheckpoint(signer, T, 20);
    const events = storedEvents(T, 1, 20).filter((e) => e.seq <= 10 || e.seq > 15);
    const body = ndjsonOf(events.filter((e) => e.seq <= 10));
    const tail = ndjsonOf(events.filter((e) => e.seq > 10));
    const m1 = manifestOf('p/acme/1.ndjson', body, { tenant: T, from: 1, to: 10, events: 10 }, cp);
    const m2 = manifestOf('p/acme/2.ndjson', tail, { tenant: T, from: 11, to: 20, events: 5 }, cp);
    const feed = (objects: [string, string][]) => {
      const v = new BatchVerifier(verifier);
      for (const [name, text] of objects) {
        v.object(
          name,
          manifestOf(name, text, { tenant: T, from: 1, to: 1, events: 0 }, null).sha256 as string,
        );
        text
          .trim()
          .split('\n')
          .forEach((l, i) => {
            v.value(JSON.parse(l), `${name}:${i + 1}`);
          });
      }
      v.value(m1, 'm1');
      v.value(m2, 'm2');
      return v.finish();
    };
    // Synced to a directory below the prefix: names are the keys' ends.
    assert.equal(
      feed([
        ['acme/1.ndjson', body],
        ['acme/2.ndjson', tail],
      ]).ok,
      true,
    );
    const missing = feed([['acme/1.ndjson', body]]);
    assert.deepEqual(only(missing).gaps, [{ from: 11, to: 20, tail: false }]);
    assert.match(missing.problems[0]?.message ?? '', /p\/acme\/2\.ndjson \(seqs 11–20\), which is not there/);
    const changed = feed([
      ['acme/1.ndjson', body],
      ['acme/2.ndjson', tail.replace('"e-16"', '"e-99"')],
    ]);
    assert.match(changed.problems[0]?.message ?? '', /whose bytes are not the ones it hashed/);
  });

  it('lines of no known kind are problems', () => {
    const r = run([{ hello: 'world' }, 42, { type: 'trailkeep.events', data: { tenant: T } }]);
    assert.equal(r.problems.length, 3);
    assert.equal(r.ok, false);
  });

  it('a record outside its batch range is a problem', () => {
    const r = run([webhookBody(storedEvents(T, 1, 6), { tenant: T, from: 1, to: 5 }, null)]);
    assert.match(r.problems[0]?.message ?? '', /seq 6 of acme, outside its batch/);
  });

  it('keeps tenants apart', () => {
    const r = run([
      webhookBody(storedEvents('a', 1, 5), { tenant: 'a', from: 1, to: 5 }, signedCheckpoint(signer, 'a', 5)),
      webhookBody(storedEvents('b', 3, 5), { tenant: 'b', from: 3, to: 5 }, signedCheckpoint(signer, 'b', 5)),
    ]);
    assert.deepEqual(
      r.tenants.map((t) => [t.tenant, t.gaps]),
      [
        ['a', []],
        ['b', [{ from: 1, to: 2, tail: false }]],
      ],
    );
  });
});
