import type { ErrorCode } from '../../core/errors.js';
import type { Problem } from '../../core/schema.js';
import { clientFieldName, dialectErrors } from '../envelope.js';

/**
 * The closed catalogue as Zendesk error labels. A 401 is the bare `{"error":"Couldn't
 * authenticate you"}`; 403 and 404 carry Zendesk's own descriptions; every other error keeps the
 * catalogue's message as its description.
 */
const ZENDESK: Record<ErrorCode, { error: string; description?: string }> = {
  invalid_json: { error: 'InvalidJSON' },
  invalid_request: { error: 'InvalidValue' },
  invalid_event: { error: 'RecordInvalid' },
  invalid_cursor: { error: 'InvalidPaginationParameter' },
  unauthorized: { error: "Couldn't authenticate you" },
  forbidden: {
    error: 'Forbidden',
    description:
      'You do not have access to this page. Please contact the account owner of this help desk for further help.',
  },
  not_found: { error: 'RecordNotFound', description: 'Not found' },
  conflict: { error: 'Conflict' },
  job_not_ready: { error: 'Conflict' },
  payload_too_large: { error: 'PayloadTooLarge' },
  unsupported_media_type: { error: 'UnsupportedMediaType' },
  rate_limited: { error: 'TooManyRequests' },
  insufficient_storage: { error: 'InsufficientStorage' },
  unavailable: { error: 'ServiceUnavailable' },
  internal: { error: 'InternalError' },
};

/** `{"field":[{"description","error"}]}` from the problems an error names. */
function detailsOf(problems: Problem[]): Record<string, { description: string; error: string }[]> | null {
  if (problems.length === 0) return null;
  const out: Record<string, { description: string; error: string }[]> = {};
  for (const p of problems) {
    const name = clientFieldName(p.path) || 'base';
    const list = out[name] ?? [];
    list.push({ description: `${name} ${p.message}`.trim(), error: 'InvalidValue' });
    out[name] = list;
  }
  return out;
}

/** Zendesk's envelope `{"error","description","details"}`; a 401 is the bare error. */
export const zendeskErrors = dialectErrors({
  challenge: 'Basic realm="Web Password"',
  body(e, _req, problems) {
    const wire = ZENDESK[e.code];
    if (e.code === 'unauthorized') return { error: wire.error };
    const details = detailsOf(problems);
    return {
      error: wire.error,
      description: wire.description ?? (e.code === 'internal' ? 'Internal error.' : e.message),
      ...(details ? { details } : {}),
    };
  },
});
