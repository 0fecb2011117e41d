import type { Delivery } from '../../core/streams/stream.js';
import { DELIVERY_COLS, FAILED, STREAM_COLS, type StreamRow, toStream } from '../sql/streams.js';
import type { StreamLag, StreamStore } from '../types.js';
import type { Db } from './db.js';
import { DUE, type StreamWrite } from './stream-writes.js';

/**
 * Streams on SQLite: reads on the caller's connection (WAL lets them run beside the writer);
 * writes through `write`, to the writer thread (stream-writes.ts).
 */
export function sqliteStreams(db: Db, write: StreamWrite): StreamStore {
  const s = (sql: string) => db.prepare(sql);
  const get = s(`SELECT ${STREAM_COLS} FROM streams WHERE tenant = ? AND id = ?`);
  const list = s(`SELECT ${STREAM_COLS} FROM streams WHERE tenant = ? ORDER BY created_at, id`);
  const all = s(`SELECT ${STREAM_COLS} FROM streams ORDER BY created_at, id`);
  const due = s(
    `SELECT s.tenant, s.id FROM streams s WHERE ${DUE}
       AND s.id NOT IN (SELECT value FROM json_each(@skip)) ORDER BY s.next_attempt_at LIMIT 1`,
  );
  const pendingLive = s(
    `SELECT ${DELIVERY_COLS} FROM stream_deliveries WHERE tenant = ? AND stream = ? AND state = 'pending' AND replay IS NULL`,
  );
  const pendingReplay = s(
    `SELECT ${DELIVERY_COLS} FROM stream_deliveries WHERE tenant = ? AND stream = ? AND state = 'pending' AND replay = ?`,
  );
  const LAG = `SELECT s.tenant, s.id, t.last_seq,
      (SELECT e.received_at FROM events e WHERE e.tenant = s.tenant AND e.seq = s.cursor + 1) AS oldest_received_at
    FROM streams s JOIN tenants t ON t.id = s.tenant`;
  const lagsOf = s(`${LAG} WHERE s.tenant = ? ORDER BY s.created_at, s.id`);
  const allLags = s(`${LAG} ORDER BY s.created_at, s.id`);
  const stream = (row: StreamRow | null | undefined) => (row ? toStream(row) : null);

  return {
    async create(record) {
      await write('create', record);
      return record;
    },
    async get(tenant, id) {
      return stream(get.get(tenant, id) as StreamRow | undefined);
    },
    async list(tenant) {
      return (list.all(tenant) as StreamRow[]).map(toStream);
    },
    async all() {
      return (all.all() as StreamRow[]).map(toStream);
    },
    async update(tenant, id, changes, now) {
      return stream(await write('update', tenant, id, changes, now));
    },
    delete: (tenant, id) => write('delete', tenant, id),
    async lease(owner, now, leaseMs, skip) {
      // Read first: a node with nothing due sends the writer nothing.
      const candidate = due.get({ now, skip: JSON.stringify(skip) }) as
        | { tenant: string; id: string }
        | undefined;
      if (!candidate) return null;
      return stream(await write('take', candidate.tenant, candidate.id, owner, now, now + leaseMs));
    },
    renew: (tenant, id, owner, until) => write('renew', tenant, id, owner, until),
    release: (tenant, id, owner, next) => write('release', tenant, id, owner, next),
    async pending(tenant, id, replay) {
      const row = (replay === null ? pendingLive.get(tenant, id) : pendingReplay.get(tenant, id, replay)) as
        | Delivery
        | undefined;
      return row ?? null;
    },
    begin: (delivery, owner) => write('begin', delivery, owner),
    shrink: (tenant, id, delivery, part, owner, now) =>
      write('shrink', tenant, id, delivery, part, owner, now),
    finish: (tenant, id, delivery, state, error, owner, now) =>
      write('finish', tenant, id, delivery, state, error, owner, now),
    advance: (tenant, id, replay, toSeq, owner) => write('advance', tenant, id, replay, toSeq, owner),
    failed: (tenant, id, delivery, failure, owner, now) =>
      write('failed', tenant, id, delivery, failure, owner, now),
    async deliveries(tenant, id, filter, limit) {
      const where = filter === null ? '' : filter === 'failed' ? `AND ${FAILED}` : 'AND state = @state';
      return s(
        `SELECT ${DELIVERY_COLS} FROM stream_deliveries WHERE tenant = @tenant AND stream = @stream ${where}
         ORDER BY updated_at DESC, id DESC LIMIT @limit`,
      ).all({
        tenant,
        stream: id,
        limit,
        ...(filter && filter !== 'failed' ? { state: filter } : {}),
      }) as Delivery[];
    },
    async lags(tenant) {
      return (tenant === null ? allLags.all() : lagsOf.all(tenant)) as StreamLag[];
    },
    prune: (before, limit) => write('prune', before, limit),
  };
}
