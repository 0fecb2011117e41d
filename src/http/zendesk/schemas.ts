import { Type } from 'typebox';

/** Zendesk's filter names; each also accepted with `[]` and in the comma form. */
export const FILTERS = [
  'action',
  'actor_id',
  'source_type',
  'source_id',
  'ip_address',
  'created_at',
] as const;
export type ZendeskFilter = (typeof FILTERS)[number];

const Values = Type.Array(Type.String({ maxLength: 512 }), { maxItems: 100 });
const filterProps = Object.fromEntries(
  FILTERS.flatMap((f) => [
    [`filter[${f}]`, Type.Optional(Values)],
    [`filter[${f}][]`, Type.Optional(Values)],
  ]),
) as Record<
  `filter[${ZendeskFilter}]` | `filter[${ZendeskFilter}][]`,
  ReturnType<typeof Type.Optional<typeof Values>>
>;

/** The filters of list and export; unknown parameters are ignored, as Zendesk does. */
export const FilterQuery = Type.Object(filterProps);

export const ListQuery = Type.Object({
  ...filterProps,
  'page[size]': Type.Optional(
    Type.Integer({ minimum: 1, maximum: 100, description: 'Cursor paging: rows per page.' }),
  ),
  'page[after]': Type.Optional(Type.String({ minLength: 1, maxLength: 512 })),
  'page[before]': Type.Optional(Type.String({ minLength: 1, maxLength: 512 })),
  sort: Type.Optional(Type.Union([Type.Literal('created_at'), Type.Literal('-created_at')])),
  page: Type.Optional(Type.Integer({ minimum: 1, description: 'Offset paging: the page number.' })),
  per_page: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
  sort_by: Type.Optional(Type.Literal('created_at')),
  sort_order: Type.Optional(Type.Union([Type.Literal('asc'), Type.Literal('desc')])),
});

/** Any id: one that is not a seq is simply not found, as on Zendesk. */
export const IdParams = Type.Object({ id: Type.String({ maxLength: 64 }) });

export const AuditLog = Type.Object({
  id: Type.Integer({ description: 'The event’s seq.' }),
  url: Type.String(),
  action: Type.String(),
  action_label: Type.String(),
  actor_id: Type.Optional(
    Type.Union([Type.Integer(), Type.String()], { description: 'A number when decimal.' }),
  ),
  actor_name: Type.Optional(Type.String()),
  source_id: Type.Optional(Type.Union([Type.Integer(), Type.String()])),
  source_type: Type.Optional(Type.String()),
  source_label: Type.Optional(Type.String()),
  change_description: Type.Optional(Type.String()),
  ip_address: Type.Optional(Type.String()),
  created_at: Type.String({ description: 'ISO-8601, whole seconds, UTC.' }),
});

const Link = Type.Union([Type.String(), Type.Null()]);

export const CursorPage = Type.Object({
  audit_logs: Type.Array(AuditLog),
  meta: Type.Object({
    has_more: Type.Boolean(),
    after_cursor: Link,
    before_cursor: Link,
  }),
  links: Type.Object({ next: Link, prev: Link }),
});

export const OffsetPage = Type.Object({
  audit_logs: Type.Array(AuditLog),
  next_page: Link,
  previous_page: Link,
  count: Type.Integer(),
});

export const ShowResponse = Type.Object({ audit_log: AuditLog });

export const ZendeskError = Type.Object({
  error: Type.String(),
  description: Type.Optional(Type.String()),
  details: Type.Optional(
    Type.Record(Type.String(), Type.Array(Type.Object({ description: Type.String(), error: Type.String() }))),
  ),
});

export const ErrorResponses = { '4xx': ZendeskError, '5xx': ZendeskError } as const;
