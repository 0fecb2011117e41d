import type { FastifyError } from 'fastify';
import { TrailkeepError } from '../core/errors.js';
import { formatSchemaErrors } from '../core/schema.js';

const PART_ROOT: Record<string, string> = {
  body: '$',
  querystring: 'query',
  params: 'path',
  headers: 'headers',
};

/**
 * Maps anything thrown while serving a request onto the closed catalogue. Framework errors
 * (bad JSON, size, media type, schema validation) become their 4xx; anything unknown becomes
 * `internal`, which the caller logs and renders without its message.
 */
export function classify(err: unknown): TrailkeepError {
  if (err instanceof TrailkeepError) return err;
  const e = err as Partial<FastifyError> & { validationContext?: string };
  if (e.validation) {
    const problems = formatSchemaErrors(
      e.validation as never,
      PART_ROOT[e.validationContext ?? 'body'] ?? '$',
    );
    const first = problems[0];
    return new TrailkeepError(
      'invalid_request',
      first ? `${first.path} ${first.message}` : undefined,
      problems,
    );
  }
  switch (e.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new TrailkeepError('payload_too_large');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new TrailkeepError(
        e.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' ? 'unsupported_media_type' : 'invalid_request',
      );
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new TrailkeepError('invalid_json', 'The request body is empty.');
  }
  // Fastify's JSON parser (secure-json-parse) refuses these keys as if the JSON were malformed.
  if (err instanceof SyntaxError && err.message === 'Object contains forbidden prototype property') {
    return new TrailkeepError(
      'invalid_json',
      'The request body has a __proto__ or constructor.prototype key, which is refused: JavaScript would read it as a prototype, not a field.',
    );
  }
  if (err instanceof SyntaxError || e.code === 'FST_ERR_CTP_INVALID_JSON_BODY') {
    return new TrailkeepError('invalid_json');
  }
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    return new TrailkeepError(
      e.statusCode === 404 ? 'not_found' : 'invalid_request',
      e.statusCode === 404 ? undefined : e.message,
    );
  }
  return new TrailkeepError('internal');
}
