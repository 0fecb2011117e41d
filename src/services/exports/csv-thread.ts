/**
 * The CSV render thread (see csv-renderer.ts). It takes a page of events as NDJSON bytes (the
 * stored JSON of each event, one per line) and answers with the page's CSV lines. Both sides'
 * buffers go back and forth to be reused, so a long export allocates almost nothing outside
 * the heap.
 */
import { parentPort } from 'node:worker_threads';
import { ByteBuffer } from './bytes.js';
import { csvLines } from './csv.js';
import { type CsvMessage, type CsvResponse, fitting } from './csv-protocol.js';

const port = parentPort;
if (!port) throw new Error('csv-thread.ts runs as a worker thread');

const decoder = new TextDecoder();
const page = new ByteBuffer(1024 * 1024);
/** Answer buffers the other side is done with. */
const spares: ArrayBuffer[] = [];

/**
 * The lines of `bytes`, decoded one by one as they are asked for. Stored JSON never holds a raw
 * line break, so each line is one event; short strings that die young cost the collector
 * nothing, where the text of a whole page would be copied by every collection until promoted.
 */
function* lines(bytes: Uint8Array): Generator<string> {
  for (let start = 0; start < bytes.length; ) {
    const end = bytes.indexOf(0x0a, start);
    yield decoder.decode(bytes.subarray(start, end));
    start = end + 1;
  }
}

port.on('message', (m: CsvMessage) => {
  // Pages are rendered as they arrive, so every page sent before the close is answered already.
  if ('close' in m) {
    port.close();
    return;
  }
  const { id, ndjson, length, spare } = m;
  if (spare) spares.push(spare);
  let answer: CsvResponse;
  try {
    page.clear();
    csvLines(lines(new Uint8Array(ndjson, 0, length)), page);
    const view = page.view();
    const csv = fitting(spares, view.length);
    new Uint8Array(csv).set(view);
    answer = { id, csv, length: view.length, ndjson };
    port.postMessage(answer, [csv, ndjson]);
  } catch (err) {
    answer = { id, error: err instanceof Error ? err.message : String(err), ndjson };
    port.postMessage(answer, [ndjson]);
  }
});
