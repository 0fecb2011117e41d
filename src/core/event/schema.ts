import { type Static, Type } from 'typebox';
import { TENANT_ID_PATTERN } from '../tenant.js';

/**
 * The canonical audit event as a client sends it (docs/event-model.md §1). This one definition
 * validates ingest (HTTP and CLI), types the code and documents the API.
 */
const Str = (max: number, description?: string) =>
  Type.String(description ? { maxLength: max, description } : { maxLength: max });
const Opt = Type.Optional;
const strict = { additionalProperties: false } as const;

export const CATEGORIES = ['admin', 'auth', 'data', 'system'] as const;
export const OUTCOMES = ['success', 'failure', 'warning'] as const;
export const LEVELS = ['user', 'system'] as const;

const Enum = <const T extends readonly string[]>(values: T, description: string) =>
  Type.Enum(values, { description });

export const ActorSchema = Type.Object(
  {
    id: Opt(Str(256)),
    type: Opt(Str(64, 'user, client, system, rule, api_token, or free text')),
    name: Opt(Str(512)),
    email: Opt(Str(320)),
    login: Opt(Str(320)),
    home_org_id: Opt(Str(256)),
    auth_type: Opt(Str(128)),
    user_agent: Opt(Str(1024)),
    privileged: Opt(Type.Boolean({ description: 'Acted as vendor staff (LivePerson LPA).' })),
  },
  strict,
);

export const SourceSchema = Type.Object(
  {
    ip: Opt(Type.Array(Str(64, 'IPv4 or IPv6 address'), { maxItems: 32 })),
    user_agent: Opt(Str(1024)),
    session_id: Opt(Str(256)),
    trace_id: Opt(Str(256)),
    token_id: Opt(Str(256)),
    request_id: Opt(Str(256)),
  },
  strict,
);

export const TargetSchema = Type.Object(
  {
    type: Opt(Str(200)),
    id: Opt(Str(256)),
    name: Opt(Str(1024)),
    parents: Opt(
      Type.Array(Type.Object({ type: Opt(Str(200)), id: Opt(Str(256)) }, strict), { maxItems: 16 }),
    ),
  },
  strict,
);

const Values = Type.Array(Str(8192), { maxItems: 1000 });

export const EventInputSchema = Type.Object(
  {
    id: Opt(
      Type.String({
        minLength: 1,
        maxLength: 128,
        description:
          'Client id; makes the write idempotent. Not a bare positive integer: GET /v1/events/{n} reads a number as the seq.',
      }),
    ),
    tenant: Opt(
      Type.String({
        pattern: TENANT_ID_PATTERN,
        description:
          'The tenant the event belongs to. Operator keys name it here or for the whole batch with the Trailkeep-Tenant header; a tenant-bound credential may name only its own tenant.',
      }),
    ),
    occurred_at: Type.String({ format: 'date-time', description: 'When it happened (RFC 3339).' }),
    action: Type.String({ minLength: 1, maxLength: 200 }),
    category: Opt(Enum(CATEGORIES, 'Defaults to admin.')),
    outcome: Opt(Enum(OUTCOMES, 'Defaults to success.')),
    level: Opt(Enum(LEVELS, 'Defaults to user.')),
    service: Opt(Str(200)),
    actor: Opt(ActorSchema),
    client: Opt(Type.Object({ id: Opt(Str(256)), name: Opt(Str(512)) }, strict)),
    source: Opt(SourceSchema),
    target: Opt(TargetSchema),
    changes: Opt(
      Type.Array(Type.Object({ field: Str(512), old: Opt(Values), new: Opt(Values) }, strict), {
        maxItems: 1000,
      }),
    ),
    description: Opt(Str(4000)),
    message: Opt(
      Type.Object(
        {
          code: Opt(Str(256)),
          text: Opt(Str(4000)),
          template: Opt(Str(4000)),
          params: Opt(Type.Record(Type.String(), Str(4000), { maxProperties: 64 })),
        },
        strict,
      ),
    ),
    transaction_id: Opt(Str(256)),
    transaction_initiator: Opt(Type.Boolean()),
    automatic: Opt(Type.Boolean({ description: 'Made by the system on its own. Defaults to false.' })),
    auth: Opt(
      Type.Object(
        {
          event: Opt(Str(200)),
          stage: Opt(Str(200)),
          result: Opt(Str(200)),
          issuer: Opt(Str(1024)),
          upstream_idp: Opt(Str(1024)),
          upstream_user_id: Opt(Str(256)),
          login_org_id: Opt(Str(256)),
          login_org_name: Opt(Str(512)),
          application_name: Opt(Str(512)),
        },
        strict,
      ),
    ),
    attributes: Opt(
      Type.Array(
        Type.Object(
          { type: Opt(Str(200)), id: Opt(Str(256)), org_id: Opt(Str(256)), name: Opt(Str(512)) },
          strict,
        ),
        { maxItems: 100 },
      ),
    ),
    context: Opt(Type.Record(Type.String(), Str(4000), { maxProperties: 64 })),
  },
  { ...strict, $id: 'EventInput' },
);

export type EventInput = Static<typeof EventInputSchema>;

/** The event as stored and returned (docs/event-model.md §2). */
export type StoredEvent = EventInput & {
  id: string;
  tenant: string;
  seq: number;
  received_at: string;
  category: (typeof CATEGORIES)[number];
  outcome: (typeof OUTCOMES)[number];
  level: (typeof LEVELS)[number];
  automatic: boolean;
  hash: string;
};

export const MAX_EVENT_BYTES = 64 * 1024;

/** The most events one ingest request (JSON batch, NDJSON body, CLI batch) may hold. */
export const MAX_BATCH_EVENTS = 1000;

/**
 * How a seq is written in a path: a positive integer of at most 16 digits. A client id of this
 * form is refused, so `GET /v1/events/{id or seq}` never has two candidates.
 */
export const SEQ_TEXT = /^[1-9]\d{0,15}$/;
