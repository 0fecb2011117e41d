import { connect } from 'node:net';
import type { TestApp } from './app.js';
import { ingest } from './jobs.js';
import { requestBytes } from './raw-http.js';
import { within } from './wait.js';

/**
 * Events of about 40 KB each (context values of 4,000 characters), so that a few hundred make
 * answers of megabytes: more than the kernel's socket buffers take on their own, so an answer
 * a client does not read stays in the server's process until the client reads it or goes.
 */
export function bulkyEvents(n: number, tag = 'bulk'): Record<string, unknown>[] {
  const value = 'v'.repeat(4000);
  return Array.from({ length: n }, (_, i) => ({
    occurred_at: new Date(Date.UTC(2026, 2, 1, 0, 0, i)).toISOString(),
    action: `${tag}.update`,
    context: Object.fromEntries(Array.from({ length: 10 }, (_, k) => [`k${k}`, value])),
  }));
}

/** Ingests `events` in batches small enough for the 8 MiB body limit. */
export const ingestBulky = (t: TestApp, token: string, events: Record<string, unknown>[]) =>
  ingest(t, token, events, 100);

/** A request whose client stopped reading after the first bytes of the answer. */
export interface PausedRequest {
  /** The status of the answer, from its first bytes. */
  status: number;
  /** Reads the rest of the answer to its end; resolves with every byte received. */
  readAll(): Promise<Buffer>;
  /** Drops the connection without reading on. */
  destroy(): void;
}

/**
 * Sends a request on a socket of its own and stops reading once the answer has begun (so the
 * server has run the handler and started sending): the rest of the answer waits in the server
 * for as long as the client does not read, as with a stalled or hostile client.
 */
export function pausedRequest(
  port: number,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: Buffer,
): Promise<PausedRequest> {
  const socket = connect(port, '127.0.0.1');
  const chunks: Buffer[] = [];
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.on('error', () => undefined);
  const started = new Promise<PausedRequest>((resolve, reject) => {
    socket.once('data', (first: Buffer) => {
      socket.pause();
      chunks.push(first);
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(first.toString('latin1'))?.[1]);
      if (!status) return reject(new Error('not an HTTP answer'));
      socket.on('data', (c: Buffer) => chunks.push(c));
      resolve({
        status,
        readAll: async () => {
          socket.resume();
          await within(closed, 30_000, 'the rest of the answer');
          return Buffer.concat(chunks);
        },
        destroy: () => socket.destroy(),
      });
    });
    socket.once('close', () => reject(new Error('closed before answering')));
  });
  socket.write(requestBytes(method, path, headers, body));
  return within(started, 30_000, `${method} ${path} to start answering`);
}
