import type { Delivery } from '../../core/streams/stream.js';
import {
  CHANGEABLE,
  DELIVERY_COLS,
  FAILED,
  STREAM_COLS,
  type StreamRow,
  toColumns,
  toStream,
} from '../sql/streams.js';
import type { StreamLag, StreamStore } from '../types.js';
import type { Db } from './db.js';

const DUE = `s.state = 'active' AND s.next_attempt_at <= @now AND (s.lease_until IS NULL OR s.lease_until < @now)
  AND (s.replay IS NOT NULL OR s.cursor < (SELECT t.last_seq FROM tenants t WHERE t.id = s.tenant))`;
const HELD = 'tenant = @tenant AND id = @id AND lease_owner = @owner';
const HELD_STREAM = 'tenant = @tenant AND stream = @stream AND id = @id';

/** Streams on SQLite: every fenced write checks the lease in the statement (or transaction) that makes it. */
export function sqliteStreams(db: Db): StreamStore {
  const s = (sql: string) => db.prepare(sql);
  const insert = s(
    `INSERT INTO streams (${STREAM_COLS}) VALUES (@tenant, @id, @name, @destination, @secrets, @format, @filters, @batch, @pii, @state, @cursor, @replay, @created_at, @updated_at, @last_error, @last_error_at, @last_delivered_at, @next_attempt_at, @lease_owner, @lease_until)`,
  );
  const get = s(`SELECT ${STREAM_COLS} FROM streams WHERE tenant = ? AND id = ?`);
  const list = s(`SELECT ${STREAM_COLS} FROM streams WHERE tenant = ? ORDER BY created_at, id`);
  const all = s(`SELECT ${STREAM_COLS} FROM streams ORDER BY created_at, id`);
  const updates = new Map<string, ReturnType<typeof s>>();
  const del = db.transaction((tenant: string, id: string) => {
    s('DELETE FROM stream_deliveries WHERE tenant = ? AND stream = ?').run(tenant, id);
    return s('DELETE FROM streams WHERE tenant = ? AND id = ?').run(tenant, id).changes > 0;
  });
  const due = s(
    `SELECT s.tenant, s.id FROM streams s WHERE ${DUE}
       AND s.id NOT IN (SELECT value FROM json_each(@skip)) ORDER BY s.next_attempt_at LIMIT 1`,
  );
  const take = s(
    `UPDATE streams AS s SET lease_owner = @owner, lease_until = @until
     WHERE s.tenant = @tenant AND s.id = @id AND ${DUE} RETURNING ${STREAM_COLS}`,
  );
  const renew = s(`UPDATE streams SET lease_until = @until WHERE ${HELD}`);
  const release = s(
    `UPDATE streams SET lease_owner = NULL, lease_until = NULL, next_attempt_at = @next WHERE ${HELD}`,
  );
  const held = s(`SELECT 1 FROM streams WHERE ${HELD}`);
  const pendingLive = s(
    `SELECT ${DELIVERY_COLS} FROM stream_deliveries WHERE tenant = ? AND stream = ? AND state = 'pending' AND replay IS NULL`,
  );
  const pendingReplay = s(
    `SELECT ${DELIVERY_COLS} FROM stream_deliveries WHERE tenant = ? AND stream = ? AND state = 'pending' AND replay = ?`,
  );
  const insertDelivery = s(
    `INSERT INTO stream_deliveries (${DELIVERY_COLS}) VALUES (@tenant, @stream, @id, @from_seq, @to_seq, @events, @state, @replay, @attempts, @created_at, @updated_at, @error)`,
  );
  const getDelivery = s(`SELECT ${DELIVERY_COLS} FROM stream_deliveries WHERE ${HELD_STREAM}`);
  const shrink = s(
    `UPDATE stream_deliveries SET id = @new_id, to_seq = @to_seq, events = @events, updated_at = @now
     WHERE ${HELD_STREAM} AND state = 'pending'`,
  );
  const endDelivery = s(
    `UPDATE stream_deliveries SET state = @state, error = @error, attempts = attempts + 1, updated_at = @now
     WHERE ${HELD_STREAM} AND state = 'pending'`,
  );
  const moveLive = s(
    `UPDATE streams SET cursor = max(cursor, @to), last_delivered_at = coalesce(@delivered, last_delivered_at),
       last_error = CASE WHEN @delivered IS NULL THEN last_error ELSE NULL END,
       last_error_at = CASE WHEN @delivered IS NULL THEN last_error_at ELSE NULL END
     WHERE ${HELD}`,
  );
  const moveReplay = s(
    `UPDATE streams SET replay = CASE WHEN @to >= json_extract(replay, '$.to_seq') THEN NULL
       ELSE json_set(replay, '$.cursor', max(json_extract(replay, '$.cursor'), @to)) END,
       last_delivered_at = coalesce(@delivered, last_delivered_at)
     WHERE ${HELD} AND replay IS NOT NULL`,
  );
  const failDelivery = s(
    `UPDATE stream_deliveries SET attempts = attempts + 1, error = @error, updated_at = @now WHERE ${HELD_STREAM} AND state = 'pending'`,
  );
  const failStream = s(
    `UPDATE streams SET last_error = @error, last_error_at = @now, next_attempt_at = @next,
       state = coalesce(@state, state), updated_at = CASE WHEN @state IS NULL THEN updated_at ELSE @now END
     WHERE ${HELD}`,
  );
  const LAG = `SELECT s.tenant, s.id, t.last_seq,
      (SELECT e.received_at FROM events e WHERE e.tenant = s.tenant AND e.seq = s.cursor + 1) AS oldest_received_at
    FROM streams s JOIN tenants t ON t.id = s.tenant`;
  const lagsOf = s(`${LAG} WHERE s.tenant = ? ORDER BY s.created_at, s.id`);
  const allLags = s(`${LAG} ORDER BY s.created_at, s.id`);
  const prune = s(
    `DELETE FROM stream_deliveries WHERE rowid IN (
       SELECT rowid FROM stream_deliveries WHERE state = 'delivered' AND updated_at < ? LIMIT ?)`,
  );

  const move = (
    tenant: string,
    id: string,
    replay: boolean,
    to: number,
    owner: string,
    delivered: number | null,
  ) => (replay ? moveReplay : moveLive).run({ tenant, id, owner, to, delivered }).changes > 0;

  const finish = db.transaction(
    (
      tenant: string,
      stream: string,
      id: string,
      state: string,
      error: string | null,
      owner: string,
      now: number,
    ) => {
      if (!held.get({ tenant, id: stream, owner })) return false;
      const d = getDelivery.get({ tenant, stream, id }) as Delivery | undefined;
      if (d?.state !== 'pending') return false;
      endDelivery.run({ tenant, stream, id, state, error, now });
      return move(tenant, stream, d.replay !== null, d.to_seq, owner, state === 'delivered' ? now : null);
    },
  );
  const fenced = <A extends unknown[]>(work: (...args: A) => boolean) => db.transaction(work);
  const begin = fenced((d: Delivery, owner: string) => {
    if (!held.get({ tenant: d.tenant, id: d.stream, owner })) return false;
    insertDelivery.run(d);
    return true;
  });
  const shrinkTx = fenced(
    (
      tenant: string,
      stream: string,
      id: string,
      part: Pick<Delivery, 'id' | 'to_seq' | 'events'>,
      owner: string,
      now: number,
    ) => {
      if (!held.get({ tenant, id: stream, owner })) return false;
      return (
        shrink.run({ tenant, stream, id, new_id: part.id, to_seq: part.to_seq, events: part.events, now })
          .changes > 0
      );
    },
  );
  const failed = fenced(
    (
      tenant: string,
      stream: string,
      id: string,
      f: { error: string; nextAttemptAt: number; state?: string },
      owner: string,
      now: number,
    ) => {
      if (
        failStream.run({
          tenant,
          id: stream,
          owner,
          error: f.error,
          now,
          next: f.nextAttemptAt,
          state: f.state ?? null,
        }).changes === 0
      )
        return false;
      failDelivery.run({ tenant, stream, id, error: f.error, now });
      return true;
    },
  );

  return {
    async create(stream) {
      insert.run(toColumns({ ...stream }));
      return stream;
    },
    async get(tenant, id) {
      const row = get.get(tenant, id) as StreamRow | undefined;
      return row ? toStream(row) : null;
    },
    async list(tenant) {
      return (list.all(tenant) as StreamRow[]).map(toStream);
    },
    async all() {
      return (all.all() as StreamRow[]).map(toStream);
    },
    async update(tenant, id, changes, now) {
      const cols = CHANGEABLE.filter((c) => c in changes);
      const sql = `UPDATE streams SET ${[...cols.map((c) => `${c} = @${c}`), 'updated_at = @now'].join(', ')}
        WHERE tenant = @tenant AND id = @id RETURNING ${STREAM_COLS}`;
      const stmt = updates.get(sql) ?? s(sql);
      updates.set(sql, stmt);
      const row = stmt.get({ ...toColumns(changes), tenant, id, now }) as StreamRow | undefined;
      return row ? toStream(row) : null;
    },
    async delete(tenant, id) {
      return del.immediate(tenant, id);
    },
    async lease(owner, now, leaseMs, skip) {
      // Read first: a node with nothing due takes no write lock (the writer thread holds it for every ingest commit).
      const candidate = due.get({ now, skip: JSON.stringify(skip) }) as
        | { tenant: string; id: string }
        | undefined;
      if (!candidate) return null;
      const row = take.get({ ...candidate, owner, now, until: now + leaseMs }) as StreamRow | undefined;
      return row ? toStream(row) : null;
    },
    async renew(tenant, id, owner, until) {
      return renew.run({ tenant, id, owner, until }).changes > 0;
    },
    async release(tenant, id, owner, next) {
      release.run({ tenant, id, owner, next });
    },
    async pending(tenant, stream, replay) {
      const row = (
        replay === null ? pendingLive.get(tenant, stream) : pendingReplay.get(tenant, stream, replay)
      ) as Delivery | undefined;
      return row ?? null;
    },
    async begin(delivery, owner) {
      return begin.immediate(delivery, owner);
    },
    async shrink(tenant, stream, id, part, owner, now) {
      return shrinkTx.immediate(tenant, stream, id, part, owner, now);
    },
    async finish(tenant, stream, id, state, error, owner, now) {
      return finish.immediate(tenant, stream, id, state, error, owner, now);
    },
    async advance(tenant, stream, replay, toSeq, owner) {
      return move(tenant, stream, replay, toSeq, owner, null);
    },
    async failed(tenant, stream, id, failure, owner, now) {
      return failed.immediate(tenant, stream, id, failure, owner, now);
    },
    async deliveries(tenant, stream, filter, limit) {
      const where = filter === null ? '' : filter === 'failed' ? `AND ${FAILED}` : 'AND state = @state';
      return s(
        `SELECT ${DELIVERY_COLS} FROM stream_deliveries WHERE tenant = @tenant AND stream = @stream ${where}
         ORDER BY updated_at DESC, id DESC LIMIT @limit`,
      ).all({
        tenant,
        stream,
        limit,
        ...(filter && filter !== 'failed' ? { state: filter } : {}),
      }) as Delivery[];
    },
    async lags(tenant) {
      return (tenant === null ? allLags.all() : lagsOf.all(tenant)) as StreamLag[];
    },
    async prune(before, limit) {
      return prune.run(before, limit).changes;
    },
  };
}
