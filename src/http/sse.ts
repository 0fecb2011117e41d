import type { EventRow } from '../core/query.js';

/**
 * Server-Sent Events framing (WHATWG HTML, "Server-sent events"): what the live tail writes.
 * A message is `field: value` lines ended by a blank line; a line starting with `:` is a comment,
 * which clients ignore and proxies see as traffic.
 */

export const SSE_TYPE = 'text/event-stream; charset=utf-8';

/** The first bytes of a stream: how long a client waits before reconnecting after a drop. */
export const retryHint = (ms: number): string => `retry: ${ms}\n\n`;

/** Sent on a quiet stream: nothing for a client, traffic for every idle timer on the way. */
export const HEARTBEAT = ': heartbeat\n\n';

/**
 * `id` alone: no event is dispatched, but the client's last event id becomes `seq`, which it
 * sends back as Last-Event-ID when it reconnects.
 */
export const idOnly = (seq: number): string => `id: ${seq}\n\n`;

/**
 * One event as a message: its seq as the id, its stored JSON as the data. Stored JSON is compact
 * and JSON escapes line breaks inside strings, so it is one line; were it not, each of its lines
 * is a `data:` line of its own, which the client joins back with LF.
 */
export const eventMessage = (row: EventRow): string =>
  `id: ${row.seq}\ndata: ${/[\r\n]/.test(row.json) ? row.json.split(/\r\n|\r|\n/).join('\ndata: ') : row.json}\n\n`;

/** Messages gathered into one write, so a window of small events is a few writes, not hundreds. */
const FRAME_BYTES = 64 * 1024;

/** Consecutive messages as one buffer, and how many of the window's events end in it or before. */
export interface Frame {
  bytes: Buffer;
  through: number;
}

/**
 * Encodes windows of events as frames, each window once however many streams it goes to (the
 * hub hands the same rows to every stream at one position with one filter). Held weakly by the
 * rows, so a window's frames go when the window does.
 */
export function frameCache(): (rows: readonly EventRow[]) => Frame[] {
  const frames = new WeakMap<readonly EventRow[], Frame[]>();
  return (rows) => {
    const known = frames.get(rows);
    if (known) return known;
    const made: Frame[] = [];
    let parts: string[] = [];
    let size = 0;
    rows.forEach((row, i) => {
      const message = eventMessage(row);
      parts.push(message);
      size += message.length;
      if (size >= FRAME_BYTES || i === rows.length - 1) {
        made.push({ bytes: Buffer.from(parts.join('')), through: i + 1 });
        parts = [];
        size = 0;
      }
    });
    frames.set(rows, made);
    return made;
  };
}
