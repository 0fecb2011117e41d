import type pg from 'pg';
import type { Delivery } from '../../core/streams/stream.js';
import {
  CHANGEABLE,
  DELIVERY_COLS,
  FAILED,
  positional,
  STREAM_COLS,
  type StreamRow,
  toColumns,
  toStream,
} from '../sql/streams.js';
import type { StreamLag, StreamStore } from '../types.js';
import { type Db, type Queryable, run } from './db.js';

const DUE = `s.state = 'active' AND s.next_attempt_at <= @now AND (s.lease_until IS NULL OR s.lease_until < @now)
  AND (s.replay IS NOT NULL OR s.cursor < (SELECT t.last_seq FROM tenants t WHERE t.id = s.tenant))`;
const HELD = 'tenant = @tenant AND id = @id AND lease_owner = @owner';
const HELD_STREAM = 'tenant = @tenant AND stream = @stream AND id = @id';

/**
 * Streams on PostgreSQL. Fenced writes lock the stream row held by the lease (FOR UPDATE), so a
 * node that lost its lease cannot interleave a write with the new holder's.
 */
export function pgStreams(db: Db): StreamStore {
  const on = <R extends pg.QueryResultRow>(
    client: Queryable | Db,
    sql: string,
    params: Record<string, unknown>,
  ) => {
    const { text, values } = positional(sql, params);
    return client instanceof Object && 'pool' in client
      ? (client as Db).query<R>(text, values)
      : run<R>(client as Queryable, text, values);
  };
  const q = <R extends pg.QueryResultRow>(sql: string, params: Record<string, unknown>) =>
    on<R>(db, sql, params);
  const streams = async (sql: string, params: Record<string, unknown>) =>
    (await q<StreamRow>(sql, params)).map(toStream);
  const hold = async (client: Queryable, tenant: string, id: string, owner: string) =>
    (await on(client, `SELECT 1 AS one FROM streams WHERE ${HELD} FOR UPDATE`, { tenant, id, owner }))
      .length > 0;
  const move = async (
    client: Queryable | Db,
    p: { tenant: string; id: string; owner: string; to: number; delivered: number | null },
    replay: boolean,
  ) =>
    (
      await on(
        client,
        replay
          ? `UPDATE streams SET replay = CASE WHEN @to::bigint >= (replay::jsonb->>'to_seq')::bigint THEN NULL
               ELSE jsonb_set(replay::jsonb, '{cursor}', to_jsonb(greatest((replay::jsonb->>'cursor')::bigint, @to::bigint)))::text END,
               last_delivered_at = coalesce(@delivered::bigint, last_delivered_at)
             WHERE ${HELD} AND replay IS NOT NULL RETURNING 1 AS one`
          : `UPDATE streams SET cursor = greatest(cursor, @to::bigint), last_delivered_at = coalesce(@delivered::bigint, last_delivered_at),
               last_error = CASE WHEN @delivered::bigint IS NULL THEN last_error ELSE NULL END,
               last_error_at = CASE WHEN @delivered::bigint IS NULL THEN last_error_at ELSE NULL END
             WHERE ${HELD} RETURNING 1 AS one`,
        p,
      )
    ).length > 0;

  return {
    async create(stream) {
      const cols = STREAM_COLS.split(', ');
      await q(
        `INSERT INTO streams (${STREAM_COLS}) VALUES (${cols.map((c) => `@${c}`).join(', ')})`,
        toColumns({ ...stream }),
      );
      return stream;
    },
    async get(tenant, id) {
      return (
        (
          await streams(`SELECT ${STREAM_COLS} FROM streams WHERE tenant = @tenant AND id = @id`, {
            tenant,
            id,
          })
        )[0] ?? null
      );
    },
    list(tenant) {
      return streams(`SELECT ${STREAM_COLS} FROM streams WHERE tenant = @tenant ORDER BY created_at, id`, {
        tenant,
      });
    },
    all() {
      return streams(`SELECT ${STREAM_COLS} FROM streams ORDER BY created_at, id`, {});
    },
    async update(tenant, id, changes, now) {
      const cols = CHANGEABLE.filter((c) => c in changes);
      const sets = [...cols.map((c) => `${c} = @${c}`), 'updated_at = @now'].join(', ');
      const rows = await streams(
        `UPDATE streams SET ${sets} WHERE tenant = @tenant AND id = @id RETURNING ${STREAM_COLS}`,
        { ...toColumns(changes), tenant, id, now },
      );
      return rows[0] ?? null;
    },
    delete(tenant, id) {
      return db.tx(async (client) => {
        await on(client, 'DELETE FROM stream_deliveries WHERE tenant = @tenant AND stream = @id', {
          tenant,
          id,
        });
        return (
          (
            await on(client, 'DELETE FROM streams WHERE tenant = @tenant AND id = @id RETURNING 1 AS one', {
              tenant,
              id,
            })
          ).length > 0
        );
      });
    },
    async lease(owner, now, leaseMs, skip) {
      // SKIP LOCKED: nodes polling at once each take a different stream instead of waiting.
      const rows = await streams(
        `UPDATE streams AS u SET lease_owner = @owner, lease_until = @until
         WHERE (u.tenant, u.id) = (
           SELECT s.tenant, s.id FROM streams s WHERE ${DUE} AND NOT (s.id = ANY(@skip::text[]))
           ORDER BY s.next_attempt_at LIMIT 1 FOR UPDATE SKIP LOCKED)
         RETURNING ${STREAM_COLS}`,
        { owner, now, until: now + leaseMs, skip: [...skip] },
      );
      return rows[0] ?? null;
    },
    async renew(tenant, id, owner, until) {
      return (
        (
          await q(`UPDATE streams SET lease_until = @until WHERE ${HELD} RETURNING 1 AS one`, {
            tenant,
            id,
            owner,
            until,
          })
        ).length > 0
      );
    },
    async release(tenant, id, owner, next) {
      await q(
        `UPDATE streams SET lease_owner = NULL, lease_until = NULL, next_attempt_at = @next WHERE ${HELD}`,
        {
          tenant,
          id,
          owner,
          next,
        },
      );
    },
    async pending(tenant, stream, replay) {
      const rows = await q<Delivery>(
        `SELECT ${DELIVERY_COLS} FROM stream_deliveries WHERE tenant = @tenant AND stream = @stream AND state = 'pending'
           AND ${replay === null ? 'replay IS NULL' : 'replay = @replay'}`,
        { tenant, stream, replay },
      );
      return rows[0] ?? null;
    },
    begin(d, owner) {
      return db.tx(async (client) => {
        if (!(await hold(client, d.tenant, d.stream, owner))) return false;
        const cols = DELIVERY_COLS.split(', ');
        await on(
          client,
          `INSERT INTO stream_deliveries (${DELIVERY_COLS}) VALUES (${cols.map((c) => `@${c}`).join(', ')})`,
          { ...d },
        );
        return true;
      });
    },
    shrink(tenant, stream, id, part, owner, now) {
      return db.tx(async (client) => {
        if (!(await hold(client, tenant, stream, owner))) return false;
        const rows = await on(
          client,
          `UPDATE stream_deliveries SET id = @new_id, to_seq = @to_seq, events = @events, updated_at = @now
           WHERE ${HELD_STREAM} AND state = 'pending' RETURNING 1 AS one`,
          { tenant, stream, id, new_id: part.id, to_seq: part.to_seq, events: part.events, now },
        );
        return rows.length > 0;
      });
    },
    finish(tenant, stream, id, state, error, owner, now) {
      return db.tx(async (client) => {
        if (!(await hold(client, tenant, stream, owner))) return false;
        const [d] = await on<Delivery>(
          client,
          `UPDATE stream_deliveries SET state = @state, error = @error, attempts = attempts + 1, updated_at = @now
           WHERE ${HELD_STREAM} AND state = 'pending' RETURNING ${DELIVERY_COLS}`,
          { tenant, stream, id, state, error, now },
        );
        if (!d) return false;
        return move(
          client,
          { tenant, id: stream, owner, to: d.to_seq, delivered: state === 'delivered' ? now : null },
          d.replay !== null,
        );
      });
    },
    advance(tenant, stream, replay, toSeq, owner) {
      return move(db, { tenant, id: stream, owner, to: toSeq, delivered: null }, replay);
    },
    failed(tenant, stream, id, f, owner, now) {
      return db.tx(async (client) => {
        const rows = await on(
          client,
          `UPDATE streams SET last_error = @error, last_error_at = @now, next_attempt_at = @next,
             state = coalesce(@state::text, state), updated_at = CASE WHEN @state::text IS NULL THEN updated_at ELSE @now END
           WHERE ${HELD} RETURNING 1 AS one`,
          { tenant, id: stream, owner, error: f.error, now, next: f.nextAttemptAt, state: f.state ?? null },
        );
        if (rows.length === 0) return false;
        await on(
          client,
          `UPDATE stream_deliveries SET attempts = attempts + 1, error = @error, updated_at = @now WHERE ${HELD_STREAM} AND state = 'pending'`,
          { tenant, stream, id, error: f.error, now },
        );
        return true;
      });
    },
    deliveries(tenant, stream, filter, limit) {
      const where = filter === null ? '' : filter === 'failed' ? `AND ${FAILED}` : 'AND state = @state';
      return q<Delivery>(
        `SELECT ${DELIVERY_COLS} FROM stream_deliveries WHERE tenant = @tenant AND stream = @stream ${where}
         ORDER BY updated_at DESC, id DESC LIMIT @limit`,
        { tenant, stream, limit, state: filter },
      );
    },
    lags(tenant) {
      // The seq lookup is by (tenant, seq), which every partition's events_seq index serves.
      return q<StreamLag>(
        `SELECT s.tenant, s.id, t.last_seq,
           (SELECT (extract(epoch FROM e.received_at) * 1000)::bigint FROM events e
            WHERE e.tenant = s.tenant AND e.seq = s.cursor + 1 LIMIT 1) AS oldest_received_at
         FROM streams s JOIN tenants t ON t.id = s.tenant
         WHERE @tenant::text IS NULL OR s.tenant = @tenant
         ORDER BY s.created_at, s.id`,
        { tenant },
      );
    },
    async prune(before, limit) {
      const rows = await q(
        `DELETE FROM stream_deliveries WHERE ctid IN (
           SELECT ctid FROM stream_deliveries WHERE state = 'delivered' AND updated_at < @before LIMIT @limit) RETURNING 1 AS one`,
        { before, limit },
      );
      return rows.length;
    },
  };
}
