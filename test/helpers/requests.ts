import assert from 'node:assert/strict';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { assertEnvelope, dialectOf, type WireResponse } from './envelopes.js';
import { within } from './wait.js';

/**
 * What must hold of every answer, whatever was asked: no 5xx, an error in the envelope of the
 * dialect that owns the path, nothing containing `hidden` (another tenant's data), no
 * Set-Cookie, and no CR or LF smuggled into a header.
 */
export function assertSafe(method: string, url: string, res: WireResponse, hidden: string): void {
  const what = `${method} ${url.slice(0, 300)}`;
  assert.ok(res.statusCode < 500, `${what}: ${res.statusCode} ${res.body.slice(0, 300)}`);
  if (res.statusCode >= 400 && method !== 'HEAD') assertEnvelope(dialectOf(method, url), res, what);
  assert.ok(!res.body.includes(hidden), `${what}: another tenant's data in the response`);
  assert.equal(res.headers['set-cookie'], undefined, `${what}: a Set-Cookie header`);
  for (const [name, value] of Object.entries(res.headers)) {
    assert.ok(!String(value).includes(hidden), `${what}: another tenant's data in header ${name}`);
    assert.ok(!/[\r\n]/.test(String(value)), `${what}: header ${name} carries CR/LF`);
  }
}

/**
 * Injects requests with an `Authorization` header (or none), each answer checked by assertSafe
 * and by `extra`; `expect` also checks the status is one of those given.
 */
export function checkedClient(
  app: FastifyInstance,
  hidden: string,
  extra: (res: LightMyRequestResponse, what: string) => void = () => {},
) {
  async function send(auth: string | null, method: string, url: string, payload?: unknown) {
    const res = await app.inject({
      method: method as 'GET',
      url,
      headers: auth ? { authorization: auth } : {},
      ...(payload !== undefined ? { payload: payload as object } : {}),
    });
    assertSafe(method, url, res, hidden);
    extra(res, `${method} ${url}`);
    return res;
  }
  async function expect(
    statuses: number[],
    auth: string | null,
    method: string,
    url: string,
    payload?: unknown,
  ) {
    const res = await send(auth, method, url, payload);
    assert.ok(
      statuses.includes(res.statusCode),
      `${method} ${url.slice(0, 200)}: ${res.statusCode}, not ${statuses.join('/')}: ${res.body.slice(0, 200)}`,
    );
    return res;
  }
  return { send, expect };
}

/** An answer as a check reads it: status, headers, body, and the body's bytes and JSON. */
export interface Answer extends WireResponse {
  rawPayload: Buffer;
  json<T = unknown>(): T;
}

/** What is read of an endless answer before the client goes. */
const OPENING_MS = 10_000;

/**
 * `app.inject` for any route, the live tail's endless event stream included: that answer is cut
 * after its first bytes (its status, headers and opening are what a check needs, and its end
 * never comes), and the client goes, as a real one would. Any other answer is read whole.
 */
export async function injectOpening(app: FastifyInstance, opts: InjectOptions): Promise<Answer> {
  const res = await app.inject({ ...opts, payloadAsStream: true });
  const stream = res.stream();
  const chunks: Buffer[] = [];
  if (String(res.headers['content-type'] ?? '').startsWith('text/event-stream')) {
    const first = new Promise<Buffer>((resolve) => stream.once('data', resolve));
    chunks.push(await within(first, OPENING_MS, `the first bytes of ${opts.method} ${opts.url}`));
    res.raw.res.destroy();
  } else {
    for await (const chunk of stream) chunks.push(chunk as Buffer);
  }
  const rawPayload = Buffer.concat(chunks);
  const body = rawPayload.toString('utf8');
  return {
    statusCode: res.statusCode,
    headers: res.headers,
    body,
    rawPayload,
    json: <T>() => JSON.parse(body) as T,
  };
}
