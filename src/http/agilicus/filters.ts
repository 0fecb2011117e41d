import type { Static } from 'typebox';
import { invalidParameter } from '../../core/errors.js';
import type { EventFilter, FilterField } from '../../core/query.js';
import { HUMAN_TIME_FORMS, parseHumanTime } from '../../core/time.js';
import type { AuditsQuery, AuthAuditsQuery } from './schemas.js';

/** Categories each list shows (docs/event-model.md §3). */
const AUDIT_CATEGORIES = ['admin', 'data', 'system'];
const AUTH_CATEGORIES = ['auth'];

/** What a list reads: the store filter, and whether there is anything to read. */
export interface AgilicusRead {
  filter: EventFilter;
  /** `org_id` names another org: nothing to read, as if that org had no audits. */
  otherOrg: boolean;
}

/** Non-empty values only: the SDK sends "" for "no filter". */
const given = (...values: (string | string[] | undefined)[]): string[] =>
  values.flatMap((v) => (v === undefined ? [] : Array.isArray(v) ? v : [v])).filter((v) => v !== '');

/**
 * `dt_from` / `dt_to` in the human-friendly grammar, against one `now` per request. Query strings
 * turn an unencoded `+` into a space (`now+15m` arrives as `now 15m`), so a value that does not
 * parse as given is tried once more with its spaces read as `+`.
 */
function timeOf(name: string, value: string | undefined, now: number): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const at =
    parseHumanTime(value, now) ??
    (value.includes(' ') ? parseHumanTime(value.replaceAll(' ', '+'), now) : null);
  if (at !== null) return at;
  return invalidParameter(name, `must be ${HUMAN_TIME_FORMS}.`, `query.${name}`);
}

function build(
  tenant: string,
  q: { org_id?: string | undefined; dt_from?: string | undefined; dt_to?: string | undefined },
  now: number,
  fields: Partial<Record<FilterField, string[]>>,
): EventFilter & { otherOrg: boolean } {
  const filter: EventFilter = {
    fields: Object.fromEntries(Object.entries(fields).filter(([, v]) => v && v.length > 0)),
  };
  const from = timeOf('dt_from', q.dt_from, now);
  const to = timeOf('dt_to', q.dt_to, now);
  if (from !== undefined) filter.from = from;
  if (to !== undefined) filter.to = to;
  const org = given(q.org_id)[0];
  return { ...filter, otherOrg: org !== undefined && org !== tenant };
}

const split = ({ otherOrg, ...filter }: EventFilter & { otherOrg: boolean }) => ({ filter, otherOrg });

export function auditsRead(tenant: string, q: Static<typeof AuditsQuery>, now: number): AgilicusRead {
  return split(
    build(tenant, q, now, {
      category: AUDIT_CATEGORIES,
      actor_id: given(q.user_id),
      action: given(q.action),
      target_id: given(q.target_id),
      token_id: given(q.token_id),
      service: given(q.api_name),
      target_type: given(q.target_resource_type),
      attribute_type: given(q.attribute_type, q.attribute_type_list),
      attribute_id: given(q.attribute_id, q.attribute_id_list),
      attribute_org_id: given(q.attribute_org_id),
    }),
  );
}

export function authAuditsRead(tenant: string, q: Static<typeof AuthAuditsQuery>, now: number): AgilicusRead {
  const result = given(q.result)[0];
  const read = split(
    build(tenant, q, now, {
      category: AUTH_CATEGORIES,
      actor_id: given(q.user_id),
      session_id: given(q.session_id),
      trace_id: given(q.trace_id),
      auth_upstream_user_id: given(q.upstream_user_id),
      auth_upstream_idp: given(q.upstream_idp),
      auth_login_org_id: given(q.login_org_id),
      ip: given(q.source_ip),
      client_id: given(q.client_id),
      auth_event: given(q.event),
      auth_stage: given(q.stage),
      request_id: given(q.request_id),
      action: given(q.event_name),
    }),
  );
  // Matched on the shown value (mapping.ts resultOf), by the store.
  return result === undefined ? read : { ...read, filter: { ...read.filter, result } };
}
