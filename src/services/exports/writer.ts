import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { stringify } from 'csv-stringify/sync';
import type { EventFilter, EventRow } from '../../core/query.js';
import type { Store } from '../../store/types.js';
import { scanEvents } from '../scan.js';

export const EXPORT_FORMATS = ['csv', 'ndjson'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export const CONTENT_TYPES: Record<ExportFormat, string> = {
  csv: 'text/csv; charset=utf-8',
  ndjson: 'application/x-ndjson',
};

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

/** Renders one chunk of rows; `escape_formulas` neutralises cells starting with = + - @ (and tab, CR). */
function render(format: ExportFormat, rows: EventRow[]): string {
  if (format === 'ndjson') return `${rows.map((r) => r.json).join('\n')}\n`;
  return stringify(
    rows.map((r) => csvRecord(r.json)),
    {
      columns: CSV_COLUMNS as unknown as string[],
      escape_formulas: true,
    },
  );
}

/**
 * Waits until `out` takes more data. An output that failed or closed meanwhile (a full disk, a
 * lost database) would never drain: its error is thrown instead of waiting forever.
 */
async function drained(out: Writable): Promise<void> {
  const gone = () => out.errored ?? new Error('The export output closed before the export ended.');
  if (out.errored || out.destroyed) throw gone();
  const ac = new AbortController();
  try {
    await Promise.race([
      once(out, 'drain', { signal: ac.signal }),
      once(out, 'close', { signal: ac.signal }).then(() => {
        throw gone();
      }),
    ]);
  } finally {
    ac.abort();
  }
}

export interface ExportOptions {
  /** Rows read from the store per step; memory stays bounded by one chunk. */
  chunk?: number;
  /** Called after each chunk is written, with the rows written so far. */
  onProgress?: (rows: number) => void;
  /** Checked between chunks; returning false stops the export early (cancellation, lost lease). */
  keepGoing?: () => boolean | Promise<boolean>;
}

/**
 * Streams every event matching `filter`, oldest first, to `out` in the given format, one
 * keyset page at a time and honouring backpressure. Returns the number of events written, or
 * null when `keepGoing` stopped it. Does not end `out`.
 */
export async function writeExport(
  store: Store,
  tenant: string,
  filter: EventFilter,
  format: ExportFormat,
  out: Writable,
  options: ExportOptions = {},
): Promise<number | null> {
  let written = 0;
  if (
    format === 'csv' &&
    !out.write(stringify([], { header: true, columns: CSV_COLUMNS as unknown as string[] }))
  ) {
    await drained(out);
  }
  for await (const rows of scanEvents(store, tenant, filter, 'asc', options.chunk ?? 2000)) {
    // Checked between chunks: a cancelled job or a lost lease stops before writing more.
    if (options.keepGoing && !(await options.keepGoing())) return null;
    if (!out.write(render(format, rows))) await drained(out);
    written += rows.length;
    options.onProgress?.(written);
  }
  return written;
}
