import type { EventRow } from '../../core/query.js';
import { spawnThread, ThreadRequests } from '../../runtime/thread.js';
import { ByteBuffer } from './bytes.js';
import { type CsvMessage, type CsvRequest, type CsvResponse, fitting } from './csv-protocol.js';
import { ndjsonLines } from './render.js';

/**
 * Renders pages of events as CSV on a worker thread (csv-thread.ts). Parsing every event and
 * quoting every cell is most of a CSV export's work; on the thread it runs beside the reading
 * of the next page and the writing of the last, and the event loop stays free for requests.
 * The page goes over as NDJSON bytes, handed over without copying, and so does the answer.
 * Pages are answered in the order they were given. Whoever composes the exports makes one (the
 * job worker, the CLI's local export) and closes it; its thread is started on first use (again
 * after a close) and, idle, does not keep the process alive.
 */
export class CsvRenderer {
  private readonly page = new ByteBuffer();
  /** Request buffers the thread gave back, and answer buffers the caller released. */
  private readonly inputs: ArrayBuffer[] = [];
  private readonly spares: ArrayBuffer[] = [];
  private readonly thread = new ThreadRequests<CsvResponse, Uint8Array>(
    // A small young generation: each batch's parsed events die within it. Twice the size bought
    // ~7 % more speed for 10–25 MiB more RSS; without a limit, a 1-million-event export peaked
    // ~40 MiB higher.
    () =>
      spawnThread(import.meta.url, 'csv-thread', undefined, {
        resourceLimits: { maxYoungGenerationSizeMb: 12 },
      }),
    (r) => {
      this.inputs.push(r.ndjson);
      return 'csv' in r ? new Uint8Array(r.csv, 0, r.length) : new Error(`CSV rendering failed: ${r.error}`);
    },
    (why) => new Error(`The CSV render thread stopped (${why}).`),
  );

  /** The page's CSV lines. Pass them to `release` once they are copied or written. */
  render(rows: EventRow[]): Promise<Uint8Array> {
    this.page.clear();
    ndjsonLines(rows, this.page);
    const view = this.page.view();
    const ndjson = fitting(this.inputs, view.length);
    new Uint8Array(ndjson).set(view);
    const spare = this.spares.pop();
    return this.thread.request(
      (id): CsvRequest => ({ id, ndjson, length: view.length, ...(spare ? { spare } : {}) }),
      spare ? [ndjson, spare] : [ndjson],
    );
  }

  /** Takes back an answer's memory for a later page. */
  release(csv: Uint8Array): void {
    this.spares.push(csv.buffer as ArrayBuffer);
  }

  /** Lets the pages given finish, then stops the thread. */
  close(): Promise<void> {
    return this.thread.close({ close: true } satisfies CsvMessage);
  }
}
