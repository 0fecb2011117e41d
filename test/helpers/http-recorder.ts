import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

/** One request as it arrived: what a destination (or a vendor's client) put on the wire. */
export interface Recorded {
  method: string;
  /** The path with its query. */
  path: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface Answer {
  status: number;
  headers?: Record<string, string>;
  body?: string;
}

/** The body as text, gunzipped when the request said it was gzip. */
export const textOf = (r: Recorded): string =>
  (r.headers['content-encoding'] === 'gzip' ? gunzipSync(r.body) : r.body).toString('utf8');

/**
 * A receiver on 127.0.0.1 standing in for a SIEM's intake: it records every request and answers
 * what `answer` says (by default 200 and an empty JSON object), so a test sees the exact bytes a
 * destination and the vendor's own client send, and chooses the answer.
 */
export class HttpRecorder {
  readonly requests: Recorded[] = [];
  answer: (r: Recorded, n: number) => Answer = () => ({ status: 200, body: '{}' });
  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(): Promise<HttpRecorder> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const recorder = new HttpRecorder(server, `http://127.0.0.1:${port}`);
    server.on('request', (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const r: Recorded = {
          method: req.method ?? '',
          path: req.url ?? '',
          headers: req.headers,
          body: Buffer.concat(chunks),
        };
        recorder.requests.push(r);
        const a = recorder.answer(r, recorder.requests.length);
        res.writeHead(a.status, { 'content-type': 'application/json', ...a.headers });
        res.end(a.body ?? '');
      });
    });
    return recorder;
  }

  /** Forgets what was recorded and answers 200 again. */
  reset(): void {
    this.requests.length = 0;
    this.answer = () => ({ status: 200, body: '{}' });
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
