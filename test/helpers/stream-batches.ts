import assert from 'node:assert/strict';
import { TrailkeepError } from '../../src/core/errors.js';
import { canonicalJson, sha256Hex } from '../../src/core/event/seal.js';
import { native } from '../../src/core/streams/formats/native.js';
import type { StoredEvent } from '../../src/core/streams/formats/types.js';
import type { OutBatch, OutRecord } from '../../src/services/streams/destinations/types.js';

/**
 * A stored event as GET /v1/events/{id} returns it: what was ingested (realistic members, with
 * quotes and non-ASCII text, unless `extra` says otherwise), the server's members, and its real hash.
 */
export function storedEvent(seq: number, extra: Record<string, unknown> = {}, tenant = 'acme'): StoredEvent {
  const event: Record<string, unknown> = {
    id: `evt-${seq}`,
    occurred_at: new Date(Date.UTC(2025, 2, 14, 9, 26, 53, 589) + seq * 1_001).toISOString(),
    action: seq % 2 ? 'user.role.update' : 'user.login',
    category: seq % 2 ? 'admin' : 'auth',
    outcome: 'success',
    level: 'user',
    service: 'directory',
    actor: { id: 'u-42', type: 'user', name: 'Ada Lovelace', email: 'ada@example.com' },
    source: { ip: ['203.0.113.7'], user_agent: 'Mozilla/5.0 "quoted"' },
    target: { type: 'user', id: 'u-7', name: 'Grace Hopper' },
    changes: [{ field: 'role', old: ['Agent'], new: ['Admin'] }],
    description: 'Role changed from Agent to Admin — ✓',
    ...extra,
    tenant,
    seq,
    received_at: new Date(Date.UTC(2025, 2, 14, 9, 27, 0, 0) + seq * 1_000).toISOString(),
  };
  return { ...(event as { tenant: string; seq: number }), hash: sha256Hex(canonicalJson(event)) };
}

export function outRecord(event: StoredEvent): OutRecord {
  const record = native.render(event, []);
  return { seq: event.seq, occurredAt: String(event.occurred_at), record, json: JSON.stringify(record) };
}

/** A C2SP signed note of the shape the tenant's log signs (origin, size, root hash, signature). */
export const CHECKPOINT =
  'trailkeep.example/acme\n2\nq1Hf7UZ3oYxjDbO3dQf1dJm2Q1v1cR8o9wVxYb3t5qE=\n\n— trailkeep.example/acme Az3lEm2k4ZQ0V2Fq8m0cYQd2t8K3lG0vXb0Yx7k9fQ2sJw==\n';

/** A native-format batch of `events` as the worker forms it (with CHECKPOINT unless `over` says otherwise). */
export function nativeBatch(events: StoredEvent[], over: Partial<Omit<OutBatch, 'records'>> = {}): OutBatch {
  const seqs = events.map((e) => e.seq);
  const tenant = events[0]?.tenant ?? 'acme';
  return {
    id: `${tenant}.str_1.${Math.min(...seqs)}-${Math.max(...seqs)}`,
    tenant,
    stream: 'str_1',
    streamName: 'siem',
    format: 'native',
    fromSeq: Math.min(...seqs),
    toSeq: Math.max(...seqs),
    checkpoint: CHECKPOINT,
    createdAt: Date.UTC(2025, 2, 14, 9, 30, 0, 250),
    ...over,
    records: events.map(outRecord),
  };
}

/** Asserts that `fn` (a destination's validate) refuses with a 400 whose message starts with `setting`. */
export const refusedSetting = (fn: () => void, setting: string) =>
  assert.throws(
    fn,
    (e: unknown) =>
      e instanceof TrailkeepError && e.code === 'invalid_request' && e.message.startsWith(setting),
  );
