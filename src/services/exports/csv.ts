import { stringify } from 'csv-stringify/sync';
import type { EventRow } from '../../core/query.js';
import type { ByteBuffer } from './bytes.js';

/** The CSV columns, flattened from the canonical event; nested lists are JSON in one cell. */
export const CSV_COLUMNS = [
  'seq',
  'id',
  'occurred_at',
  'received_at',
  'action',
  'category',
  'outcome',
  'level',
  'service',
  'actor_id',
  'actor_type',
  'actor_name',
  'actor_email',
  'client_id',
  'client_name',
  'source_ip',
  'target_type',
  'target_id',
  'target_name',
  'description',
  'changes',
  'transaction_id',
  'hash',
] as const;

type Obj = Record<string, unknown> | undefined;

function csvRecord(json: string): unknown[] {
  const e = JSON.parse(json) as Record<string, unknown>;
  const actor = e.actor as Obj;
  const client = e.client as Obj;
  const target = e.target as Obj;
  const ips = (e.source as Obj)?.ip as string[] | undefined;
  return [
    e.seq,
    e.id,
    e.occurred_at,
    e.received_at,
    e.action,
    e.category,
    e.outcome,
    e.level,
    e.service,
    actor?.id,
    actor?.type,
    actor?.name,
    actor?.email,
    client?.id,
    client?.name,
    ips?.join(' '),
    target?.type,
    target?.id,
    target?.name,
    e.description,
    e.changes === undefined ? undefined : JSON.stringify(e.changes),
    e.transaction_id,
    e.hash,
  ];
}

/** The header line. */
export const csvHeader = (): string =>
  stringify([], { header: true, columns: CSV_COLUMNS as unknown as string[] });

/**
 * Events parsed and stringified together. Small on purpose: the parsed events of a whole page
 * would outlive the young generation's collections and be promoted, growing the old generation
 * (and the process) by tens of megabytes per export; a few dozen die young.
 */
const CSV_BATCH = 64;

/**
 * Appends one page of events as CSV lines; `escape_formulas` neutralises cells starting with
 * = + - @ (and tab, CR) so a spreadsheet never runs them.
 */
export function csvLines(rows: EventRow[], into: ByteBuffer): void {
  for (let i = 0; i < rows.length; i += CSV_BATCH) {
    into.text(
      stringify(
        rows.slice(i, i + CSV_BATCH).map((r) => csvRecord(r.json)),
        { escape_formulas: true },
      ),
    );
  }
}
