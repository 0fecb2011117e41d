import { TrailkeepError } from '../../core/errors.js';
import { type AppendResult, planAppend } from '../../core/event/idempotency.js';
import { INDEX_COLUMNS, type PreparedEvent } from '../../core/event/prepare.js';
import { sealEvent, withHash } from '../../core/event/seal.js';
import type { AppendGroup } from '../types.js';
import { blockRecorder } from './blocks.js';
import type { Db } from './db.js';

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

/**
 * Appends a batch's groups, one per tenant, creating unknown tenants when asked; the caller
 * runs it inside one write transaction, so a failing group takes the others with it.
 */
export type Appender = (
  groups: AppendGroup[],
  receivedAt: number,
  createTenants: boolean,
) => AppendResult[][];

/**
 * The SQLite append, on prepared statements: per tenant, the idempotency plan, a gapless seq
 * range taken from the tenant's row, sealing, and the event with its IPs and search text.
 */
export function appender(db: Db): Appender {
  const append = tenantAppender(db);
  const createTenant = db.prepare(
    'INSERT INTO tenants (id, name, created_at) VALUES (?, ?, ?) ON CONFLICT (id) DO NOTHING',
  );
  return (groups, receivedAt, createTenants) => {
    if (createTenants) {
      const at = new Date(receivedAt).toISOString();
      for (const g of groups) createTenant.run(g.tenant, g.tenant, at);
    }
    return groups.map((g) => append(g.tenant, g.events, receivedAt));
  };
}

function tenantAppender(db: Db) {
  const byId = db.prepare<[string, string], { seq: number; hash: string; digest: string }>(
    'SELECT seq, hash, digest FROM events WHERE tenant = ? AND id = ?',
  );
  const exists = db.prepare<[string], { last_seq: number }>('SELECT last_seq FROM tenants WHERE id = ?');
  const bump = db.prepare<[number, string], { last_seq: number }>(
    'UPDATE tenants SET last_seq = last_seq + ? WHERE id = ? RETURNING last_seq',
  );
  const insert = db.prepare(
    `INSERT INTO events (${COLUMNS.join(', ')}) VALUES (${COLUMNS.map(() => '?').join(', ')})`,
  );
  const insertIp = db.prepare('INSERT OR IGNORE INTO event_ips (tenant, ip, seq) VALUES (?, ?, ?)');
  const insertText = db.prepare('INSERT INTO events_fts (rowid, text) VALUES (?, ?)');
  const blocks = blockRecorder(db);

  return (tenant: string, events: PreparedEvent[], receivedAt: number): AppendResult[] => {
    if (!exists.get(tenant)) throw new TrailkeepError('not_found', `Tenant ${tenant} does not exist.`);
    const { fresh, results, complete } = planAppend(events, (id) => byId.get(tenant, id));
    if (fresh.length) {
      let seq = (bump.get(fresh.length, tenant) as { last_seq: number }).last_seq - fresh.length;
      const receivedIso = new Date(receivedAt).toISOString();
      const touched = blocks();
      for (const i of fresh) {
        const e = events[i] as PreparedEvent;
        seq += 1;
        const { body, hash } = sealEvent(e.template, tenant, seq, receivedIso);
        const x = e.index;
        const { lastInsertRowid } = insert.run(
          tenant,
          seq,
          e.id,
          e.occurredAt,
          receivedAt,
          ...INDEX_COLUMNS.map((c) => x[c]),
          e.digest,
          hash,
          withHash(body, hash),
        );
        for (const ip of x.ips) insertIp.run(tenant, ip, seq);
        if (x.text) insertText.run(lastInsertRowid, x.text);
        touched.add(Number(lastInsertRowid), e.occurredAt);
        results[i] = { id: e.id, seq, hash, duplicate: false };
      }
      touched.flush();
    }
    return complete();
  };
}
