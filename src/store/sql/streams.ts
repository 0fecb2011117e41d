import type { Delivery, StreamRecord } from '../../core/streams/stream.js';

/**
 * What both engines share of streams: the columns and how a row becomes a record. JSON members
 * are kept as text in both (they are read whole, never queried into).
 */
export const STREAM_COLS =
  'tenant, id, name, destination, secrets, format, filters, batch, pii, state, cursor, replay, created_at, updated_at, last_error, last_error_at, last_delivered_at, next_attempt_at, lease_owner, lease_until';

export const DELIVERY_COLS =
  'tenant, stream, id, from_seq, to_seq, events, state, replay, attempts, created_at, updated_at, error';

const JSON_MEMBERS = ['destination', 'filters', 'batch', 'pii', 'replay'] as const;
type JsonMember = (typeof JSON_MEMBERS)[number];

export type StreamRow = Omit<StreamRecord, JsonMember> & Record<JsonMember, string | null>;

export function toStream(row: StreamRow): StreamRecord {
  const out = { ...row } as Record<string, unknown>;
  for (const k of JSON_MEMBERS) out[k] = row[k] === null ? null : JSON.parse(row[k] as string);
  return out as unknown as StreamRecord;
}

/** A record's (or a change's) members as column values: JSON members as text. */
export function toColumns<T extends Partial<StreamRecord>>(record: T): Record<string, unknown> {
  const out: Record<string, unknown> = { ...record };
  for (const k of JSON_MEMBERS)
    if (k in record) out[k] = record[k] === null ? null : JSON.stringify(record[k]);
  return out;
}

/** The columns PATCH-like changes may set, in a fixed order (so statements are a bounded set). */
export const CHANGEABLE = [
  'name',
  'destination',
  'secrets',
  'format',
  'filters',
  'batch',
  'pii',
  'state',
  'replay',
  'last_error',
  'last_error_at',
  'next_attempt_at',
] as const;

export type DeliveryRow = Delivery;

/** Where a `failed` listing looks: dead letters, and pending deliveries whose last attempt failed. */
export const FAILED = "(state = 'dead' OR (state = 'pending' AND error IS NOT NULL))";

/** `@name` placeholders to PostgreSQL's `$n`, so one statement reads the same in both engines' files. */
export function positional(
  sql: string,
  params: Record<string, unknown>,
): { text: string; values: unknown[] } {
  const names: string[] = [];
  const text = sql.replace(/@([a-z_]+)/g, (_, name: string) => {
    let i = names.indexOf(name);
    if (i < 0) i = names.push(name) - 1;
    return `$${i + 1}`;
  });
  return { text, values: names.map((n) => params[n] ?? null) };
}
