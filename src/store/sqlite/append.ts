import { TrailkeepError } from '../../core/errors.js';
import { type AppendResult, planAppend } from '../../core/event/idempotency.js';
import { INDEX_COLUMNS, type PreparedEvent } from '../../core/event/prepare.js';
import { sealEvent, withHash } from '../../core/event/seal.js';
import type { Db } from './db.js';
import { textIndexer } from './text.js';

const COLUMNS = [
  'tenant',
  'seq',
  'id',
  'occurred_at',
  'received_at',
  ...INDEX_COLUMNS,
  'digest',
  'hash',
  'body',
];

/** Appends one tenant's batch; the caller runs it inside a write transaction. */
export type Appender = (tenant: string, events: PreparedEvent[], receivedAt: number) => AppendResult[];

/**
 * The SQLite append, on prepared statements: the idempotency plan, a gapless seq range taken
 * from the tenant's row, sealing, and the event with its IPs and search text.
 */
export function appender(db: Db): Appender {
  const byId = db.prepare<[string, string], { seq: number; hash: string; digest: string }>(
    'SELECT seq, hash, digest FROM events WHERE tenant = ? AND id = ?',
  );
  const exists = db.prepare<[string], { last_seq: number }>('SELECT last_seq FROM tenants WHERE id = ?');
  const bump = db.prepare<[number, string], { last_seq: number }>(
    'UPDATE tenants SET last_seq = last_seq + ? WHERE id = ? RETURNING last_seq',
  );
  const insert = db.prepare(
    `INSERT INTO events (${COLUMNS.join(', ')}, text_key) VALUES (${COLUMNS.map(() => '?').join(', ')}, ?)`,
  );
  const insertIp = db.prepare('INSERT OR IGNORE INTO event_ips (tenant, ip, seq) VALUES (?, ?, ?)');
  const indexText = textIndexer(db);

  return (tenant, events, receivedAt) => {
    if (!exists.get(tenant)) throw new TrailkeepError('not_found', `Tenant ${tenant} does not exist.`);
    const { fresh, results, complete } = planAppend(events, (id) => byId.get(tenant, id));
    if (fresh.length) {
      let seq = (bump.get(fresh.length, tenant) as { last_seq: number }).last_seq - fresh.length;
      const receivedIso = new Date(receivedAt).toISOString();
      for (const i of fresh) {
        const e = events[i] as PreparedEvent;
        seq += 1;
        const { body, hash } = sealEvent(e.template, tenant, seq, receivedIso);
        const x = e.index;
        const textKey = x.text ? indexText(tenant, e.occurredAt, x.text) : null;
        insert.run(
          tenant,
          seq,
          e.id,
          e.occurredAt,
          receivedAt,
          ...INDEX_COLUMNS.map((c) => x[c]),
          e.digest,
          hash,
          withHash(body, hash),
          textKey,
        );
        for (const ip of x.ips) insertIp.run(tenant, ip, seq);
        results[i] = { id: e.id, seq, hash, duplicate: false };
      }
    }
    return complete();
  };
}
