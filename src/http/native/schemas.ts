import { Type } from 'typebox';

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
