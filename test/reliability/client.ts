import http from 'node:http';

/**
 * A plain HTTP client for tests and benchmarks against a real server: it tells connection
 * failures from answers, and imports nothing of the test runner (the benchmark uses it too).
 */

export const ADMIN_TOKEN = 'reliability-admin-token-0123456789';
export const SECRET = 'reliability-server-secret-0123456789abcdef';

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface Reply {
  status: number;
  text: string;
}

/**
 * One HTTP request over `agent`. Resolves with any answer, whatever its status; rejects only
 * when no answer came (refused, reset, closed, or `timeoutMs` without one: a hang guard).
 */
export function send(
  agent: http.Agent,
  base: string,
  method: string,
  path: string,
  token: string | null,
  body?: string,
  timeoutMs = 60_000,
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      new URL(path, base),
      {
        method,
        agent,
        headers: {
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...(body === undefined
            ? {}
            : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }),
        },
        timeout: timeoutMs,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          text += d;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}

/** A JSON call that must answer `expect`; returns the parsed body. */
export async function api<T = Record<string, unknown>>(
  base: string,
  token: string,
  method: string,
  path: string,
  body?: unknown,
  expect = method === 'POST' ? 201 : 200,
): Promise<T> {
  const agent = new http.Agent({ keepAlive: false });
  const res = await send(
    agent,
    base,
    method,
    path,
    token,
    body === undefined ? undefined : JSON.stringify(body),
  );
  if (res.status !== expect) throw new Error(`${method} ${path}: ${res.status} ${res.text}`);
  return JSON.parse(res.text) as T;
}

/** Creates a tenant and a read-write key through the API; returns the key's secret. */
export async function tenantWithKey(base: string, tenant: string): Promise<string> {
  await api(base, ADMIN_TOKEN, 'POST', '/v1/tenants', { id: tenant, name: tenant });
  const key = await api<{ secret: string }>(base, ADMIN_TOKEN, 'POST', `/v1/tenants/${tenant}/keys`, {
    name: 'reliability',
    scopes: ['events:write', 'events:read'],
  });
  return key.secret;
}
