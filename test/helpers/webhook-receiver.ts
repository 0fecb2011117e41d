import { createServer as createHttp, type IncomingMessage, type Server } from 'node:http';
import { createServer as createHttps } from 'node:https';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

/** A Standard Webhooks secret for tests: `whsec_` and base64 of 32 bytes. */
export const WEBHOOK_SECRET = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;

/** One request the receiver took, as it arrived. */
export interface Received {
  id: string;
  /** Whether the `standardwebhooks` package verified its signature. */
  valid: boolean;
  status: number;
  body: {
    type: string;
    timestamp: string;
    data: {
      tenant: string;
      stream: string;
      from_seq: number;
      to_seq: number;
      checkpoint: string | null;
      events: Record<string, unknown>[];
    };
  };
}

/** What the receiver answers a request: a status and headers; 200 when it says nothing. */
export type Answer = (
  req: IncomingMessage,
  body: Received['body'],
  attempt: number,
) => { status: number; headers?: Record<string, string> } | undefined;

/**
 * A webhook receiver on loopback that verifies every request with the Standard Webhooks
 * package (not our signer) and keeps what it took; `answer` decides each response.
 */
export class WebhookReceiver {
  readonly received: Received[] = [];
  answer: Answer = () => undefined;
  private readonly attempts = new Map<string, number>();
  private server!: Server;
  url = '';

  /** Starts on 127.0.0.1; with `tls` (key and cert PEM), over HTTPS. */
  async start(tls?: { key: string; cert: string }, port = 0): Promise<this> {
    const verifier = new Webhook(WEBHOOK_SECRET);
    const handle = (req: IncomingMessage, res: import('node:http').ServerResponse) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const id = String(req.headers['webhook-id'] ?? '');
        let valid = true;
        try {
          verifier.verify(text, req.headers as Record<string, string>);
        } catch {
          valid = false;
        }
        const body = JSON.parse(text) as Received['body'];
        const attempt = (this.attempts.get(id) ?? 0) + 1;
        this.attempts.set(id, attempt);
        const answer = this.answer(req, body, attempt) ?? { status: 200 };
        this.received.push({ id, valid, status: answer.status, body });
        res.writeHead(answer.status, answer.headers ?? {});
        res.end();
      });
    };
    this.server = tls ? createHttps(tls, handle) : createHttp(handle);
    await new Promise<void>((resolve) => this.server.listen(port, '127.0.0.1', resolve));
    const { port: bound } = this.server.address() as AddressInfo;
    this.url = `${tls ? 'https' : 'http'}://127.0.0.1:${bound}/hook`;
    return this;
  }

  /** The requests answered 2xx. */
  accepted(): Received[] {
    return this.received.filter((r) => r.status >= 200 && r.status < 300);
  }

  /** The seqs of the events taken (2xx), de-duplicated by delivery id, in arrival order. */
  seqs(): number[] {
    const seen = new Set<string>();
    const out: number[] = [];
    for (const r of this.accepted()) {
      if (seen.has(r.id)) continue;
      seen.add(r.id);
      out.push(...r.body.data.events.map((e) => e.seq as number));
    }
    return out;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
