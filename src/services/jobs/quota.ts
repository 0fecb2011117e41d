import { TrailkeepError } from '../../core/errors.js';
import type { ExportUsage } from '../../store/types.js';

/**
 * What one tenant's exports may hold at once, on every node (TRAILKEEP_TENANT_EXPORTS,
 * TRAILKEEP_TENANT_EXPORT_BYTES). What counts is the store's ExportUsage.
 */
export interface ExportQuota {
  /** Exports queued, running, or succeeded and not expired. */
  files: number;
  /** Bytes of the succeeded exports' files not expired. */
  bytes: number;
}

const FREE = 'delete finished exports or wait for them to expire, then retry';

/** The refusal of a new export by a quota: 429 for the count, 507 for the bytes. */
export function exportRefused(
  usage: ExportUsage,
  over: 'files' | 'bytes',
  quota: ExportQuota,
): TrailkeepError {
  if (over === 'files') {
    return new TrailkeepError(
      'rate_limited',
      `The tenant has ${usage.files} exports queued, running or kept, the most it may have at once (${quota.files}); ${FREE}.`,
      { exports: usage.files, limit: quota.files },
    );
  }
  return new TrailkeepError(
    'insufficient_storage',
    `The tenant's kept exports use ${usage.bytes} bytes of its ${quota.bytes}-byte export storage quota; ${FREE}.`,
    { bytes: usage.bytes, limit: quota.bytes },
  );
}

/** Why an export that would have passed the byte quota while it was written failed (its job's error). */
export const exportTooLarge = (maxBytes: number): TrailkeepError =>
  new TrailkeepError(
    'insufficient_storage',
    `The export was stopped and its partial file deleted: with the tenant's kept exports it would pass the ${maxBytes}-byte export storage quota. Narrow the filters, or ${FREE}.`,
  );
