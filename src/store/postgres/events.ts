import type pg from 'pg';
import { TrailkeepError } from '../../core/errors.js';
import { planAppend } from '../../core/event/idempotency.js';
import type { PreparedEvent } from '../../core/event/prepare.js';
import { sealEvent, withHash } from '../../core/event/seal.js';
import {
  type EventFilter,
  type EventQuery,
  type EventRow,
  type Facet,
  type FilterField,
  JSON_FIELDS,
  searchTerms,
} from '../../core/query.js';
import { fromCursor } from '../keyset.js';
import type { AppendResult, EventStore } from '../types.js';
import { copyEvents, type StageRow } from './copy.js';
import { type Db, run } from './db.js';
import type { Partitions } from './partitions.js';

const iso = (ms: number) => new Date(ms).toISOString();

/** Builds the WHERE clause of a filter with numbered parameters; values are never interpolated. */
function where(tenant: string, f: EventFilter, params: unknown[]): string {
  const p = (v: unknown) => `$${params.push(v)}`;
  const clauses = [`tenant = ${p(tenant)}`];
  for (const [field, values] of Object.entries(f.fields ?? {})) {
    if (!values || values.length === 0) continue;
    const json = JSON_FIELDS[field as FilterField];
    if (field === 'ip') {
      clauses.push(`seq IN (SELECT seq FROM event_ips WHERE tenant = $1 AND ip = ANY(${p(values)}::text[]))`);
    } else if (json) {
      // Paths are constants of core/query.ts, never input; the values are bound.
      clauses.push(
        json.each
          ? `EXISTS (SELECT 1 FROM jsonb_array_elements(CASE WHEN jsonb_typeof(body::jsonb #> '{${json.path.join(',')}}') = 'array' THEN body::jsonb #> '{${json.path.join(',')}}' ELSE '[]'::jsonb END) a WHERE a ->> '${json.each}' = ANY(${p(values)}::text[]))`
          : `(body::jsonb #>> '{${json.path.join(',')}}') = ANY(${p(values)}::text[])`,
      );
    } else {
      clauses.push(
        values.length === 1 ? `${field} = ${p(values[0])}` : `${field} = ANY(${p(values)}::text[])`,
      );
    }
  }
  if (f.actorIdOrLogin?.length) {
    const ids = p(f.actorIdOrLogin);
    clauses.push(`(actor_id = ANY(${ids}::text[]) OR actor_login = ANY(${ids}::text[]))`);
  }
  if (f.automatic !== undefined) clauses.push(`automatic = ${p(f.automatic)}`);
  if (f.privileged !== undefined) clauses.push(`actor_privileged = ${p(f.privileged)}`);
  if (f.result !== undefined) {
    clauses.push(
      `coalesce(body::jsonb #>> '{auth,result}', CASE WHEN outcome = 'failure' THEN 'Failure' ELSE 'Success' END) = ${p(f.result)}`,
    );
  }
  if (f.from !== undefined) clauses.push(`occurred_at >= ${p(iso(f.from))}::timestamptz`);
  if (f.to !== undefined) clauses.push(`occurred_at < ${p(iso(f.to))}::timestamptz`);
  if (f.maxSeq !== undefined) clauses.push(`seq <= ${p(f.maxSeq)}`);
  if (f.q !== undefined) {
    // Terms are letters, digits and `_` only (core tokenize), so none is tsquery syntax.
    const terms = searchTerms(f.q);
    clauses.push(terms.length ? `search @@ to_tsquery('simple', ${p(terms.join(' & '))})` : 'false');
  }
  return clauses.join(' AND ');
}

const MS = '(extract(epoch FROM occurred_at) * 1000)::bigint';

export function listSql(tenant: string, q: EventQuery): { sql: string; params: unknown[] } {
  const params: unknown[] = [];
  // The cursor's time bounds the range (store/keyset.ts): the index read and the partitions
  // scanned start at the cursor.
  const range = fromCursor(q);
  let sql = `SELECT ${MS} AS "occurredAt", seq, body AS json FROM events WHERE ${where(tenant, { ...q, from: range.from, to: range.to }, params)}`;
  if (range.after) {
    const op = q.order === 'asc' ? '>' : '<';
    sql += ` AND (occurred_at, seq) ${op} ($${params.push(iso(range.after.occurredAt))}::timestamptz, $${params.push(range.after.seq)})`;
  }
  const dir = q.order === 'asc' ? 'ASC' : 'DESC';
  sql += ` ORDER BY occurred_at ${dir}, seq ${dir} LIMIT $${params.push(q.limit)}`;
  if (q.offset) sql += ` OFFSET $${params.push(q.offset)}`;
  return { sql, params };
}

export function facetsSql(tenant: string, f: EventFilter): { sql: string; params: unknown[] } {
  const params: unknown[] = [];
  return {
    // Bytewise order with nulls last, as SQLite sorts.
    sql: `SELECT * FROM (SELECT DISTINCT service, target_type, action FROM events WHERE ${where(tenant, f, params)}) f
      ORDER BY service COLLATE "C" NULLS LAST, target_type COLLATE "C" NULLS LAST, action COLLATE "C"`,
    params,
  };
}

export function countSql(tenant: string, f: EventFilter): { sql: string; params: unknown[] } {
  const params: unknown[] = [];
  return { sql: `SELECT count(*) AS n FROM events WHERE ${where(tenant, f, params)}`, params };
}

/** The change rows of the matching events, summed in an index-only scan (events_rows, events_type_rows). */
export function changeRowsSql(tenant: string, f: EventFilter): { sql: string; params: unknown[] } {
  const params: unknown[] = [];
  return {
    sql: `SELECT coalesce(sum(change_rows), 0)::bigint AS n FROM events WHERE ${where(tenant, f, params)}`,
    params,
  };
}

const INSERT_IPS = `
  INSERT INTO event_ips (tenant, ip, seq)
  SELECT $1, * FROM unnest($2::text[], $3::bigint[]) ON CONFLICT DO NOTHING`;

/** One batch, inside the caller's transaction. */
async function appendIn(
  client: pg.PoolClient,
  tenant: string,
  events: PreparedEvent[],
  receivedAt: number,
): Promise<AppendResult[]> {
  // The tenant row's lock serialises a tenant's writers (on every node): seqs stay gapless
  // and an id's first writer wins before the next one checks it.
  const locked = await run<{ last_seq: number }>(
    client,
    'SELECT last_seq FROM tenants WHERE id = $1 FOR UPDATE',
    [tenant],
  );
  if (!locked[0]) throw new TrailkeepError('not_found', `Tenant ${tenant} does not exist.`);
  const prior = new Map(
    (
      await run<{ id: string; seq: number; hash: string; digest: string }>(
        client,
        'SELECT id, seq, hash, digest FROM event_ids WHERE tenant = $1 AND id = ANY($2::text[])',
        [tenant, [...new Set(events.map((e) => e.id))]],
      )
    ).map((r) => [r.id, r]),
  );
  const { fresh, results, complete } = planAppend(events, (id) => prior.get(id));
  if (fresh.length) {
    let seq = (locked[0] as { last_seq: number }).last_seq;
    const receivedIso = iso(receivedAt);
    const rows: StageRow[] = [];
    const ips: [string[], number[]] = [[], []];
    for (const i of fresh) {
      const e = events[i] as PreparedEvent;
      seq += 1;
      const { body, hash } = sealEvent(e.template, tenant, seq, receivedIso);
      rows.push({
        ...e.index,
        seq,
        id: e.id,
        occurred_at: iso(e.occurredAt),
        digest: e.digest,
        hash,
        body: withHash(body, hash),
      });
      for (const ip of e.index.ips) {
        ips[0].push(ip);
        ips[1].push(seq);
      }
      results[i] = { id: e.id, seq, hash, duplicate: false };
    }
    await run(client, 'UPDATE tenants SET last_seq = $2 WHERE id = $1', [tenant, seq]);
    await copyEvents(client, tenant, receivedIso, rows);
    if (ips[0].length) await run(client, INSERT_IPS, [tenant, ...ips]);
  }
  return complete();
}

/**
 * Events on PostgreSQL. A batch is one transaction of a few statements whatever its size: the
 * events go in by COPY (copy.ts), their IPs as arrays expanded by `unnest`.
 */
export function pgEvents(db: Db, partitions: Partitions): EventStore {
  return {
    async append(tenant, events, receivedAt) {
      await partitions.ensure(events.map((e) => e.occurredAt));
      return db.tx((client) => appendIn(client, tenant, events, receivedAt));
    },

    async list(tenant, q) {
      const { sql, params } = listSql(tenant, q);
      return db.query<EventRow>(sql, params);
    },

    async count(tenant, f) {
      const { sql, params } = countSql(tenant, f);
      return ((await db.query<{ n: number }>(sql, params))[0] as { n: number }).n;
    },

    async countChangeRows(tenant, f) {
      const { sql, params } = changeRowsSql(tenant, f);
      return ((await db.query<{ n: number }>(sql, params))[0] as { n: number }).n;
    },

    async facets(tenant, f) {
      const { sql, params } = facetsSql(tenant, f);
      return db.query<Facet>(sql, params);
    },

    async get(tenant, id, seq) {
      const byId = await db.query<{ body: string }>(
        `SELECT e.body FROM event_ids i
         JOIN events e ON e.tenant = i.tenant AND e.seq = i.seq AND e.occurred_at = i.occurred_at
         WHERE i.tenant = $1 AND i.id = $2`,
        [tenant, id],
      );
      if (byId[0]) return byId[0].body;
      if (seq === undefined) return null;
      const bySeq = await db.query<{ body: string }>(
        'SELECT body FROM events WHERE tenant = $1 AND seq = $2',
        [tenant, seq],
      );
      return bySeq[0]?.body ?? null;
    },

    async lastSeq(tenant) {
      const rows = await db.query<{ last_seq: number }>('SELECT last_seq FROM tenants WHERE id = $1', [
        tenant,
      ]);
      return rows[0]?.last_seq ?? 0;
    },
  };
}
