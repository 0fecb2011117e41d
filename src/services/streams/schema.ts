import { type Static, Type } from 'typebox';
import { FilterBodySchema } from '../../core/filters.js';
import { PiiRulesSchema } from '../../core/streams/pii.js';
import { type DestinationType, STREAM_FORMATS, STREAM_STATES } from '../../core/streams/stream.js';
import { DestinationSchema } from './destinations/index.js';

/** The request and response shapes of /v1/streams, defined once: the routes validate and document with them, the service is typed by them. */

const Name = Type.String({ minLength: 1, maxLength: 200 });

export const StartSchema = Type.Union(
  [
    Type.Literal('now'),
    Type.Object({ seq: Type.Integer({ minimum: 1 }) }, { additionalProperties: false }),
    Type.Object({ time: Type.String({ format: 'date-time' }) }, { additionalProperties: false }),
  ],
  {
    description:
      'Where delivery begins: with the events committed after the stream is created (`now`, the default), at a seq, or with the events received since a time (a backfill).',
  },
);

export const BatchSchema = Type.Object(
  {
    max_events: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 10_000, description: 'Events per batch at most (500).' }),
    ),
    max_bytes: Type.Optional(
      Type.Integer({
        minimum: 1024,
        maximum: 64 * 1024 * 1024,
        description: 'Bytes of records per batch at most (1 MB).',
      }),
    ),
    max_wait_ms: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: 60_000,
        description: 'How long a batch short of its limits waits for more (1000).',
      }),
    ),
  },
  { additionalProperties: false },
);

export const PiiSchema = Type.Object(
  {
    rules: PiiRulesSchema,
    hmac_key: Type.Optional(
      Type.String({
        minLength: 16,
        maxLength: 512,
        writeOnly: true,
        description: 'The key of `hmac` rules; generated when absent. Never returned.',
      }),
    ),
  },
  { additionalProperties: false },
);

export const CreateStreamSchema = Type.Object(
  {
    name: Name,
    destination: DestinationSchema,
    format: Type.Optional(Type.Enum(STREAM_FORMATS, { default: 'native' })),
    filters: Type.Optional(FilterBodySchema),
    start: Type.Optional(StartSchema),
    batch: Type.Optional(BatchSchema),
    pii: Type.Optional(PiiSchema),
  },
  { additionalProperties: false },
);
/** A destination as given: its `type` and settings; DestinationSchema checks each type's settings. */
export type DestinationInput = { type: DestinationType } & Record<string, unknown>;

export type CreateStream = Omit<Static<typeof CreateStreamSchema>, 'destination'> & {
  destination: DestinationInput;
};

export const UpdateStreamSchema = Type.Object(
  {
    name: Type.Optional(Name),
    destination: Type.Optional(DestinationSchema),
    format: Type.Optional(Type.Enum(STREAM_FORMATS)),
    filters: Type.Optional(FilterBodySchema),
    batch: Type.Optional(BatchSchema),
    pii: Type.Optional(PiiSchema),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type UpdateStream = Omit<Static<typeof UpdateStreamSchema>, 'destination'> & {
  destination?: DestinationInput;
};

export const ReplaySchema = Type.Object(
  { from_seq: Type.Integer({ minimum: 1 }), to_seq: Type.Integer({ minimum: 1 }) },
  { additionalProperties: false },
);

const Time = Type.Union([Type.String({ format: 'date-time' }), Type.Null()]);

export const StreamViewSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  destination: Type.Object(
    { type: Type.String() },
    {
      additionalProperties: true,
      description: 'The destination’s settings; its secrets are never returned.',
    },
  ),
  format: Type.String(),
  filters: Type.Object({}, { additionalProperties: true }),
  batch: Type.Object({ max_events: Type.Integer(), max_bytes: Type.Integer(), max_wait_ms: Type.Integer() }),
  pii: Type.Object({
    rules: Type.Array(Type.Object({ field: Type.String(), action: Type.String() })),
  }),
  state: Type.Enum(STREAM_STATES),
  cursor: Type.Integer({
    description: 'Every seq up to this one has been delivered or did not match the filters.',
  }),
  lag: Type.Object({
    events: Type.Integer({
      description: 'Seqs committed past the cursor (events the filters leave out included).',
    }),
    seconds: Type.Number({ description: 'How long ago the oldest of them was received; 0 when caught up.' }),
  }),
  replay: Type.Union([
    Type.Object({ from_seq: Type.Integer(), to_seq: Type.Integer(), cursor: Type.Integer() }),
    Type.Null(),
  ]),
  last_error: Type.Union([Type.String(), Type.Null()]),
  last_error_at: Time,
  last_delivered_at: Time,
  next_attempt_at: Time,
  created_at: Type.String({ format: 'date-time' }),
  updated_at: Type.String({ format: 'date-time' }),
});
export type StreamView = Static<typeof StreamViewSchema>;

export const DeliverySchema = Type.Object({
  id: Type.String({
    description: 'The delivery id: `webhook-id`, part of S3 keys; the same on every retry.',
  }),
  from_seq: Type.Integer(),
  to_seq: Type.Integer(),
  events: Type.Integer(),
  state: Type.String({
    description: 'pending, delivered, or dead (a dead letter: a record the destination can never take).',
  }),
  replay: Type.Union([Type.Integer(), Type.Null()]),
  attempts: Type.Integer(),
  error: Type.Union([Type.String(), Type.Null()]),
  created_at: Type.String({ format: 'date-time' }),
  updated_at: Type.String({ format: 'date-time' }),
});
