import { Type } from 'typebox';

/** Every string parameter: an empty value (the SDK's default) means "no filter". */
const Str = (description: string) => Type.Optional(Type.String({ maxLength: 512, description }));
const Strs = (description: string) =>
  Type.Optional(Type.Array(Type.String({ maxLength: 512 }), { maxItems: 100, description }));

const TIME_HELP =
  'UTC; RFC 3339 / ISO date, or now, today, yesterday, now-1day, now-3h, now+15m, today-1week (s/m/h/d/w or second/minute/hour/day/week). Empty: no bound.';

const common = {
  limit: Type.Integer({
    minimum: 1,
    maximum: 500,
    default: 500,
    description: 'Rows to return, newest first.',
  }),
  user_id: Str('The actor’s id.'),
  dt_from: Str(`Occurred at or after (inclusive). ${TIME_HELP}`),
  dt_to: Str(`Occurred before (exclusive). ${TIME_HELP}`),
  org_id: Str('The caller’s own tenant; any other org has no audits for this caller.'),
};

export const AuditsQuery = Type.Object({
  ...common,
  action: Str('The action, exactly.'),
  target_id: Str('target.id'),
  token_id: Str('source.token_id'),
  api_name: Str('service'),
  target_resource_type: Str('target.type'),
  attribute_type: Str('Any attribute’s type (ORed with attribute_type_list).'),
  attribute_id: Str('Any attribute’s id (ORed with attribute_id_list).'),
  attribute_org_id: Str('Any attribute’s org_id.'),
  resources_behind_connector_id: Str('Accepted and ignored: Trailkeep has no connectors.'),
  attribute_type_list: Strs('Repeated key; any attribute’s type is one of these.'),
  attribute_id_list: Strs('Repeated key; any attribute’s id is one of these.'),
});

export const AuthAuditsQuery = Type.Object({
  ...common,
  session_id: Str('source.session_id'),
  trace_id: Str('source.trace_id'),
  upstream_user_id: Str('auth.upstream_user_id'),
  upstream_idp: Str('auth.upstream_idp'),
  login_org_id: Str('auth.login_org_id'),
  source_ip: Str('Any of source.ip.'),
  client_id: Str('client.id'),
  event: Str('auth.event'),
  stage: Str('auth.stage'),
  request_id: Str('source.request_id'),
  result: Str('The result as shown: auth.result, else Success or Failure from the outcome.'),
  event_name: Str('The action, exactly.'),
});

const S = Type.Optional(Type.String());

export const AuditAttribute = Type.Object({
  attribute_type: S,
  attribute_id: S,
  attribute_org_id: S,
  attribute_name: S,
});

export const Audit = Type.Object({
  user_id: S,
  org_id: Type.String(),
  time: Type.String({ format: 'date-time' }),
  action: Type.String(),
  source_ip: S,
  target_id: S,
  target_resource_type: S,
  api_name: S,
  token_id: S,
  trace_id: S,
  session: S,
  parent_id: S,
  grandparent_id: S,
  attributes: Type.Optional(Type.Array(AuditAttribute)),
});

export const AuthAudit = Type.Object({
  user_id: S,
  org_id: Type.String(),
  time: Type.String({ format: 'date-time' }),
  event: S,
  event_name: Type.String(),
  source_ip: S,
  token_id: S,
  trace_id: S,
  session: S,
  issuer: S,
  client_id: S,
  application_name: S,
  login_org_id: S,
  login_org_name: S,
  upstream_idp: S,
  upstream_user_id: S,
  stage: S,
  result: Type.String(),
  user_agent: S,
  request_id: S,
});

export const ListAuditsResponse = Type.Object({ limit: Type.Integer(), audits: Type.Array(Audit) });
export const ListAuthAuditsResponse = Type.Object({
  limit: Type.Integer(),
  auth_audits: Type.Array(AuthAudit),
});

export const ErrorMessage = Type.Object({ error_code: Type.String(), error_message: Type.String() });
export const ErrorResponses = { '4xx': ErrorMessage, '5xx': ErrorMessage } as const;
