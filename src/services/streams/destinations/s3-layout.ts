import { createHash } from 'node:crypto';
import type { OutBatch } from './types.js';

/** The `kind` of a manifest, so a reader tells it from a data object by its content too. */
export const MANIFEST_KIND = 'trailkeep.manifest';

/** A seq written as 20 digits, so keys sort in seq order (2^64 has 20 digits). */
const padded = (seq: number) => String(seq).padStart(20, '0');

/**
 * Where a batch's object goes: `<prefix>/<tenant>/<yyyy>/<mm>/<dd>/<stream>/<from>-<to>.ndjson`,
 * the day being the batch's creation (UTC). Every part is the same on every attempt, so a retry
 * overwrites its earlier attempt's object with the same bytes instead of adding one.
 */
export function objectKey(prefix: string | undefined, batch: OutBatch): string {
  const day = new Date(batch.createdAt).toISOString().slice(0, 10).replaceAll('-', '/');
  const base = (prefix ?? '').replace(/^\/+|\/+$/g, '');
  const path = `${batch.tenant}/${day}/${batch.stream}/${padded(batch.fromSeq)}-${padded(batch.toSeq)}.ndjson`;
  return base ? `${base}/${path}` : path;
}

/** The manifest written beside a batch's object (docs/streams/s3.md): what `trailkeep verify` reads. */
export interface S3Manifest {
  kind: typeof MANIFEST_KIND;
  tenant: string;
  stream: string;
  delivery_id: string;
  format: string;
  from_seq: number;
  to_seq: number;
  events: number;
  /** Hex SHA-256 of the data object's bytes. */
  sha256: string;
  key: string;
  created_at: string;
  checkpoint: string | null;
}

export function s3Manifest(batch: OutBatch, key: string, data: Uint8Array): S3Manifest {
  return {
    kind: MANIFEST_KIND,
    tenant: batch.tenant,
    stream: batch.stream,
    delivery_id: batch.id,
    format: batch.format,
    from_seq: batch.fromSeq,
    to_seq: batch.toSeq,
    events: batch.records.length,
    sha256: createHash('sha256').update(data).digest('hex'),
    key,
    created_at: new Date(batch.createdAt).toISOString(),
    checkpoint: batch.checkpoint,
  };
}
