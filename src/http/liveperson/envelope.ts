import type { GraphQLError } from 'graphql';
import { TrailkeepError } from '../../core/errors.js';
import type { Problem } from '../../core/schema.js';
import { clientFieldName, dialectErrors } from '../envelope.js';

/**
 * GraphQL's error shape for every status: `{"errors":[{"message"}]}`, one entry per problem the
 * error names (every GraphQL syntax or validation error, every invalid body field), else one.
 * LivePerson documents the codes (400, 401, 403, 500) but not the body.
 */
export const livePersonErrors = dialectErrors({
  challenge: 'Bearer',
  body(e) {
    // GraphQL errors carry messages without paths, so problems are taken whatever they name.
    const problems = Array.isArray(e.details)
      ? (e.details as Problem[]).filter((p) => typeof p?.message === 'string')
      : [];
    const messages =
      e.code !== 'internal' && problems.length > 0
        ? problems.map((p) => (p.path ? `${clientFieldName(p.path)} ${p.message}`.trim() : p.message))
        : [e.message];
    return { errors: messages.map((message) => ({ message })) };
  },
});

/** GraphQL errors of the request itself (syntax, validation, variables) as one 400, one message each. */
export function badQuery(errors: readonly GraphQLError[]): never {
  throw new TrailkeepError(
    'invalid_request',
    errors[0]?.message,
    errors.map((e) => ({ path: '', message: e.message })),
  );
}
