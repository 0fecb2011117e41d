import { connect } from 'node:net';
import { within } from './wait.js';

/** A response read off a socket: status, lower-cased headers, body (de-chunked, as UTF-8). */
export interface RawResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * Bytes of an HTTP/1.1 request, exactly as given: header values may carry any byte, and the body
 * any bytes (invalid UTF-8, duplicate keys …), which no HTTP client library would send.
 * `Connection: close` is added so the server ends the exchange.
 */
export function requestBytes(
  method: string,
  path: string,
  headers: Record<string, string | Buffer>,
  body?: Buffer,
): Buffer {
  const lines: Buffer[] = [Buffer.from(`${method} ${path} HTTP/1.1\r\n`, 'latin1')];
  const all: Record<string, string | Buffer> = { host: '127.0.0.1', connection: 'close', ...headers };
  if (body && !Object.keys(all).some((k) => k.toLowerCase() === 'content-length')) {
    all['content-length'] = String(body.length);
  }
  for (const [k, v] of Object.entries(all)) {
    lines.push(
      Buffer.from(`${k}: `, 'latin1'),
      Buffer.isBuffer(v) ? v : Buffer.from(v, 'latin1'),
      Buffer.from('\r\n'),
    );
  }
  lines.push(Buffer.from('\r\n'));
  if (body) lines.push(body);
  return Buffer.concat(lines);
}

/** The data of a chunked body (`Transfer-Encoding: chunked`), its chunks joined. */
export function dechunk(data: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const eol = data.indexOf('\r\n', at);
    if (eol < 0) break;
    const size = Number.parseInt(data.subarray(at, eol).toString('latin1'), 16);
    if (!Number.isFinite(size) || size === 0) break;
    parts.push(data.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
  return Buffer.concat(parts);
}

/** Sends raw request bytes to 127.0.0.1:`port` and reads the whole response (the server closes). */
export function rawRequest(port: number, bytes: Buffer, timeoutMs = 20_000): Promise<RawResponse> {
  const exchange = new Promise<RawResponse>((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect(port, '127.0.0.1');
    socket.on('data', (c) => chunks.push(c));
    // The server may answer (413, 401) and close before it has read the whole body.
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE' && err.code !== 'ECONNRESET') reject(err);
    });
    socket.on('close', () => {
      const data = Buffer.concat(chunks);
      const end = data.indexOf('\r\n\r\n');
      if (end < 0) return reject(new Error(`no HTTP response (${data.length} bytes)`));
      const [status = '', ...lines] = data.subarray(0, end).toString('latin1').split('\r\n');
      const headers: Record<string, string> = {};
      for (const line of lines) {
        const colon = line.indexOf(':');
        const name = line.slice(0, colon).trim().toLowerCase();
        const value = line.slice(colon + 1).trim();
        headers[name] = name in headers ? `${headers[name]}, ${value}` : value;
      }
      let body: Buffer = data.subarray(end + 4);
      if (/chunked/i.test(headers['transfer-encoding'] ?? '')) body = dechunk(body);
      else if (headers['content-length'] !== undefined)
        body = body.subarray(0, Number(headers['content-length']));
      resolve({ statusCode: Number(status.split(' ')[1]), headers, body: body.toString('utf8') });
    });
    // No half-close: Node's server ends a half-closed connection before a slow handler answers.
    socket.write(bytes);
  });
  return within(exchange, timeoutMs, 'raw HTTP exchange');
}
