import assert from 'node:assert/strict';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import { chunkWriter } from '../../src/store/chunk-writer.js';

/** A flush that records copies of its chunks and finishes when the test says so. */
function recorder() {
  const chunks: Buffer[] = [];
  const waiting: (() => void)[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  let hold = false;
  return {
    chunks,
    get maxInFlight() {
      return maxInFlight;
    },
    hold(on: boolean) {
      hold = on;
      if (!on) for (const go of waiting.splice(0)) go();
    },
    flush: async (data: Buffer) => {
      inFlight += 1;
      maxInFlight = Math.max(maxInFlight, inFlight);
      // Copied now: the writer reuses its buffers once a flush has resolved.
      chunks.push(Buffer.from(data));
      if (hold) await new Promise<void>((go) => waiting.push(go));
      else await new Promise((r) => setImmediate(r));
      inFlight -= 1;
    },
  };
}

const bytes = (n: number, seed = 0) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 7 + seed) % 251));

describe('chunkWriter', () => {
  it('hands on whole chunks in order, then the short last one, whatever the write sizes', async () => {
    const r = recorder();
    const out = chunkWriter(10, r.flush);
    const data = bytes(47);
    for (const [from, to] of [
      [0, 3],
      [3, 25],
      [25, 26],
      [26, 47],
    ] as const) {
      if (!out.stream.write(data.subarray(from, to))) await once(out.stream, 'drain');
    }
    await out.end();
    assert.deepEqual(
      r.chunks.map((c) => c.length),
      [10, 10, 10, 10, 7],
    );
    assert.ok(Buffer.concat(r.chunks).equals(data));
    assert.equal(r.maxInFlight, 1, 'one flush at a time');
  });

  it('keeps one chunk filling while one flushes, and makes the producer wait beyond that', async () => {
    const r = recorder();
    r.hold(true);
    const out = chunkWriter(10, r.flush);
    let calledBack = 0;
    out.stream.write(bytes(10), () => calledBack++); // full: flushing
    out.stream.write(bytes(9), () => calledBack++); // fits in the other buffer
    out.stream.write(bytes(5), () => calledBack++); // fills it: both busy, so this one waits
    await new Promise((r) => setImmediate(r));
    assert.equal(calledBack, 2, 'the write that found both buffers busy is not done');
    assert.equal(r.chunks.length, 1);
    r.hold(false);
    await out.end();
    assert.equal(calledBack, 3);
    assert.deepEqual(
      r.chunks.map((c) => c.length),
      [10, 10, 4],
    );
  });

  it('a failed flush fails the stream: later writes and end() report it, nothing more is flushed', async () => {
    let calls = 0;
    const out = chunkWriter(4, async () => {
      calls += 1;
      throw new Error('disk full');
    });
    out.stream.write(bytes(4));
    await new Promise((r) => setImmediate(r));
    assert.equal(out.stream.errored?.message, 'disk full');
    out.stream.write(bytes(8));
    await assert.rejects(out.end(), /disk full/);
    assert.equal(calls, 1);
  });

  it('stop() waits for the flush in progress and flushes nothing after', async () => {
    const r = recorder();
    r.hold(true);
    const out = chunkWriter(4, r.flush);
    out.stream.write(bytes(6));
    let stopped = false;
    const stopping = out.stop().then(() => {
      stopped = true;
    });
    await new Promise((r) => setImmediate(r));
    assert.equal(stopped, false, 'still flushing');
    r.hold(false);
    await stopping;
    assert.deepEqual(
      r.chunks.map((c) => c.length),
      [4],
    );
    await assert.rejects(out.end());
  });
});
