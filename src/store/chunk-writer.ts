import { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';

export interface ChunkWriter {
  /** Honours backpressure: write() returning false means wait for 'drain'. */
  readonly stream: Writable;
  /** Ends the stream and waits until every byte has been flushed; rejects with the first failure. */
  end(): Promise<void>;
  /** Stops taking bytes and waits for the flush in progress, so nothing is written after it returns. */
  stop(): Promise<void>;
}

/**
 * A stream that gathers its bytes into chunks of `size` and hands each full chunk (and the last,
 * shorter one) to `flush`, in order, one at a time. Two chunk buffers are reused for the whole
 * stream: one fills while the other is flushing, so the producer renders while the engine
 * writes, memory stays at two chunks whatever the producer does, and the producer's own
 * buffers are copied and released at once instead of waiting in a queue (where the garbage
 * collector promotes them and frees them late). `flush` must be done with its buffer when it
 * resolves.
 *
 * A failed flush destroys the stream with its error, which the producer sees at its next
 * write or wait for 'drain', and `end()` rejects with it; nothing after it is flushed.
 */
export function chunkWriter(size: number, flush: (data: Buffer) => Promise<void>): ChunkWriter {
  let filling = Buffer.allocUnsafe(size);
  let spare = Buffer.allocUnsafe(size);
  let used = 0;
  /** The flush in progress; it never rejects (a failure destroys the stream instead). */
  let flushing: Promise<void> | null = null;

  const stream = new Writable({
    highWaterMark: size,
    write(chunk: Buffer, _encoding, done) {
      let from = 0;
      const fill = () => {
        for (;;) {
          if (used === size) {
            if (flushing) {
              // Both buffers are busy: the producer waits for the engine here.
              void flushing.then(() => (stream.destroyed ? done() : fill()));
              return;
            }
            send();
          }
          if (from === chunk.length) break;
          const n = chunk.copy(filling, used, from);
          used += n;
          from += n;
        }
        done();
      };
      fill();
    },
    final(done) {
      const last = async () => {
        await flushing;
        if (used > 0 && !stream.destroyed) send();
        await flushing;
      };
      void last().then(() => done(stream.errored ?? null));
    },
  });
  // Errors surface through end() and the producer's writes; an 'error' event nobody listens to
  // would end the process.
  stream.on('error', () => {});

  /** Hands the full buffer to `flush` and continues in the spare one. */
  function send(): void {
    const data = filling.subarray(0, used);
    const buffer = filling;
    filling = spare;
    used = 0;
    flushing = flush(data).then(
      () => {
        spare = buffer;
        flushing = null;
      },
      (err: unknown) => {
        flushing = null;
        stream.destroy(err instanceof Error ? err : new Error(String(err)));
      },
    );
  }

  return {
    stream,
    async end() {
      if (stream.destroyed) throw stream.errored ?? new Error('The stream was stopped before its end.');
      stream.end();
      await finished(stream);
    },
    async stop() {
      stream.destroy();
      await flushing;
    },
  };
}
