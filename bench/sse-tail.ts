/**
 * The benchmark's live-tail client: one `GET /v1/events/stream` on a connection of its own, read
 * with a real SSE parser (eventsource-parser), reporting each event's id (its seq) and when it
 * arrived. It keeps nothing of the events, so a hundred of them can follow a long ingest.
 */
import http from 'node:http';
import { createParser } from 'eventsource-parser';

export interface Tail {
  /** Resolves once the stream has begun (the server has opened its tail); rejects on any other answer. */
  opened: Promise<void>;
  /** Resolves when the stream is over. */
  closed: Promise<void>;
  close(): void;
}

export function openTail(
  url: string,
  key: string,
  onEvent: (seq: number, at: number) => void,
  path = '/v1/events/stream',
): Tail {
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
        let text = '';
        res.setEncoding('utf8').on('data', (d: string) => {
          text += d;
        });
        res.once('end', () =>
          reject(new Error(`GET ${path}: HTTP ${res.statusCode}: ${text.slice(0, 300)}`)),
        );
        return;
      }
      const parser = createParser({ onEvent: (e) => onEvent(Number(e.id), performance.now()) });
      res.setEncoding('utf8');
      // The retry hint comes first: once it is here, the tail is in the server's hub.
      res.once('data', () => resolve());
      res.on('data', (d: string) => parser.feed(d));
    });
  });
  return { opened, closed: over, close: () => req.destroy() };
}
