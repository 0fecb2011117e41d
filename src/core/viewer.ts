import { type Static, Type } from 'typebox';
import type { EventInput } from './event/schema.js';
import { FilterBodySchema, type FilterParams } from './filters.js';

/**
 * Viewer tokens (docs/embedding.md): short-lived, read-only credentials a SaaS backend mints for
 * one of its customer's users, bound to a tenant and narrowed to filters, for a page that embeds
 * the audit log. What they are and what a read through one records; no I/O.
 */

/** The action of the event each read through a viewer token records. */
export const VIEW_ACTION = 'audit.log.view';

/** A viewer token's lifetime when the request names none: long enough to load a page and page through it. */
export const DEFAULT_VIEWER_TTL_SECONDS = 900;

/**
 * The most JSON text a token's filters may take. The token rides in an HTML attribute and in the
 * header of every request, and each recorded view holds its narrowing whole in one `context`
 * value (at most 4,000 characters, core/event/schema.ts).
 */
export const MAX_VIEWER_FILTERS_CHARS = 4000;

/** The user the token is for, as the SaaS backend names them: the actor of every view it records. */
export const ViewerActorSchema = Type.Object(
  {
    id: Type.String({ minLength: 1, maxLength: 256, description: 'The user’s id in the embedding product.' }),
    name: Type.Optional(
      Type.String({ minLength: 1, maxLength: 512, description: 'Shown with their views.' }),
    ),
  },
  { additionalProperties: false },
);

export type ViewerActor = Static<typeof ViewerActorSchema>;

/** What a viewer token grants, as minted (`POST /v1/viewer-tokens`) and as carried in its claims. */
export interface ViewerGrant {
  actor: ViewerActor;
  /** The narrowing in the request form exports take; `{}` narrows nothing. */
  filters: FilterParams;
}

/**
 * The `viewer` claim of a viewer token; the other claims are an access token's (`iss`, `sub`
 * the issuing credential, `tnt`, `scope`, `iat`, `exp`) plus a `jti`. Its presence is what makes
 * a token a viewer token.
 */
export const ViewerClaimSchema = Type.Object({
  actor: ViewerActorSchema,
  filters: FilterBodySchema,
});

/** What a read through a viewer token asked, as the HTTP layer saw it. */
export interface ViewRequest {
  /** Method and route pattern: `GET /v1/events/:id`. */
  route: string;
  /** The request's path parameters, query and body, as validated. */
  asked: Record<string, unknown>;
  /** The client's address, when it is one (behind a proxy, what TRAILKEEP_TRUST_PROXY lets through). */
  ip?: string;
  userAgent?: string;
  requestId: string;
}

/** The longest text `context` and `description` values take (core/event/schema.ts). */
const CONTEXT_CHARS = 4000;

/** `text` cut to at most `max` UTF-16 units, never between the two halves of a surrogate pair (a lone half is refused at ingest). */
export function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  const end = /[\uD800-\uDBFF]/.test(text.charAt(max - 2)) ? max - 2 : max - 1;
  return `${text.slice(0, end)}…`;
}

/**
 * The event a read through a viewer token records in its tenant: `audit.log.view` by the token's
 * actor, through the credential that minted it (`client`), what was asked and the token's
 * narrowing in `context`. Everything here fits the event schema's bounds.
 */
export function viewEvent(
  grant: ViewerGrant & { credentialId: string; tokenId: string },
  view: ViewRequest,
  at: number,
): EventInput {
  return {
    occurred_at: new Date(at).toISOString(),
    action: VIEW_ACTION,
    category: 'data',
    service: 'trailkeep',
    actor: { ...grant.actor, type: 'user' },
    client: { id: grant.credentialId },
    source: {
      ...(view.ip ? { ip: [view.ip] } : {}),
      ...(view.userAgent ? { user_agent: clip(view.userAgent, 1024) } : {}),
      request_id: view.requestId,
      token_id: grant.tokenId,
    },
    target: { type: 'audit_log' },
    description: `Read the audit log through a viewer token: ${view.route}`,
    context: {
      route: view.route,
      request: clip(JSON.stringify(view.asked), CONTEXT_CHARS),
      narrowing: clip(JSON.stringify(grant.filters), CONTEXT_CHARS),
    },
  };
}
