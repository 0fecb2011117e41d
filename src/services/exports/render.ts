import type { EventRow } from '../../core/query.js';
import type { ByteBuffer } from './bytes.js';
import { csvHeader } from './csv.js';

export const EXPORT_FORMATS = ['csv', 'ndjson'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export const CONTENT_TYPES: Record<ExportFormat, string> = {
  csv: 'text/csv; charset=utf-8',
  ndjson: 'application/x-ndjson',
};

/** What the file starts with, before any event. */
export const fileHeader = (format: ExportFormat): string | null => (format === 'csv' ? csvHeader() : null);

/** NDJSON: each row's stored JSON as it is, one per line. */
export function ndjsonLines(rows: EventRow[], into: ByteBuffer): void {
  for (const r of rows) {
    into.text(r.json);
    into.byte(0x0a);
  }
}
