/**
 * The benchmark's live-tail clients: one `GET /v1/events/stream` each, on a connection of its
 * own. They keep nothing of the events, so a hundred of them can follow a long ingest.
 */
import http, { type IncomingMessage } from 'node:http';
import { createParser } from 'eventsource-parser';

export interface Tail {
  /** Resolves once the stream has begun (the server has opened its tail); rejects on any other answer. */
  opened: Promise<void>;
  /** Resolves when the stream is over. */
  closed: Promise<void>;
  close(): void;
}

/** A stream request whose body, once the answer is a 200, goes to `read`. */
function tailRequest(url: string, key: string, path: string, read: (res: IncomingMessage) => void): Tail {
  const req = http.get(new URL(path, url), { agent: false, headers: { authorization: `Bearer ${key}` } });
  let closed: () => void = () => {};
  const over = new Promise<void>((resolve) => {
    closed = resolve;
  });
  const opened = new Promise<void>((resolve, reject) => {
    req.once('error', (err) => {
      reject(err);
      closed();
    });
    req.once('response', (res) => {
      res.once('close', closed);
      res.on('error', () => undefined);
      if (res.statusCode !== 200) {
        res.resume();
        reject(new Error(`GET ${path}: HTTP ${res.statusCode}`));
        return;
      }
      // The retry hint comes first: once it is here, the tail is in the server's hub.
      res.once('data', () => resolve());
      read(res);
    });
  });
  return { opened, closed: over, close: () => req.destroy() };
}

/** A stream read with a real SSE parser (eventsource-parser): each event's id (its seq) and arrival time. */
export function openTail(
  url: string,
  key: string,
  onEvent: (seq: number, at: number) => void,
  path = '/v1/events/stream',
): Tail {
  return tailRequest(url, key, path, (res) => {
    const parser = createParser({ onEvent: (e) => onEvent(Number(e.id), performance.now()) });
    res.setEncoding('utf8');
    res.on('data', (d: string) => parser.feed(d));
  });
}

/** What marks a message of the live tail: its `id:` line, after the line break that ends the one before. */
const ID_LINE = Buffer.from('\nid: ');

/**
 * A stream whose events are only counted, from the raw bytes (`\nid: ` lines), without decoding
 * or parsing them: a hundred of these beside an ingest load cost the machine far less than
 * parsers would, so the load measures the server rather than its clients. The driver's streams
 * (openTail) check order and timing; these check that every event came.
 */
export function countTail(url: string, key: string, path = '/v1/events/stream'): Tail & { count(): number } {
  let count = 0;
  let carry = Buffer.alloc(0);
  const tail = tailRequest(url, key, path, (res) => {
    res.on('data', (chunk: Buffer) => {
      // The marker may straddle two chunks: the last bytes of one are searched with the next.
      const data = carry.length ? Buffer.concat([carry, chunk]) : chunk;
      for (let at = data.indexOf(ID_LINE); at >= 0; at = data.indexOf(ID_LINE, at + ID_LINE.length)) count++;
      carry = Buffer.from(data.subarray(Math.max(0, data.length - (ID_LINE.length - 1))));
    });
  });
  return { ...tail, count: () => count };
}
