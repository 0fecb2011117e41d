import { Type } from 'typebox';
import { CATEGORIES, EventInputSchema, LEVELS, OUTCOMES } from '../../core/event/schema.js';

export const ErrorEnvelope = Type.Object(
  {
    error: Type.Object({
      code: Type.String(),
      message: Type.String(),
      details: Type.Optional(Type.Unknown()),
    }),
    request_id: Type.String(),
  },
  { description: 'Every 4xx and 5xx of the native API.' },
);

export const ErrorResponses = { '4xx': ErrorEnvelope, '5xx': ErrorEnvelope } as const;

/** An event as stored and returned. */
export const StoredEventSchema = Type.Object(
  {
    ...EventInputSchema.properties,
    id: Type.String(),
    tenant: Type.String(),
    seq: Type.Integer({ minimum: 1, description: 'Per-tenant position, gapless from 1.' }),
    received_at: Type.String({ format: 'date-time' }),
    category: Type.Enum(CATEGORIES),
    outcome: Type.Enum(OUTCOMES),
    level: Type.Enum(LEVELS),
    automatic: Type.Boolean(),
    hash: Type.String({ description: 'SHA-256 of the RFC 8785 canonical JSON of this object without hash.' }),
  },
  { additionalProperties: false },
);

/** A keyset page: the shape of every native list. */
export const PageSchema = Type.Object({
  data: Type.Array(StoredEventSchema),
  next_cursor: Type.Union([Type.String(), Type.Null()]),
});
