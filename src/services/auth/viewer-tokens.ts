import type { JWTPayload } from 'jose';
import { invalidParameter } from '../../core/errors.js';
import type { FilterParams } from '../../core/filters.js';
import { toEventFilter } from '../../core/filters.js';
import { compileSchema } from '../../core/schema.js';
import {
  DEFAULT_VIEWER_TTL_SECONDS,
  MAX_VIEWER_FILTERS_CHARS,
  type ViewerActor,
  ViewerClaimSchema,
  type ViewerGrant,
} from '../../core/viewer.js';

/** What `POST /v1/viewer-tokens` asks for, validated by its schema. */
export interface ViewerTokenRequest {
  actor: ViewerActor;
  filters?: FilterParams;
  ttl_seconds?: number;
}

/**
 * The grant and lifetime of a token to mint, or a 400 naming the member: a lifetime outside 1 …
 * `maxTtl` (the route's schema says the same, for the document; the service holds the rule for
 * any caller), filters too long to carry, or a filter value the schema cannot judge (a date-time
 * outside years 0000-9999).
 */
export function viewerGrantOf(req: ViewerTokenRequest, maxTtl: number): { grant: ViewerGrant; ttl: number } {
  const ttl = req.ttl_seconds ?? Math.min(DEFAULT_VIEWER_TTL_SECONDS, maxTtl);
  if (!Number.isInteger(ttl) || ttl < 1 || ttl > maxTtl) {
    invalidParameter(
      'ttl_seconds',
      `must be a whole number of seconds from 1 to ${maxTtl}.`,
      '$.ttl_seconds',
    );
  }
  const filters = req.filters ?? {};
  if (JSON.stringify(filters).length > MAX_VIEWER_FILTERS_CHARS) {
    invalidParameter(
      'filters',
      `take at most ${MAX_VIEWER_FILTERS_CHARS} characters of JSON in a viewer token.`,
      '$.filters',
    );
  }
  toEventFilter(filters);
  return { grant: { actor: req.actor, filters }, ttl };
}

const checkClaim = compileSchema<ViewerGrant>(ViewerClaimSchema);

/** The grant a verified token's `viewer` claim carries; null when it has none or it is malformed. */
export function grantOf(payload: JWTPayload): ViewerGrant | null {
  const claim = payload.viewer;
  return claim !== undefined && checkClaim(claim) ? claim : null;
}
