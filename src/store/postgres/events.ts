import type pg from 'pg';
import { TrailkeepError } from '../../core/errors.js';
import { planAppend } from '../../core/event/idempotency.js';
import type { PreparedEvent } from '../../core/event/prepare.js';
import { sealEvent, withHash } from '../../core/event/seal.js';
import type { EventRow, Facet } from '../../core/query.js';
import { appendOne } from '../append-one.js';
import type { AppendGroup, AppendResult, EventStore } from '../types.js';
import { copyEvents, stageLine } from './copy.js';
import { type Db, run } from './db.js';
import type { Partitions } from './partitions.js';
import { postgresSql } from './sql-dialect.js';
import { pgTime } from './time.js';

/** Times as PostgreSQL reads them, years before 1 AD and after 9999 included. */
const iso = pgTime;

/** The statements of the reads (store/sql/compile.ts): exported so tests can check their plans. */
export const { listSql, countSql, changeRowsSql, facetsSql, windowSql } = postgresSql;

const CREATE_TENANTS = `
  INSERT INTO tenants (id, name, created_at)
  SELECT id, id, $2::timestamptz FROM unnest($1::text[]) AS t(id) ON CONFLICT (id) DO NOTHING`;

/**
 * The tenant rows' locks serialise each tenant's writers (on every node): seqs stay gapless and
 * an id's first writer wins before the next one checks it. Taken in id order, so two batches
 * that share tenants wait for each other instead of deadlocking.
 */
const LOCK_TENANTS = 'SELECT id, last_seq FROM tenants WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE';

const PRIOR_IDS = `
  SELECT tenant, id, seq, hash, digest FROM event_ids
  WHERE tenant = ANY($1::text[]) AND id = ANY($2::text[])`;

const BUMP_SEQS = `
  UPDATE tenants SET last_seq = v.last_seq
  FROM unnest($1::text[], $2::bigint[]) AS v(id, last_seq) WHERE tenants.id = v.id`;

const INSERT_IPS = `
  INSERT INTO event_ips (tenant, ip, seq)
  SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[]) ON CONFLICT DO NOTHING`;

type Prior = { tenant: string; id: string; seq: number; hash: string; digest: string };

/**
 * A batch of any number of tenants, inside the caller's transaction, in the same few statements
 * whatever its size or tenants: lock the tenants, read the ids they know, then one COPY.
 */
async function appendIn(
  client: pg.PoolClient,
  groups: AppendGroup[],
  receivedAt: number,
  createTenants: boolean,
): Promise<AppendResult[][]> {
  const receivedIso = iso(receivedAt);
  const tenants = [...new Set(groups.map((g) => g.tenant))].sort();
  if (createTenants) await run(client, CREATE_TENANTS, [tenants, receivedIso]);
  const lastSeq = new Map(
    (await run<{ id: string; last_seq: number }>(client, LOCK_TENANTS, [tenants])).map((r) => [
      r.id,
      r.last_seq,
    ]),
  );
  const unknown = groups.find((g) => !lastSeq.has(g.tenant));
  if (unknown) throw new TrailkeepError('not_found', `Tenant ${unknown.tenant} does not exist.`);
  const ids = [...new Set(groups.flatMap((g) => g.events.map((e) => e.id)))];
  // The same client id may be stored by several of the tenants: looked up per tenant.
  const prior = new Map<string, Map<string, Prior>>();
  for (const r of await run<Prior>(client, PRIOR_IDS, [tenants, ids])) {
    const known = prior.get(r.tenant) ?? new Map<string, Prior>();
    prior.set(r.tenant, known.set(r.id, r));
  }
  const rows: string[] = [];
  const ips: [string[], string[], number[]] = [[], [], []];
  const bumped: [string[], number[]] = [[], []];
  const results = groups.map(({ tenant, events }) => {
    const known = prior.get(tenant);
    const { fresh, results, complete } = planAppend(events, (id) => known?.get(id));
    if (fresh.length === 0) return complete();
    let seq = lastSeq.get(tenant) as number;
    for (const i of fresh) {
      const e = events[i] as PreparedEvent;
      seq += 1;
      const { body, hash } = sealEvent(e.template, tenant, seq, receivedIso);
      rows.push(stageLine(tenant, seq, e, iso(e.occurredAt), hash, withHash(body, hash)));
      for (const ip of e.index.ips) {
        ips[0].push(tenant);
        ips[1].push(ip);
        ips[2].push(seq);
      }
      results[i] = { id: e.id, seq, hash, duplicate: false };
    }
    lastSeq.set(tenant, seq);
    bumped[0].push(tenant);
    bumped[1].push(seq);
    return complete();
  });
  if (rows.length) {
    await run(client, BUMP_SEQS, bumped);
    await copyEvents(client, receivedIso, rows);
    if (ips[0].length) await run(client, INSERT_IPS, ips);
  }
  return results;
}

/**
 * Events on PostgreSQL. A batch is one transaction of a few statements whatever its size: the
 * events go in by COPY (copy.ts), their IPs as arrays expanded by `unnest`.
 */
export function pgEvents(db: Db, partitions: Partitions): EventStore {
  const appendGroups: EventStore['appendGroups'] = async (groups, receivedAt, options) => {
    await partitions.ensure(groups.flatMap((g) => g.events.map((e) => e.occurredAt)));
    return db.tx((client) => appendIn(client, groups, receivedAt, options?.createTenants ?? false));
  };
  return {
    append: appendOne(appendGroups),
    appendGroups,

    async list(tenant, q) {
      const { sql, params } = listSql(tenant, q);
      // With full-text terms the best plan depends on how common they are (walk the time index
      // and test each event, or read the GIN index and sort): a generic plan, chosen once for
      // every term, read the GIN index for a common one (54 ms instead of 0.3 ms at 1M events).
      return db.query<EventRow>(sql, params, { planEachTime: q.q !== undefined });
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

    async window(tenant, f, after, upTo) {
      const { sql, params } = windowSql(tenant, f, after, upTo);
      // Planned with its values: a generic plan cannot tell a window of a few seqs from a wide
      // range, and may walk a filter's index over all of its events instead.
      return db.query<EventRow>(sql, params, { planEachTime: true });
    },
  };
}
