import type { ErrorCode } from '../../core/errors.js';
import { clientFieldName, dialectErrors } from '../envelope.js';

/**
 * The closed catalogue as Genesys ErrorBody codes (the swagger's x-inin-error-codes). Genesys
 * answers "results asked for too early" with a 400, not the catalogue's 409: the status is
 * part of the wire format, so the dialect overrides it here and nowhere else.
 */
const GENESYS: Record<ErrorCode, { code: string; status?: number }> = {
  invalid_json: { code: 'bad.request' },
  invalid_request: { code: 'bad.request' },
  invalid_event: { code: 'bad.request' },
  invalid_cursor: { code: 'bad.request' },
  unauthorized: { code: 'bad.credentials' },
  forbidden: { code: 'missing.permissions' },
  not_found: { code: 'not.found' },
  conflict: { code: 'conflict' },
  job_not_ready: { code: 'bad.request', status: 400 },
  payload_too_large: { code: 'request.entity.too.large' },
  unsupported_media_type: { code: 'unsupported.media.type' },
  rate_limited: { code: 'too.many.requests' },
  insufficient_storage: { code: 'insufficient.storage' },
  unavailable: { code: 'service.unavailable' },
  internal: { code: 'internal.server.error' },
};

/**
 * Genesys `ErrorBody`: `{message, code, status, contextId, details, errors}`. A 400 that names
 * fields is `invalid.value`, each field a `details` entry; `contextId` is the request id.
 */
export const genesysErrors = dialectErrors({
  challenge: 'Bearer',
  status: (e) => GENESYS[e.code].status,
  body(e, req, problems) {
    const fields = problems.map((p) => ({
      errorCode: 'invalid.value',
      fieldName: clientFieldName(p.path) || 'body',
    }));
    const message = problems.length
      ? problems.map((p) => `${clientFieldName(p.path) || 'The request body'} ${p.message}`.trim()).join('; ')
      : e.message;
    return {
      message,
      code: fields.length ? 'invalid.value' : GENESYS[e.code].code,
      status: GENESYS[e.code].status ?? e.status,
      contextId: req.id,
      details: fields,
      errors: [],
    };
  },
});
