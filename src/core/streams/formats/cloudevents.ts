import { native } from './native.js';
import type { ProofFields, StoredEvent, StreamFormat } from './types.js';

/** The `type` prefix; the event's action follows it verbatim (`com.trailkeep.audit.user.login`). */
export const CLOUDEVENTS_TYPE_PREFIX = 'com.trailkeep.audit.';

/** Digits of the `sequence` attribute: every safe integer fits, and text order is seq order. */
const SEQUENCE_DIGITS = 20;
const SEQUENCE = /^\d{20}$/;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

/** `type/id` of the event's target, or its id alone; none without an id. */
function subjectOf(target: unknown): string | undefined {
  if (!isObj(target) || typeof target.id !== 'string') return undefined;
  return typeof target.type === 'string' ? `${target.type}/${target.id}` : target.id;
}

/**
 * CloudEvents 1.0, structured JSON mode (docs/streams/formats.md#cloudevents). `id` is
 * `<tenant>:<seq>`: unique across tenants and the same on every delivery and replay, whatever
 * the client named the event; `source` names the tenant's log. The proof fields are extension
 * attributes (`trailkeeptenant`, `trailkeephash`, and the Sequence extension's `sequence`), and
 * `data` is the native record, so its hash recomputes from `data` alone.
 */
function render(event: StoredEvent, redacted: readonly string[]): Obj {
  const subject = subjectOf(event.target);
  return {
    specversion: '1.0',
    id: `${event.tenant}:${event.seq}`,
    source: `/trailkeep/tenants/${event.tenant}`,
    type: `${CLOUDEVENTS_TYPE_PREFIX}${event.action as string}`,
    time: event.occurred_at,
    ...(subject === undefined ? {} : { subject }),
    datacontenttype: 'application/json',
    sequence: String(event.seq).padStart(SEQUENCE_DIGITS, '0'),
    trailkeeptenant: event.tenant,
    trailkeephash: event.hash,
    data: native.render(event, redacted),
  };
}

function proof(record: Obj): ProofFields | null {
  const { specversion, trailkeeptenant: tenant, sequence, trailkeephash: hash } = record;
  if (specversion !== '1.0' || typeof tenant !== 'string' || typeof hash !== 'string') return null;
  if (typeof sequence !== 'string' || !SEQUENCE.test(sequence)) return null;
  const seq = Number(sequence);
  return Number.isSafeInteger(seq) ? { tenant, seq, hash } : null;
}

function original(record: Obj): Obj | null {
  return proof(record) && isObj(record.data) ? native.original(record.data) : null;
}

/** The carried event (`data`) says so, as a native record does. */
const redacted = (record: Obj): boolean => isObj(record.data) && native.redacted(record.data);

export const cloudevents: StreamFormat = { name: 'cloudevents', render, proof, original, redacted };
