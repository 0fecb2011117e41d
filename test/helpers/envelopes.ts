import { ERRORS, type ErrorCode } from '../../src/core/errors.js';

/**
 * The error envelope of each API dialect, as its clients expect it on the wire
 * (docs/<dialect>.md), written here independently of src/ so a change to an envelope in src/ has
 * to be a change to this file too. `checkEnvelope` lists what is wrong with an error
 * response; an empty list means it is the dialect's own envelope.
 */
export const DIALECTS = ['native', 'oauth', 'genesys', 'zendesk', 'agilicus', 'liveperson'] as const;
export type Dialect = (typeof DIALECTS)[number];

/** What a check needs of a response (light-my-request's and the raw socket client's both fit). */
export interface WireResponse {
  statusCode: number;
  headers: Record<string, string | string[] | number | undefined>;
  body: string;
}

/**
 * The dialect whose envelope answers `method path`: the routes a dialect declares, and every
 * unknown path under its prefix (its not-found handler). Agilicus owns only its two GET routes
 * under /v1 and sets no not-found handler, so anything else under /v1 is native.
 */
export function dialectOf(method: string, url: string): Dialect {
  // The router ignores one trailing slash.
  const path = (url.split('?')[0] ?? '').replace(/(.)\/$/, '$1');
  const under = (prefix: string) => path === prefix || path.startsWith(`${prefix}/`);
  if (path === '/oauth/token' && method === 'POST') return 'oauth';
  if ((path === '/v1/audits' || path === '/v1/auth_audits') && (method === 'GET' || method === 'HEAD')) {
    return 'agilicus';
  }
  if (under('/api/v2/audits')) return 'genesys';
  if (under('/api/v2')) return 'zendesk';
  if (under('/api/account')) return 'liveperson';
  return 'native';
}

const CODES = Object.keys(ERRORS) as ErrorCode[];
const OAUTH_ERRORS = [
  'invalid_request',
  'invalid_client',
  'invalid_grant',
  'unauthorized_client',
  'unsupported_grant_type',
  'invalid_scope',
  // RFC 8707: a token asked for a tenant the credential may not have.
  'invalid_target',
  'server_error',
];
const GENESYS_CODES = [
  'bad.request',
  'invalid.value',
  'bad.credentials',
  'missing.permissions',
  'not.found',
  'conflict',
  'request.entity.too.large',
  'unsupported.media.type',
  'too.many.requests',
  'insufficient.storage',
  'service.unavailable',
  'internal.server.error',
];
const ZENDESK_ERRORS = [
  'InvalidJSON',
  'InvalidValue',
  'RecordInvalid',
  'InvalidPaginationParameter',
  "Couldn't authenticate you",
  'Forbidden',
  'RecordNotFound',
  'Conflict',
  'PayloadTooLarge',
  'UnsupportedMediaType',
  'TooManyRequests',
  'InsufficientStorage',
  'ServiceUnavailable',
  'InternalError',
];

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const header = (res: WireResponse, name: string) => {
  const v = res.headers[name];
  return Array.isArray(v) ? v.join(', ') : v === undefined ? undefined : String(v);
};

/** Problems with `body` (parsed) as the envelope of `dialect` for `status`. */
type Checker = (body: unknown, status: number, res: WireResponse) => string[];

function keysExactly(o: Json, required: string[], optional: string[] = []): string[] {
  const out: string[] = [];
  for (const k of required) if (!(k in o)) out.push(`missing ${k}`);
  for (const k of Object.keys(o)) {
    if (!required.includes(k) && !optional.includes(k)) out.push(`unexpected key ${k}`);
  }
  return out;
}

const nonEmptyString = (v: unknown, name: string): string[] =>
  typeof v === 'string' && v.length > 0 ? [] : [`${name} must be a non-empty string`];

const CHECKERS: Record<Dialect, Checker> = {
  native(body, status, res) {
    if (!isObject(body)) return ['not an object'];
    const out = keysExactly(body, ['error', 'request_id']);
    const error = body.error;
    if (!isObject(error)) return [...out, 'error must be an object'];
    out.push(...keysExactly(error, ['code', 'message'], ['details']));
    if (!CODES.includes(error.code as ErrorCode))
      out.push(`error.code ${String(error.code)} is not in the catalogue`);
    else if (ERRORS[error.code as ErrorCode].status !== status) {
      out.push(
        `error.code ${String(error.code)} is a ${ERRORS[error.code as ErrorCode].status}, not ${status}`,
      );
    }
    out.push(...nonEmptyString(error.message, 'error.message'));
    out.push(...nonEmptyString(body.request_id, 'request_id'));
    const id = header(res, 'x-request-id');
    if (id !== undefined && id !== body.request_id) out.push('request_id is not the x-request-id header');
    return out;
  },
  oauth(body) {
    if (!isObject(body)) return ['not an object'];
    const out = keysExactly(body, ['error', 'error_description']);
    if (!OAUTH_ERRORS.includes(body.error as string))
      out.push(`error ${String(body.error)} is not RFC 6749's`);
    out.push(...nonEmptyString(body.error_description, 'error_description'));
    return out;
  },
  genesys(body, status, res) {
    if (!isObject(body)) return ['not an object'];
    const out = keysExactly(body, ['message', 'code', 'status', 'contextId', 'details', 'errors']);
    out.push(...nonEmptyString(body.message, 'message'));
    if (!GENESYS_CODES.includes(body.code as string))
      out.push(`code ${String(body.code)} is not a Genesys code`);
    if (body.status !== status) out.push(`status ${String(body.status)} is not the HTTP status ${status}`);
    out.push(...nonEmptyString(body.contextId, 'contextId'));
    const id = header(res, 'x-request-id');
    if (id !== undefined && id !== body.contextId) out.push('contextId is not the x-request-id header');
    if (!Array.isArray(body.details)) out.push('details must be an array');
    else {
      for (const d of body.details) {
        if (!isObject(d)) out.push('a details entry is not an object');
        else {
          out.push(...keysExactly(d, [], ['errorCode', 'fieldName', 'entityId', 'entityName']));
          if (typeof d.fieldName !== 'string') out.push('a details entry has no fieldName');
          else if (/^(?:\[|query\b|path\b|\$)/.test(d.fieldName))
            out.push(`fieldName ${d.fieldName} is not the field as sent`);
        }
      }
    }
    if (!Array.isArray(body.errors)) out.push('errors must be an array');
    return out;
  },
  zendesk(body, status) {
    if (!isObject(body)) return ['not an object'];
    if (status === 401) {
      return JSON.stringify(body) === `{"error":"Couldn't authenticate you"}`
        ? []
        : ['a 401 must be exactly {"error":"Couldn\'t authenticate you"}'];
    }
    const out = keysExactly(body, ['error', 'description'], ['details']);
    if (!ZENDESK_ERRORS.includes(body.error as string) || body.error === "Couldn't authenticate you") {
      out.push(`error ${String(body.error)} is not a Zendesk label for a ${status}`);
    }
    out.push(...nonEmptyString(body.description, 'description'));
    if ('details' in body) {
      if (!isObject(body.details)) out.push('details must be an object');
      else {
        for (const [field, list] of Object.entries(body.details)) {
          if (/^(?:\[|query\b|path\b|\$)/.test(field))
            out.push(`details names ${field}, not the parameter as sent`);
          const ok =
            Array.isArray(list) &&
            list.every(
              (d) =>
                isObject(d) &&
                keysExactly(d, ['description', 'error']).length === 0 &&
                typeof d.description === 'string' &&
                typeof d.error === 'string',
            );
          if (!ok) out.push(`details.${field} must be [{description, error}]`);
        }
      }
    }
    return out;
  },
  agilicus(body, status) {
    if (!isObject(body)) return ['not an object'];
    const out = keysExactly(body, ['error_code', 'error_message']);
    if (!CODES.includes(body.error_code as ErrorCode)) {
      out.push(`error_code ${String(body.error_code)} is not in the catalogue`);
    } else if (ERRORS[body.error_code as ErrorCode].status !== status) {
      out.push(`error_code ${String(body.error_code)} is not a ${status}`);
    }
    out.push(...nonEmptyString(body.error_message, 'error_message'));
    return out;
  },
  liveperson(body) {
    if (!isObject(body)) return ['not an object'];
    const out = keysExactly(body, ['errors']);
    if (!Array.isArray(body.errors) || body.errors.length === 0)
      return [...out, 'errors must be a non-empty array'];
    for (const e of body.errors) {
      if (!isObject(e) || keysExactly(e, ['message']).length > 0 || typeof e.message !== 'string') {
        out.push('each error must be exactly {message: string}');
      }
    }
    return out;
  },
};

/**
 * Everything wrong with `res` as an error response of `dialect`: a 4xx or 5xx status, a JSON
 * content type, a body that parses, the dialect's envelope, the request id header, and
 * `WWW-Authenticate` on a 401.
 */
export function checkEnvelope(dialect: Dialect, res: WireResponse): string[] {
  if (res.statusCode < 400 || res.statusCode > 599) return [`status ${res.statusCode} is not an error`];
  const out: string[] = [];
  const type = header(res, 'content-type') ?? '';
  if (!/^application\/json\b/.test(type)) out.push(`content-type ${type || '(none)'} is not JSON`);
  let body: unknown;
  try {
    body = JSON.parse(res.body);
  } catch {
    return [...out, `body is not JSON: ${res.body.slice(0, 200)}`];
  }
  out.push(...CHECKERS[dialect](body, res.statusCode, res));
  if (!header(res, 'x-request-id')) out.push('no x-request-id header');
  if (res.statusCode === 401 && !header(res, 'www-authenticate')) out.push('a 401 without WWW-Authenticate');
  return out;
}

/** Throws, naming the request and every problem, unless `res` is an error in `dialect`'s envelope. */
export function assertEnvelope(dialect: Dialect, res: WireResponse, what: string): void {
  const problems = checkEnvelope(dialect, res);
  if (problems.length > 0) {
    throw new Error(
      `${what}: not a ${dialect} error envelope (${problems.join('; ')}): ${res.statusCode} ${res.body.slice(0, 300)}`,
    );
  }
}
