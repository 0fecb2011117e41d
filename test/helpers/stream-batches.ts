import { canonicalJson, sha256Hex } from '../../src/core/event/seal.js';
import { native } from '../../src/core/streams/formats/native.js';
import type { StoredEvent } from '../../src/core/streams/formats/types.js';
import type { OutBatch } from '../../src/services/streams/destinations/types.js';

/** A stored event as the store returns it: the client's members, the server's, and its real hash. */
export function storedEvent(tenant: string, seq: number, fields: Record<string, unknown>): StoredEvent {
  const event = {
    id: `evt-${seq}`,
    occurred_at: '2025-03-04T05:06:07.089Z',
    action: 'user.update',
    category: 'admin',
    outcome: 'success',
    level: 'user',
    automatic: false,
    ...fields,
    tenant,
    seq,
    received_at: '2025-03-04T05:06:08.000Z',
  };
  return { ...event, hash: sha256Hex(canonicalJson(event)) };
}

/** A batch of `events` in the native format, as the stream worker forms it. */
export function nativeBatch(
  events: StoredEvent[],
  over: Partial<Omit<OutBatch, 'records'>> & { stream?: string } = {},
): OutBatch {
  const first = events[0];
  const last = events.at(-1);
  if (!first || !last) throw new Error('a batch needs an event');
  return {
    id: 'dlv_0001',
    tenant: first.tenant,
    stream: 'str_0001',
    streamName: 'siem',
    format: 'native',
    fromSeq: first.seq,
    toSeq: last.seq,
    checkpoint: null,
    createdAt: Date.parse('2025-03-04T05:06:09.000Z'),
    ...over,
    records: events.map((e) => {
      const record = native.render(e, []);
      return { seq: e.seq, occurredAt: String(e.occurred_at), record, json: JSON.stringify(record) };
    }),
  };
}
