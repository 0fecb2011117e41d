/**
 * Test code calling Trailkeep's API: the operator credentials every test server is given, the
 * one fetch wrapper, and the calls built on any transport (a real server over HTTP, or a test
 * app through inject). Imports nothing of the test runner (the benchmark uses it too).
 */

/** The admin token of every server a test starts (TRAILKEEP_ADMIN_TOKEN). */
export const ADMIN_TOKEN = 'test-admin-token-0123456789';
/** The server secret of the tests that run several servers or restart one (TRAILKEEP_SECRET). */
export const SECRET = 'test-server-secret-0123456789abcdef0123';

/**
 * A bearer-authenticated request to a real server with Node's fetch, `body` sent as JSON;
 * resolves with any answer, bounded by `timeoutMs`.
 */
export function call(
  base: string,
  token: string | null,
  method: string,
  path: string,
  body?: unknown,
  timeoutMs = 60_000,
): Promise<Response> {
  return fetch(`${base}${path}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(timeoutMs),
  });
}

/** One request by some transport, with a bearer token (or none): its status and body text. */
export type Requester = (
  token: string | null,
  method: string,
  path: string,
  body?: unknown,
) => Promise<{ status: number; text: string }>;

/** Requests over HTTP to the server at `base`. */
export const overHttp =
  (base: string): Requester =>
  async (token, method, path, body) => {
    const res = await call(base, token, method, path, body);
    return { status: res.status, text: await res.text() };
  };

/** A JSON call that must answer `expect` (201 for a POST, else 200); returns the parsed body. */
export async function api<T = Record<string, unknown>>(
  to: string | Requester,
  token: string | null,
  method: string,
  path: string,
  body?: unknown,
  expect = method === 'POST' ? 201 : 200,
): Promise<T> {
  const request = typeof to === 'string' ? overHttp(to) : to;
  const res = await request(token, method, path, body);
  if (res.status !== expect) throw new Error(`${method} ${path}: ${res.status} ${res.text}`);
  return JSON.parse(res.text) as T;
}

/** Creates a key of `tenant` with `scopes`; returns its secret. */
export async function createKey(to: string | Requester, tenant: string, scopes: string[]): Promise<string> {
  const made = await api<{ secret: string }>(to, ADMIN_TOKEN, 'POST', `/v1/tenants/${tenant}/keys`, {
    name: `key for ${tenant}`,
    scopes,
  });
  return made.secret;
}

/** Creates a tenant and a key with `scopes` (read and write by default); returns the key's secret. */
export async function tenantWithKey(
  to: string | Requester,
  tenant: string,
  scopes = ['events:write', 'events:read'],
): Promise<string> {
  await api(to, ADMIN_TOKEN, 'POST', '/v1/tenants', { id: tenant });
  return createKey(to, tenant, scopes);
}
