import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { INDEX_COLUMNS, type PreparedEvent } from '../../core/event/prepare.js';

/** The change-row facets, computed once at prepare (core/change-rows.ts, migration 6). */
const FACET_COLUMNS = ['change_rows', 'automatic', 'actor_privileged', 'actor_login'] as const;

/**
 * Bulk loading with COPY, which measured 14–30 % faster than `unnest` multi-row inserts for
 * 500-event batches into the real schema (docs/postgres.md). Rows are copied into a
 * transaction-local staging table and moved into `events` and `event_ids` with one
 * INSERT … SELECT each, which also computes the tsvector on the server.
 */
export const STAGE_COLUMNS = [
  'tenant',
  'seq',
  'id',
  'occurred_at',
  ...INDEX_COLUMNS,
  ...FACET_COLUMNS,
  'text',
  'digest',
  'hash',
  'body',
] as const;

/**
 * The staging table, session-local: every pooled connection creates it once, when it connects
 * (Db's session set-up), so a batch costs no statement for it.
 */
export const STAGE_TABLE = `CREATE TEMP TABLE IF NOT EXISTS tk_stage (
  tenant text, seq bigint, id text, occurred_at timestamptz, ${INDEX_COLUMNS.map((c) => `${c} text`).join(', ')},
  change_rows integer, automatic boolean, actor_privileged boolean, actor_login text,
  text text, digest text, hash text, body text
) ON COMMIT DELETE ROWS`;

const INDEXED = [...INDEX_COLUMNS, ...FACET_COLUMNS].join(', ');
const MOVE_EVENTS = `
  INSERT INTO events (tenant, seq, id, occurred_at, received_at, ${INDEXED}, search, hash, body)
  SELECT tenant, seq, id, occurred_at, $1::timestamptz, ${INDEXED}, to_tsvector('simple', text), hash, body
  FROM tk_stage`;

const MOVE_IDS = `
  INSERT INTO event_ids (tenant, id, seq, occurred_at, digest, hash)
  SELECT tenant, id, seq, occurred_at, digest, hash FROM tk_stage`;

/** COPY text format: backslash, newline, carriage return and tab escaped; NULL is \N. */
function field(v: string | null): string {
  if (v === null) return '\\N';
  return /[\\\n\r\t]/.test(v)
    ? v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\t/g, '\\t')
    : v;
}

/** An event's line of the staging COPY, in STAGE_COLUMNS order, written straight from its parts. */
export function stageLine(
  tenant: string,
  seq: number,
  e: PreparedEvent,
  occurredAt: string,
  hash: string,
  body: string,
): string {
  const x = e.index;
  const f = x.facets;
  let out = `${field(tenant)}\t${seq}\t${field(e.id)}\t${occurredAt}`;
  for (const c of INDEX_COLUMNS) out += `\t${field(x[c])}`;
  out += `\t${f.change_rows}\t${f.automatic}\t${f.actor_privileged}\t${field(f.actor_login)}`;
  return `${out}\t${field(x.text)}\t${e.digest}\t${hash}\t${field(body)}\n`;
}

/**
 * Copies the rows (of any tenants: each row names its own) and moves them into `events` and
 * `event_ids`, inside the caller's transaction.
 */
export async function copyEvents(client: pg.PoolClient, receivedAt: string, lines: string[]): Promise<void> {
  const copy = client.query(copyFrom(`COPY tk_stage (${STAGE_COLUMNS.join(', ')}) FROM STDIN`));
  // One string for the batch: a 500-event batch is well under a megabyte.
  await pipeline(async function* () {
    yield lines.join('');
  }, copy);
  await client.query(MOVE_EVENTS, [receivedAt]);
  await client.query(MOVE_IDS);
}
