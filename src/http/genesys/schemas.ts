import { type Static, Type } from 'typebox';

/**
 * The Genesys Cloud AuditApi wire format (purecloud-platform-client-v2 index.d.ts; enums as
 * the Java and Python SDKs spell them, which replace any other value). Defined once: these
 * validate requests, serialise responses and document the dialect in the OpenAPI document.
 */
const Opt = Type.Optional;
const Str = Type.String;
const StrMap = Type.Record(Type.String(), Type.String());

export const FILTER_PROPERTIES = [
  'UserId',
  'TrusteeOrganizationId',
  'ClientId',
  'Action',
  'EntityType',
  'EntityId',
] as const;
export type FilterProperty = (typeof FILTER_PROPERTIES)[number];

export const QUERY_STATES = ['Queued', 'Running', 'Succeeded', 'Failed', 'Cancelled'] as const;

export const AuditQueryFilter = Type.Object({
  property: Type.Enum(FILTER_PROPERTIES),
  value: Str({ minLength: 1, maxLength: 512 }),
});

export const AuditQuerySort = Type.Object({
  name: Type.Enum(['Timestamp']),
  sortOrder: Type.Enum(['ascending', 'descending']),
});

const Interval = Str({
  minLength: 1,
  maxLength: 100,
  description:
    'ISO-8601 interval start/end (start inclusive, end exclusive), e.g. 2024-05-01T00:00:00Z/2024-05-02T00:00:00Z.',
});
const Filters = Type.Array(AuditQueryFilter, {
  maxItems: 100,
  description: 'Different properties AND together; the same property repeated ORs its values.',
});
const Sort = Type.Array(AuditQuerySort, { maxItems: 10, description: 'The first entry decides.' });
const ServiceName = Str({ minLength: 1, maxLength: 200 });

const queryFields = {
  interval: Interval,
  serviceName: Opt(ServiceName),
  filters: Opt(Filters),
  sort: Opt(Sort),
};

/** Unknown top-level fields are ignored, as Genesys ignores them; unknown filter properties are not. */
export const AuditQueryRequest = Type.Object(queryFields);
export type AuditQueryRequestT = Static<typeof AuditQueryRequest>;

export const AuditRealtimeQueryRequest = Type.Object({
  ...queryFields,
  pageNumber: Opt(Type.Integer({ minimum: 1, maximum: 1_000_000, default: 1 })),
  pageSize: Opt(Type.Integer({ minimum: 1, maximum: 500, default: 25 })),
});

export const AuditRealtimeRelatedRequest = Type.Object({
  auditId: Str({ minLength: 1, maxLength: 128 }),
  trustorOrgId: Opt(Str({ maxLength: 256 })),
  sort: Opt(Sort),
});

export const AuditQueryExecutionStatusResponse = Type.Object({
  id: Str(),
  state: Type.Enum(QUERY_STATES),
  startDate: Str({ format: 'date-time' }),
  interval: Opt(Str()),
  serviceName: Opt(Str()),
  filters: Opt(Type.Array(AuditQueryFilter)),
  sort: Opt(Type.Array(AuditQuerySort)),
});

const EntityRef = Type.Object({ id: Opt(Str()), name: Opt(Str()), selfUri: Opt(Str()) });

export const AuditLogMessage = Type.Object({
  id: Str(),
  userHomeOrgId: Opt(Str()),
  user: Opt(EntityRef),
  client: Opt(Type.Object({ id: Opt(Str()), selfUri: Opt(Str()) })),
  remoteIp: Opt(Type.Array(Str())),
  serviceName: Opt(Str()),
  level: Type.Enum(['USER', 'SYSTEM']),
  eventDate: Str({ format: 'date-time' }),
  message: Opt(
    Type.Object({
      localizableMessageCode: Opt(Str()),
      message: Opt(Str()),
      messageWithParams: Opt(Str()),
      messageParams: Opt(StrMap),
    }),
  ),
  action: Str(),
  entity: Opt(EntityRef),
  entityType: Opt(Str()),
  status: Type.Enum(['SUCCESS', 'FAILURE', 'WARNING']),
  application: Opt(Str()),
  initiatingAction: Opt(Type.Object({ transactionId: Opt(Str()), actionContext: Opt(Str()) })),
  transactionInitiator: Opt(Type.Boolean()),
  propertyChanges: Opt(
    Type.Array(Type.Object({ property: Str(), oldValues: Type.Array(Str()), newValues: Type.Array(Str()) })),
  ),
  context: Opt(StrMap),
});
export type AuditLogMessageT = Static<typeof AuditLogMessage>;

const Entities = Type.Array(AuditLogMessage);

export const AuditQueryExecutionResultsResponse = Type.Object({
  id: Str(),
  pageSize: Type.Integer(),
  cursor: Opt(Str({ description: 'Absent on the last page.' })),
  entities: Entities,
});

export const AuditQueryExecutionLargeResultsResponse = Type.Object({
  id: Str(),
  pageSize: Type.Integer(),
  downloadUrl: Str({
    description: 'Presigned, expiring URL that streams the whole result as {"id","entities":[…]}.',
  }),
});

export const AuditRealtimeQueryResultsResponse = Type.Object({
  entities: Entities,
  pageSize: Type.Integer(),
  pageNumber: Type.Integer(),
  total: Type.Integer(),
  pageCount: Type.Integer(),
});

export const AuditRealtimeRelatedResultsResponse = Type.Object({ entities: Entities });

export const AuditQueryServiceMapping = Type.Object({
  services: Type.Array(
    Type.Object({
      name: Str(),
      entities: Type.Array(Type.Object({ name: Str(), actions: Type.Array(Str()) })),
    }),
  ),
});

const ErrorDetail = Type.Object({
  errorCode: Opt(Str()),
  fieldName: Opt(Str()),
  entityId: Opt(Str()),
  entityName: Opt(Str()),
});

export const ErrorBody = Type.Object(
  {
    message: Str(),
    code: Str(),
    status: Type.Integer(),
    contextId: Str({ description: 'The request id (also the x-request-id header).' }),
    details: Type.Array(ErrorDetail),
    errors: Type.Array(Type.Unknown()),
  },
  { description: 'Every 4xx and 5xx of the Genesys dialect.' },
);

export const ErrorResponses = { '4xx': ErrorBody, '5xx': ErrorBody } as const;

export const TransactionParams = Type.Object({ transactionId: Str({ minLength: 1, maxLength: 64 }) });

/** `expand`: the SDKs send `user`, comma-joined or repeated when there are several. */
export const Expand = Opt(
  Type.Array(Str({ maxLength: 100 }), { maxItems: 10, description: 'Only `user`: adds user.name.' }),
);
