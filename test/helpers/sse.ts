import http, { type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { until, within } from './wait.js';

/**
 * A live-tail client over a real socket: Node's http client, a connection of its own per stream
 * (closed with it), the body fed to a real SSE parser (eventsource-parser), as a non-browser
 * program would consume GET /v1/events/stream. Imports nothing of the test runner (the
 * benchmark uses it too).
 */
export interface SseClient {
  status: number;
  headers: IncomingHttpHeaders;
  /** The body, for an answer that is not a stream (an error envelope). */
  text: string;
  /** Messages received so far, in order. */
  events: EventSourceMessage[];
  comments: string[];
  /** The `retry:` hint, once received. */
  retry: number | undefined;
  /** When each message arrived (performance.now()), in order. */
  arrivals: number[];
  /** Resolves when the stream is over: ended by the server, or dropped. */
  ended: Promise<void>;
  /** Whether the server ended the stream (rather than the client dropping it). */
  endedByServer(): boolean;
  /** The messages once there are at least `n`, bounded by `ms`. */
  waitFor(n: number, ms?: number): Promise<EventSourceMessage[]>;
  /** Drops the connection. */
  close(): void;
}

/** Opens `path` on `base` with a bearer token (or none) and extra headers; resolves once the answer has begun. */
export async function openStream(
  base: string,
  token: string | null,
  path = '/v1/events/stream',
  headers: Record<string, string> = {},
): Promise<SseClient> {
  const req = http.get(new URL(path, base), {
    agent: false,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
  });
  const res = await within(
    new Promise<IncomingMessage>((resolve, reject) => {
      req.once('response', resolve);
      req.once('error', reject);
    }),
    30_000,
    `GET ${path} to answer`,
  );
  let serverEnded = false;
  res.once('end', () => {
    serverEnded = true;
  });
  const ended = new Promise<void>((resolve) => res.once('close', () => resolve()));
  const client: SseClient = {
    status: res.statusCode ?? 0,
    headers: res.headers,
    text: '',
    events: [],
    comments: [],
    retry: undefined,
    arrivals: [],
    ended,
    endedByServer: () => serverEnded,
    waitFor: (n, ms = 10_000) =>
      until(() => (client.events.length >= n ? client.events : null), ms, {
        what: `${n} events (got ${client.events.length})`,
        everyMs: 5,
      }),
    close: () => req.destroy(),
  };
  res.setEncoding('utf8');
  res.on('error', () => undefined);
  if (!(res.headers['content-type'] ?? '').startsWith('text/event-stream')) {
    res.on('data', (d: string) => {
      client.text += d;
    });
    await ended;
    return client;
  }
  const parser = createParser({
    onEvent: (e) => {
      client.events.push(e);
      client.arrivals.push(performance.now());
    },
    onComment: (c) => client.comments.push(c),
    onRetry: (ms) => {
      client.retry = ms;
    },
  });
  res.on('data', (d: string) => parser.feed(d));
  return client;
}

/** An event's data, parsed. */
export const dataOf = <T = { seq: number; tenant: string }>(e: EventSourceMessage): T =>
  JSON.parse(e.data) as T;

/** The ids of the messages, as numbers (seqs). */
export const idsOf = (events: EventSourceMessage[]): number[] => events.map((e) => Number(e.id));
