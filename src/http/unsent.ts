import type { FastifyInstance } from 'fastify';
import type { Config } from '../config/config.js';
import { TrailkeepError } from '../core/errors.js';
import { ownersOf, releaseWhenClosed, Tally } from './tally.js';

/** Bytes free up as clients read, which nothing predicts: the client is asked to retry soon. */
const RETRY_AFTER_S = 1;

/** The bytes of an answer held whole in memory; a stream's are not (0). */
const bytesOf = (payload: unknown): number =>
  typeof payload === 'string'
    ? Buffer.byteLength(payload)
    : payload instanceof Uint8Array
      ? payload.byteLength
      : 0;

/**
 * Bounds the memory clients that do not read can make this node hold. An answer built in memory
 * (a string or a buffer) stays in the process until the socket has taken its last byte, and a
 * client that never reads never lets it go: 160 such connections took the process from 1.4 to
 * 6.3 GB (#17). Each answer's bytes count against its tenant (unauthenticated: its client
 * address) from the moment it is sent until it has been sent whole or its connection closed; an
 * answer that would take the tenant past TRAILKEEP_UNSENT_BYTES is refused with 429 in the
 * dialect's envelope. Streamed answers (exports, downloads) are not counted: they honour the
 * socket's backpressure and hold one chunk at a time. Error answers are small and always sent,
 * so the refusal itself can never be refused.
 */
export function registerUnsentBudget(app: FastifyInstance, config: Config): void {
  const unsent = new Tally();
  app.addHook('onSend', async (req, reply, payload) => {
    const amount = bytesOf(payload);
    if (amount === 0) return payload;
    const release = unsent.take([{ key: ownersOf(req).tenant, amount, max: config.TRAILKEEP_UNSENT_BYTES }]);
    if (release) releaseWhenClosed(reply, release);
    else if (reply.statusCode < 400) {
      throw new TrailkeepError(
        'rate_limited',
        'Too many answers are waiting for this tenant’s clients to read them; read those first, then retry.',
        { retry_after: RETRY_AFTER_S },
      );
    }
    return payload;
  });
}
