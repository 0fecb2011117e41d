import { csvHeader } from './csv.js';

export const EXPORT_FORMATS = ['csv', 'ndjson'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export const CONTENT_TYPES: Record<ExportFormat, string> = {
  csv: 'text/csv; charset=utf-8',
  ndjson: 'application/x-ndjson',
};

/** What the file starts with, before any event. */
export const fileHeader = (format: ExportFormat): string | null => (format === 'csv' ? csvHeader() : null);
