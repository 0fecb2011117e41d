import type { Static } from 'typebox';
import type { Audit, AuthAudit } from './schemas.js';

/** The stored event, as far as the Agilicus views read it (docs/event-model.md §1–2). */
export interface Stored {
  tenant: string;
  occurred_at: string;
  action: string;
  outcome?: string;
  service?: string;
  actor?: { id?: string; user_agent?: string };
  client?: { id?: string; name?: string };
  source?: {
    ip?: string[];
    user_agent?: string;
    session_id?: string;
    trace_id?: string;
    token_id?: string;
    request_id?: string;
  };
  target?: { type?: string; id?: string; parents?: { type?: string; id?: string }[] };
  auth?: {
    event?: string;
    stage?: string;
    result?: string;
    issuer?: string;
    upstream_idp?: string;
    upstream_user_id?: string;
    login_org_id?: string;
    login_org_name?: string;
    application_name?: string;
  };
  attributes?: { type?: string; id?: string; org_id?: string; name?: string }[];
}

/** Fields the event lacks are left out, not sent as null. */
const defined = <T extends object>(o: T): T =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;

/** `auth.result`, else the outcome as `Success` or `Failure` (a warning still succeeded). */
export const resultOf = (e: Stored): string =>
  e.auth?.result ?? (e.outcome === 'failure' ? 'Failure' : 'Success');

/** An event of category admin, data or system as an Agilicus `Audit` (docs/event-model.md §3). */
export function auditOf(e: Stored): Static<typeof Audit> {
  return defined({
    user_id: e.actor?.id,
    org_id: e.tenant,
    time: e.occurred_at,
    action: e.action,
    source_ip: e.source?.ip?.[0],
    target_id: e.target?.id,
    target_resource_type: e.target?.type,
    api_name: e.service,
    token_id: e.source?.token_id,
    trace_id: e.source?.trace_id,
    session: e.source?.session_id,
    parent_id: e.target?.parents?.[0]?.id,
    grandparent_id: e.target?.parents?.[1]?.id,
    attributes: e.attributes?.map((a) =>
      defined({
        attribute_type: a.type,
        attribute_id: a.id,
        attribute_org_id: a.org_id,
        attribute_name: a.name,
      }),
    ),
  });
}

/** An event of category auth as an Agilicus `AuthAudits` (docs/event-model.md §3). */
export function authAuditOf(e: Stored): Static<typeof AuthAudit> {
  return defined({
    user_id: e.actor?.id,
    org_id: e.tenant,
    time: e.occurred_at,
    event: e.auth?.event,
    event_name: e.action,
    source_ip: e.source?.ip?.[0],
    token_id: e.source?.token_id,
    trace_id: e.source?.trace_id,
    session: e.source?.session_id,
    issuer: e.auth?.issuer,
    client_id: e.client?.id,
    application_name: e.auth?.application_name ?? e.client?.name,
    login_org_id: e.auth?.login_org_id,
    login_org_name: e.auth?.login_org_name,
    upstream_idp: e.auth?.upstream_idp,
    upstream_user_id: e.auth?.upstream_user_id,
    stage: e.auth?.stage,
    result: resultOf(e),
    user_agent: e.source?.user_agent ?? e.actor?.user_agent,
    request_id: e.source?.request_id,
  });
}
