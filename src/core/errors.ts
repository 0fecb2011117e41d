import type { Problem } from './schema.js';

/**
 * The closed catalogue of errors Trailkeep answers with. Each dialect renders these in its own
 * envelope; nothing else (driver errors, stack traces) ever reaches a client.
 */
export const ERRORS = {
  invalid_json: { status: 400, message: 'The request body is not valid JSON.' },
  invalid_request: { status: 400, message: 'The request is invalid.' },
  invalid_event: { status: 400, message: 'One or more events are invalid; nothing was stored.' },
  invalid_cursor: { status: 400, message: 'The cursor is malformed, tampered with or not yours.' },
  unauthorized: { status: 401, message: 'A valid credential is required.' },
  forbidden: { status: 403, message: 'The credential lacks the scope this needs.' },
  not_found: { status: 404, message: 'Not found.' },
  conflict: { status: 409, message: 'The resource already exists with different content.' },
  job_not_ready: { status: 409, message: 'The job has not succeeded (yet).' },
  payload_too_large: { status: 413, message: 'The request body is too large.' },
  unsupported_media_type: { status: 415, message: 'Unsupported content type.' },
  rate_limited: { status: 429, message: 'Too many requests.' },
  insufficient_storage: { status: 507, message: 'The tenant has used its storage quota.' },
  unavailable: { status: 503, message: 'The store is unavailable; retry later.' },
  internal: { status: 500, message: 'Internal error.' },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof ERRORS;

export class TrailkeepError extends Error {
  readonly status: number;

  constructor(
    readonly code: ErrorCode,
    message?: string,
    readonly details?: Problem[] | Record<string, unknown>,
  ) {
    super(message ?? ERRORS[code].message);
    this.name = 'TrailkeepError';
    this.status = ERRORS[code].status;
  }
}

/**
 * A request parameter refused: the message names the parameter as the client wrote it
 * (`filter[created_at] needs a start and an end time.`), and its one problem says where it is
 * (`query.filter[created_at]`, `$.interval`; by default the name itself), which is what the
 * dialects' envelopes render.
 */
export const invalidParameter = (
  name: string,
  message: string,
  path: string = name,
  code: 'invalid_request' | 'invalid_cursor' = 'invalid_request',
): never => {
  throw new TrailkeepError(code, `${name} ${message}`, [{ path, message }]);
};
