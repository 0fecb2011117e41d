/** One HTTP/1.1 request on a keep-alive agent, the whole body read (as bytes and as text): the drivers' client. */
import http from 'node:http';

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** The body's bytes (binary answers: the log's tiles and entry bundles). */
  body: Buffer;
  /** The body as UTF-8. */
  text: string;
}

export interface Call {
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  body?: string;
  timeoutMs: number;
}

export function request(agent: http.Agent, url: URL, call: Call): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { ...call.headers };
    if (call.body !== undefined) headers['content-length'] = Buffer.byteLength(call.body);
    const req = http.request(url, { method: call.method, agent, headers, timeout: call.timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text: body.toString('utf8') });
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no response within ${call.timeoutMs} ms`)));
    req.on('error', reject);
    req.end(call.body);
  });
}
