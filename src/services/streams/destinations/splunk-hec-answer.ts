import type { SafeNet } from '../net.js';
import { post } from './http-post.js';
import type { SendOutcome } from './types.js';

/** What HEC answers in its JSON body: `{"text":"Success","code":0}`, with `ackId` when acknowledgement is on. */
export interface HecAnswer {
  text?: string;
  code?: number;
  ackId?: number;
}

export function readHecAnswer(body: string): HecAnswer {
  try {
    const v: unknown = JSON.parse(body);
    if (typeof v !== 'object' || v === null) return {};
    const { text, code, ackId } = v as Record<string, unknown>;
    return {
      ...(typeof text === 'string' ? { text } : {}),
      ...(typeof code === 'number' ? { code } : {}),
      ...(Number.isSafeInteger(ackId) ? { ackId: ackId as number } : {}),
    };
  } catch {
    return {};
  }
}

/**
 * HEC's 400 codes that say the token or the collector is set up wrong, not that this batch is:
 * 7 incorrect index (not among the token's allowed indexes), 10 data channel missing, 11 invalid
 * data channel, 14 acknowledgement disabled, 16 query-string authorization not enabled. Every
 * batch would meet them, so the stream pauses (as for a refused token) until the settings or the
 * token are fixed, instead of the worker splitting batches into dead letters.
 */
const SETUP_CODES = new Set([7, 10, 11, 14, 16]);

/**
 * HEC's answer as an outcome. HTTP statuses already say most of it (types.ts outcomeOfStatus):
 * 401/403 (token missing, invalid or disabled; HEC disabled) refused, 400 (no data, invalid data
 * format, event field missing or blank, indexed fields) rejected, 413 (over
 * `max_content_length`) rejected so the worker splits, 500/503 (internal error, server busy,
 * queues full) retry. The body's `code` moves the set-up errors above from rejected to refused.
 */
export function hecOutcome(posted: SendOutcome, status: number | null, answer: HecAnswer): SendOutcome {
  if (status === 400 && answer.code !== undefined && SETUP_CODES.has(answer.code))
    return { kind: 'refused', error: `Splunk HEC code ${answer.code}: ${answer.text ?? 'set-up error'}` };
  return posted;
}

/** The longest a batch waits for its indexer acknowledgement before it is sent again. */
export const ACK_TIMEOUT_MS = 60_000;
const FIRST_POLL_MS = 250;
const LONGEST_POLL_MS = 5_000;

/** Waits `ms`, or less when `signal` aborts. */
const pause = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });

/** Whether an ack answer (`{"acks":{"3":true}}`) says `ackId` is indexed. */
function acknowledged(body: string, ackId: number): boolean {
  try {
    const v: unknown = JSON.parse(body);
    const acks = typeof v === 'object' && v !== null ? (v as { acks?: unknown }).acks : undefined;
    return (
      typeof acks === 'object' && acks !== null && (acks as Record<string, unknown>)[String(ackId)] === true
    );
  } catch {
    return false;
  }
}

/**
 * Polls `POST /services/collector/ack` on the batch's channel until Splunk says the batch is
 * indexed: accepted then. A refused token pauses the stream as for the batch itself; any other
 * failed poll is tried again until ACK_TIMEOUT_MS or the signal, and then the batch is a retry:
 * it is sent again whole, and as HEC de-duplicates nothing, some of its events may be indexed
 * twice (at least once, docs/streams/splunk-hec.md).
 */
export async function awaitAck(
  net: SafeNet,
  url: string,
  headers: Record<string, string>,
  ackId: number,
  signal: AbortSignal,
  clock: () => number,
): Promise<SendOutcome> {
  const deadline = AbortSignal.any([signal, AbortSignal.timeout(ACK_TIMEOUT_MS)]);
  const body = JSON.stringify({ acks: [ackId] });
  let wait = FIRST_POLL_MS;
  let last = 'no answer yet';
  while (!deadline.aborted) {
    await pause(wait, deadline);
    if (deadline.aborted) break;
    wait = Math.min(wait * 2, LONGEST_POLL_MS);
    const polled = await post(net, url, headers, body, deadline, clock);
    const outcome = hecOutcome(polled.outcome, polled.status, readHecAnswer(polled.body));
    if (outcome.kind === 'refused') return outcome;
    if (outcome.kind === 'accepted') {
      if (acknowledged(polled.body, ackId)) return outcome;
      last = `ackId ${ackId} not yet indexed`;
    } else last = outcome.error;
  }
  const why = signal.aborted ? 'the attempt was stopped' : `not within ${ACK_TIMEOUT_MS / 1000} s`;
  return { kind: 'retry', error: `Splunk HEC did not acknowledge the batch (${why}; last: ${last})` };
}
