import { request } from 'undici';
import type { SafeNet } from '../net.js';
import { outcomeOfStatus, type SendOutcome } from './types.js';

/** The longest an HTTP attempt may take before it counts as failed (and is tried again). */
export const HTTP_TIMEOUT_MS = 30_000;

/** The delay a `Retry-After` value asks for (seconds, or an HTTP date), in ms; undefined when absent or unreadable. */
export function retryAfterMs(value: string | string[] | undefined, now: number): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (!text) return undefined;
  if (/^\d+$/.test(text.trim())) return Number(text.trim()) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** A short description of a response for a stream's `last_error`: its status and the start of its body. */
const describe = (status: number, body: string) =>
  `HTTP ${status}${body ? `: ${body.replace(/\s+/g, ' ').trim().slice(0, 300)}` : ''}`;

export interface Posted {
  outcome: SendOutcome;
  status: number | null;
  /** The response body (at most 64 KiB of it), for destinations that read their answer. */
  body: string;
}

/**
 * POSTs one batch through the safe network layer (net.ts) and classifies the answer
 * (types.ts outcomeOfStatus). A network failure or a timeout is a retry.
 */
export async function post(
  net: SafeNet,
  url: string,
  headers: Record<string, string>,
  body: string | Uint8Array,
  signal: AbortSignal,
  clock: () => number = Date.now,
): Promise<Posted> {
  try {
    const res = await request(url, {
      method: 'POST',
      headers,
      body,
      dispatcher: net.dispatcher,
      signal: AbortSignal.any([signal, AbortSignal.timeout(HTTP_TIMEOUT_MS)]),
      headersTimeout: HTTP_TIMEOUT_MS,
      bodyTimeout: HTTP_TIMEOUT_MS,
    });
    let text = '';
    for await (const chunk of res.body) {
      if (text.length < 65_536) text += chunk.toString();
    }
    return {
      outcome: outcomeOfStatus(
        res.statusCode,
        describe(res.statusCode, text),
        retryAfterMs(res.headers['retry-after'], clock()),
      ),
      status: res.statusCode,
      body: text,
    };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    return { outcome: { kind: 'retry', error: `${new URL(url).host}: ${message}` }, status: null, body: '' };
  }
}
