import assert from 'node:assert/strict';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { assertEnvelope, dialectOf, type WireResponse } from './envelopes.js';

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
  async function send(
    auth: string | null,
    method: string,
    url: string,
    payload?: unknown,
    headers: Record<string, string> = {},
  ) {
    const res = await app.inject({
      method: method as 'GET',
      url,
      headers: { ...(auth ? { authorization: auth } : {}), ...headers },
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
    headers: Record<string, string> = {},
  ) {
    const res = await send(auth, method, url, payload, headers);
    assert.ok(
      statuses.includes(res.statusCode),
      `${method} ${url.slice(0, 200)}: ${res.statusCode}, not ${statuses.join('/')}: ${res.body.slice(0, 200)}`,
    );
    return res;
  }
  return { send, expect };
}
