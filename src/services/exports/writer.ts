import { once } from 'node:events';
import type { Writable } from 'node:stream';
import type { EventFilter, EventRow } from '../../core/query.js';
import type { EventStore } from '../../store/types.js';
import { scanEvents } from '../scan.js';
import { ByteBuffer } from './bytes.js';
import type { CsvRenderer } from './csv-renderer.js';
import { readAhead } from './read-ahead.js';
import { type ExportFormat, fileHeader, ndjsonLines } from './render.js';

export { CSV_COLUMNS } from './csv.js';
export { CONTENT_TYPES, EXPORT_FORMATS, type ExportFormat } from './render.js';

/**
 * Waits until `out` takes more data. An output that failed or closed meanwhile (a full disk, a
 * lost database) would never drain: its error is thrown instead of waiting forever.
 */
async function drained(out: Writable): Promise<void> {
  const gone = () => out.errored ?? new Error('The export output closed before the export ended.');
  if (out.errored || out.destroyed) throw gone();
  const ac = new AbortController();
  try {
    await Promise.race([
      once(out, 'drain', { signal: ac.signal }),
      once(out, 'close', { signal: ac.signal }).then(() => {
        throw gone();
      }),
    ]);
  } finally {
    ac.abort();
  }
}

/**
 * Events per page. A page's rows live until it is rendered, and while they do the young
 * generation's collections copy them and may promote them to the old generation, which only a
 * full collection frees. On PostgreSQL every page is a query: reading 1 million events took
 * 3.9–5.7 s in 2,000-event pages, 6.4–6.8 s in 500. CSV pages are parsed on the render thread,
 * not here, so the same size serves both formats.
 */
const PAGE = 2000;

/**
 * Writes `data` to `out`. `done` settles when `out` is finished with it (its write callback),
 * after which the memory may be reused; `accepted` is write()'s answer.
 */
function send(out: Writable, data: Buffer): { accepted: boolean; done: Promise<void> } {
  let accepted = false;
  const done = new Promise<void>((resolve, reject) => {
    accepted = out.write(data, (err) => (err ? reject(err) : resolve()));
  });
  // Awaited before the buffer is reused; marked handled so a failure meanwhile is not fatal.
  done.catch(() => undefined);
  return { accepted, done };
}

/** Thrown by writeExport when the next part would take the file past `maxBytes`; nothing of that part was written. */
export class ExportTooLarge extends Error {
  constructor(
    readonly written: number,
    readonly maxBytes: number,
  ) {
    super(`The export would pass ${maxBytes} bytes (${written} written).`);
    this.name = 'ExportTooLarge';
  }
}

export interface ExportOptions {
  /** Rows read from the store per step; memory stays bounded by two chunks (one is read ahead). */
  chunk?: number;
  /** Called after each chunk is written, with the rows written so far. */
  onProgress?: (rows: number) => void;
  /** Checked between chunks; returning false stops the export early (cancellation, lost lease). */
  keepGoing?: () => boolean | Promise<boolean>;
  /** The most bytes the file may have: a part that would pass them throws ExportTooLarge instead of being written. */
  maxBytes?: number;
  /** Sees each page of events as it is written, oldest first. */
  onRows?: (rows: EventRow[]) => void;
  /** What follows the last event (a proof line), in parts; it counts toward `maxBytes` too. */
  trailer?: () => AsyncIterable<string>;
}

/** What an export reads and what renders its CSV. */
export interface ExportSource {
  events: Pick<EventStore, 'list'>;
  /** The render thread of whoever composed the export (the job worker, the CLI). */
  csv: CsvRenderer;
}

/**
 * Streams every event matching `filter`, oldest first, to `out` in the given format, one
 * keyset page at a time and honouring backpressure; the next page is read while the current
 * one is rendered and written. Returns the number of events written, or
 * null when `keepGoing` stopped it; throws ExportTooLarge at `maxBytes`. Does not end `out`.
 */
export async function writeExport(
  source: ExportSource,
  tenant: string,
  filter: EventFilter,
  format: ExportFormat,
  out: Writable,
  options: ExportOptions = {},
): Promise<number | null> {
  // Two page buffers in turn: one is rendered while `out` may still hold the other.
  const buffers = [new ByteBuffer(), new ByteBuffer()] as const;
  const held: [Promise<void>, Promise<void>] = [Promise.resolve(), Promise.resolve()];
  let turn = 0;
  let bytes = 0;
  const maxBytes = options.maxBytes ?? Infinity;
  const put = async (fill: (into: ByteBuffer) => void) => {
    const i = turn++ % 2;
    await held[i];
    const into = buffers[i] as ByteBuffer;
    into.clear();
    fill(into);
    const data = into.view();
    // Once per part (a page of events), not per event: the check costs nothing on the hot path.
    if (bytes + data.length > maxBytes) throw new ExportTooLarge(bytes, maxBytes);
    bytes += data.length;
    const { accepted, done } = send(out, data);
    held[i] = done;
    if (!accepted) await drained(out);
  };

  let written = 0;
  const header = fileHeader(format);
  if (header) await put((into) => into.text(header));
  const pages = readAhead(scanEvents(source.events, tenant, filter, 'asc', options.chunk ?? PAGE));
  // CSV pages in flight on the render thread, oldest first: one is rendered while the next is
  // read and the one before is written.
  const rendering: { rows: number; csv: Promise<Uint8Array> }[] = [];
  const writeRendered = async () => {
    const page = rendering.shift() as (typeof rendering)[number];
    const csv = await page.csv;
    await put((into) => {
      into.bytes(csv);
      source.csv.release(csv);
    });
    written += page.rows;
    options.onProgress?.(written);
  };
  try {
    for await (const rows of pages) {
      // Checked between chunks: a cancelled job or a lost lease stops before writing more.
      if (options.keepGoing && !(await options.keepGoing())) return null;
      options.onRows?.(rows);
      if (format === 'ndjson') {
        await put((into) => ndjsonLines(rows, into));
        written += rows.length;
        options.onProgress?.(written);
        continue;
      }
      rendering.push({ rows: rows.length, csv: source.csv.render(rows) });
      if (rendering.length > 1) await writeRendered();
    }
    while (rendering.length > 0) await writeRendered();
    if (options.trailer) for await (const part of options.trailer()) await put((into) => into.text(part));
  } finally {
    // Stopped early: the pages still rendering are not written, and their failure is not news.
    for (const page of rendering) page.csv.catch(() => undefined);
  }
  await Promise.all(held);
  return written;
}
