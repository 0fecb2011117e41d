import { S3ServiceException } from '@aws-sdk/client-s3';
import { retryAfterMs } from './http-post.js';
import type { SendOutcome } from './types.js';

/** Errors that pass with time: the store is busy or failing, or the upload was damaged on the way. */
const RETRY_CODES = new Set([
  'RequestTimeout',
  'BadDigest', // the bytes arrived altered (Content-MD5 mismatch): the next attempt sends them again
  'IncompleteBody',
  'SlowDown',
  'Throttling',
  'ThrottlingException',
  'RequestTimeTooSkewed', // the SDK corrects its clock offset from this answer, for the next attempt
  'OperationAborted',
  'InternalError',
  'ServiceUnavailable',
]);

/** The batch is too large for one object at this store: split, it may go. */
const TOO_LARGE_CODES = new Set(['EntityTooLarge', 'MaxMessageLengthExceeded']);

/**
 * Classifies a failed PUT (docs/streams/s3.md "Failures"):
 * - no answer (network, timeout), a 5xx, 408, 429 or a code in RETRY_CODES: retry;
 * - EntityTooLarge: rejected (the worker splits the batch);
 * - every other answer: refused, the stream pauses. Those are the credential (AccessDenied,
 *   InvalidAccessKeyId, SignatureDoesNotMatch, ExpiredToken) or the set-up (NoSuchBucket, a wrong
 *   region, a bucket policy): the records are opaque bytes to S3, so no record of the batch is
 *   at fault and none should become a dead letter; an admin fixes the bucket and resumes.
 */
export function outcomeOfS3Error(err: unknown, bucket: string, now: number): SendOutcome {
  if (!(err instanceof S3ServiceException)) {
    const message = err instanceof Error ? err.message || err.name : String(err);
    return { kind: 'retry', error: `s3 ${bucket}: ${message}` };
  }
  const status = err.$metadata.httpStatusCode ?? 0;
  const error = `s3 ${bucket}: ${status ? `HTTP ${status} ` : ''}${err.name}${err.message && err.message !== err.name ? `: ${err.message.slice(0, 300)}` : ''}`;
  if (TOO_LARGE_CODES.has(err.name) || status === 413) return { kind: 'rejected', error };
  if (RETRY_CODES.has(err.name) || status === 0 || status === 408 || status === 429 || status >= 500) {
    const after = retryAfterMs(err.$response?.headers['retry-after'], now);
    return after === undefined ? { kind: 'retry', error } : { kind: 'retry', error, retryAfterMs: after };
  }
  return { kind: 'refused', error };
}
