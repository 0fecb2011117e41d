import Papa from 'papaparse';
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

/**
 * The escaping pattern is our own: the library's default (`/^[=+\-@\t\r].*$/`) misses a
 * formula followed by a line break inside the cell.
 */
const UNPARSE = { escapeFormulae: /^[=+\-@\t\r]/, newline: '\n' };

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
export const csvHeader = (): string => `${Papa.unparse([[...CSV_COLUMNS]], UNPARSE)}\n`;

/**
 * Events parsed and stringified together. Small on purpose: the parsed events of a whole page
 * would outlive the young generation's collections and be promoted, growing the old generation
 * (and the process) by tens of megabytes per export; a few dozen die young.
 */
const CSV_BATCH = 64;

/**
 * Appends events, given as their stored JSON, as CSV lines (RFC 4180, `\n` line ends). Cells
 * starting with = + - @, a tab or a carriage return are neutralised with a leading `'`, so a
 * spreadsheet never runs them. `jsons` is consumed as it is rendered: a lazy source keeps only
 * one batch's text alive at a time.
 */
export function csvLines(jsons: Iterable<string>, into: ByteBuffer): void {
  let batch: unknown[][] = [];
  const flush = () => {
    into.text(Papa.unparse(batch, UNPARSE));
    into.byte(0x0a);
    batch = [];
  };
  for (const json of jsons) {
    batch.push(csvRecord(json));
    if (batch.length === CSV_BATCH) flush();
  }
  if (batch.length > 0) flush();
}
