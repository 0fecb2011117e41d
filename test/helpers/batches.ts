import { createHash } from 'node:crypto';
import { contentHash } from '../../src/core/event/seal.js';
import { checkpointText, originOf } from '../../src/core/log/checkpoint.js';
import { type Signer, signNote } from '../../src/core/log/note.js';
import { FORMATS } from '../../src/core/streams/formats/index.js';
import type { StoredEvent } from '../../src/core/streams/formats/types.js';
import type { StreamFormatName } from '../../src/core/streams/stream.js';
import { MANIFEST_KIND, WEBHOOK_BODY_TYPE } from '../../src/core/streams/verify-batches.js';

/** Sealed events `from`..`to` of `tenant`, as GET /v1/events returns them (real hashes). */
export function storedEvents(tenant: string, from: number, to: number): StoredEvent[] {
  const out: StoredEvent[] = [];
  for (let seq = from; seq <= to; seq++) {
    const e = {
      id: `e-${seq}`,
      tenant,
      seq,
      received_at: new Date(Date.UTC(2026, 2, 1) + seq * 1000 + 5).toISOString(),
      occurred_at: new Date(Date.UTC(2026, 2, 1) + seq * 1000).toISOString(),
      action: seq % 3 ? 'document.update' : 'user.login',
      category: seq % 3 ? 'data' : 'auth',
      outcome: 'success',
      level: 'user',
      automatic: false,
      actor: { id: `u-${seq % 7}`, email: `user${seq % 7}@example.com` },
    };
    out.push({ ...e, hash: contentHash(e) });
  }
  return out;
}

/** A checkpoint of `tenant`'s log at `size`, signed by `signer` (its root made up: the verifier checks signatures and sizes). */
export function signedCheckpoint(signer: Signer, tenant: string, size: number): string {
  const root = createHash('sha256').update(`${tenant}/${size}`).digest();
  return signNote(checkpointText({ origin: originOf(signer.name, tenant), size, root }), signer);
}

/** A webhook body as the webhook destination sends it, records in `format`. */
export function webhookBody(
  events: StoredEvent[],
  range: { tenant: string; from: number; to: number },
  checkpoint: string | null,
  format: StreamFormatName = 'native',
): Record<string, unknown> {
  return {
    type: WEBHOOK_BODY_TYPE,
    timestamp: '2026-03-01T12:00:00.000Z',
    data: {
      tenant: range.tenant,
      stream: 'st-1',
      from_seq: range.from,
      to_seq: range.to,
      checkpoint,
      events: events.map((e) => FORMATS[format].render(e, [])),
    },
  };
}

/** The NDJSON of a batch object: one record a line. */
export const ndjsonOf = (events: StoredEvent[], format: StreamFormatName = 'native'): string =>
  events.map((e) => `${JSON.stringify(FORMATS[format].render(e, []))}\n`).join('');

/** The manifest the S3 destination writes beside a batch object. */
export function manifestOf(
  key: string,
  body: string,
  range: { tenant: string; from: number; to: number; events: number },
  checkpoint: string | null,
): Record<string, unknown> {
  return {
    kind: MANIFEST_KIND,
    tenant: range.tenant,
    stream: 'st-1',
    from_seq: range.from,
    to_seq: range.to,
    events: range.events,
    checkpoint,
    sha256: createHash('sha256').update(body).digest('hex'),
    key,
  };
}
