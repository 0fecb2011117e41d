import type { Writable } from 'node:stream';
import type { Credential } from '../../core/credentials.js';
import type { FilterParams } from '../../core/filters.js';
import type { Order } from '../../core/query.js';
import type { Tenant } from '../../core/tenant.js';
import type { ExportFormat } from '../../services/exports/writer.js';

/** A batch of NDJSON lines read from the input: the raw text and the parsed value of each. */
export interface IngestBatch {
  texts: string[];
  values: unknown[];
}

export interface IngestOutcome {
  accepted: number;
  duplicates: number;
}

export interface EventPage {
  /** Each event's JSON text, as stored. */
  events: string[];
  nextCursor: string | null;
}

export interface ExportProgress {
  /** What the export is doing: the remote job's state, or `writing`/`downloading`. */
  phase: string;
  done: number;
  total?: number;
  unit: 'events' | 'bytes';
}

/**
 * What the commands need from Trailkeep, implemented twice: over a local database (the services
 * composed as the server composes them) and over the HTTP API. Each command is written once.
 * Problems in rejected ingest batches name events as `$[i]` (index in the batch) in both.
 */
export interface Backend {
  /** Where the commands act, for messages: the database path or the server URL. */
  readonly where: string;
  createTenant(id: string, name?: string): Promise<Tenant>;
  listTenants(): Promise<Tenant[]>;
  /** Keys of a tenant; with tenant null, operator keys. */
  createKey(
    tenant: string | null,
    name: string,
    scopes: string[],
  ): Promise<{ key: Credential; secret: string }>;
  listKeys(tenant: string | null): Promise<Credential[]>;
  revokeKey(tenant: string | null, id: string): Promise<void>;
  ingest(batch: IngestBatch): Promise<IngestOutcome>;
  page(filters: FilterParams, req: { order?: Order; limit: number; cursor?: string }): Promise<EventPage>;
  count(filters: FilterParams): Promise<number>;
  /**
   * Writes every matching event, oldest first, to `out` (not ended); returns how many, when
   * known. With `proofs` (NDJSON), the file ends with its proof line (docs/log.md).
   */
  exportTo(
    filters: FilterParams,
    format: ExportFormat,
    out: Writable,
    onProgress: (p: ExportProgress) => void,
    options?: { proofs?: boolean },
  ): Promise<number | null>;
  close(): Promise<void>;
}
