import http from 'node:http';

export { ADMIN_TOKEN, api, SECRET, tenantWithKey } from '../helpers/api.js';
export { sleep } from '../helpers/wait.js';

/**
 * A plain HTTP client for tests and benchmarks against a real server under load: it tells
 * connection failures from answers, over the agent the caller chooses, and imports nothing of
 * the test runner (the benchmark uses it too). Plain calls use test/helpers/api.ts.
 */

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
