import type { Delivery, StreamRecord } from '../../core/streams/stream.js';
import { CHANGEABLE, DELIVERY_COLS, STREAM_COLS, type StreamRow, toColumns } from '../sql/streams.js';
import type { AttemptFailed, StreamChanges } from '../types.js';
import type { Db } from './db.js';

/** A stream with work, due and not held (`@now`); the lease check of every fenced write (`@owner`). */
export const DUE = `s.state = 'active' AND s.next_attempt_at <= @now AND (s.lease_until IS NULL OR s.lease_until < @now)
  AND (s.replay IS NOT NULL OR s.cursor < (SELECT t.last_seq FROM tenants t WHERE t.id = s.tenant))`;
const HELD = 'tenant = @tenant AND id = @id AND lease_owner = @owner';
const HELD_STREAM = 'tenant = @tenant AND stream = @stream AND id = @id';

/**
 * Every write streams make on SQLite, run by the writer thread (writer-thread.ts) inside its
 * group commit, so a delivery's bookkeeping never waits for the write lock on the server's
 * event loop, nor fails on it beside ingest. Each fenced write checks the lease in the same
 * transaction (a savepoint of the group) that makes it.
 */
export function streamWrites(db: Db) {
  const s = (sql: string) => db.prepare(sql);
  const insert = s(
    `INSERT INTO streams (${STREAM_COLS}) VALUES (${STREAM_COLS.split(', ')
      .map((c) => `@${c}`)
      .join(', ')})`,
  );
  const updates = new Map<string, ReturnType<typeof s>>();
  const dropDeliveries = s('DELETE FROM stream_deliveries WHERE tenant = ? AND stream = ?');
  const dropStream = s('DELETE FROM streams WHERE tenant = ? AND id = ?');
  const take = s(
    `UPDATE streams AS s SET lease_owner = @owner, lease_until = @until
     WHERE s.tenant = @tenant AND s.id = @id AND ${DUE} RETURNING ${STREAM_COLS}`,
  );
  const renew = s(`UPDATE streams SET lease_until = @until WHERE ${HELD}`);
  const release = s(
    `UPDATE streams SET lease_owner = NULL, lease_until = NULL, next_attempt_at = @next WHERE ${HELD}`,
  );
  const held = s(`SELECT 1 FROM streams WHERE ${HELD}`);
  const insertDelivery = s(
    `INSERT INTO stream_deliveries (${DELIVERY_COLS}) VALUES (${DELIVERY_COLS.split(', ')
      .map((c) => `@${c}`)
      .join(', ')})`,
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
  const prune = s(
    `DELETE FROM stream_deliveries WHERE rowid IN (
       SELECT rowid FROM stream_deliveries WHERE state = 'delivered' AND updated_at < ? LIMIT ?)`,
  );
  const holds = (tenant: string, id: string, owner: string) => held.get({ tenant, id, owner }) !== undefined;
  const move = (
    tenant: string,
    id: string,
    replay: boolean,
    to: number,
    owner: string,
    delivered: number | null,
  ) => (replay ? moveReplay : moveLive).run({ tenant, id, owner, to, delivered }).changes > 0;

  return {
    create(stream: StreamRecord): void {
      insert.run(toColumns({ ...stream }));
    },
    update(tenant: string, id: string, changes: StreamChanges, now: number): StreamRow | null {
      const cols = CHANGEABLE.filter((c) => c in changes);
      const sql = `UPDATE streams SET ${[...cols.map((c) => `${c} = @${c}`), 'updated_at = @now'].join(', ')}
        WHERE tenant = @tenant AND id = @id RETURNING ${STREAM_COLS}`;
      const stmt = updates.get(sql) ?? s(sql);
      updates.set(sql, stmt);
      return (stmt.get({ ...toColumns(changes), tenant, id, now }) as StreamRow | undefined) ?? null;
    },
    delete: db.transaction((tenant: string, id: string): boolean => {
      dropDeliveries.run(tenant, id);
      return dropStream.run(tenant, id).changes > 0;
    }),
    take(tenant: string, id: string, owner: string, now: number, until: number): StreamRow | null {
      return (take.get({ tenant, id, owner, now, until }) as StreamRow | undefined) ?? null;
    },
    renew(tenant: string, id: string, owner: string, until: number): boolean {
      return renew.run({ tenant, id, owner, until }).changes > 0;
    },
    release(tenant: string, id: string, owner: string, next: number): void {
      release.run({ tenant, id, owner, next });
    },
    begin: db.transaction((d: Delivery, owner: string): boolean => {
      if (!holds(d.tenant, d.stream, owner)) return false;
      insertDelivery.run(d);
      return true;
    }),
    shrink: db.transaction(
      (
        tenant: string,
        stream: string,
        id: string,
        part: Pick<Delivery, 'id' | 'to_seq' | 'events'>,
        owner: string,
        now: number,
      ): boolean =>
        holds(tenant, stream, owner) &&
        shrink.run({ tenant, stream, id, new_id: part.id, to_seq: part.to_seq, events: part.events, now })
          .changes > 0,
    ),
    finish: db.transaction(
      (
        tenant: string,
        stream: string,
        id: string,
        state: string,
        error: string | null,
        owner: string,
        now: number,
      ) => {
        if (!holds(tenant, stream, owner)) return false;
        const d = getDelivery.get({ tenant, stream, id }) as Delivery | undefined;
        if (d?.state !== 'pending') return false;
        endDelivery.run({ tenant, stream, id, state, error, now });
        return move(tenant, stream, d.replay !== null, d.to_seq, owner, state === 'delivered' ? now : null);
      },
    ),
    advance(tenant: string, stream: string, replay: boolean, toSeq: number, owner: string): boolean {
      return move(tenant, stream, replay, toSeq, owner, null);
    },
    failed: db.transaction(
      (tenant: string, stream: string, id: string, f: AttemptFailed, owner: string, now: number): boolean => {
        const changed = failStream.run({
          tenant,
          id: stream,
          owner,
          error: f.error,
          now,
          next: f.nextAttemptAt,
          state: f.state ?? null,
        }).changes;
        if (changed === 0) return false;
        failDelivery.run({ tenant, stream, id, error: f.error, now });
        return true;
      },
    ),
    prune(before: number, limit: number): number {
      return prune.run(before, limit).changes;
    },
  };
}

export type StreamWrites = ReturnType<typeof streamWrites>;
export type StreamWriteOp = keyof StreamWrites;

/** Runs one of StreamWrites where the engine writes (the writer thread; in place for an in-memory database). */
export type StreamWrite = <K extends StreamWriteOp>(
  op: K,
  ...args: Parameters<StreamWrites[K]>
) => Promise<ReturnType<StreamWrites[K]>>;
