import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { type DocumentNode, execute, GraphQLError, parse, validate } from 'graphql';
import { invalidParameter } from '../../core/errors.js';
import type { Services } from '../../services/index.js';
import { tenantFor } from '../auth.js';
import { checkCost } from './cost.js';
import { badQuery } from './envelope.js';
import { type AuditContext, resolveAuditData } from './resolver.js';
import { AccountParams, AuditBody, AuditResponse, auditSchema, ErrorResponses } from './schema.js';

const tags = ['liveperson'];
/** A document longer than this many tokens is refused before it is parsed further. */
const MAX_TOKENS = 2000;

const schema = auditSchema<AuditContext>(resolveAuditData);

function parseQuery(text: string): DocumentNode {
  try {
    return parse(text, { maxTokens: MAX_TOKENS });
  } catch (err) {
    if (err instanceof GraphQLError) return badQuery([err]);
    throw err;
  }
}

/**
 * `POST /{accountId}/configuration/metadata/audit`: the body's GraphQL document runs against the
 * `auditData` schema with the reference implementation; only the selected fields come back.
 */
export const auditRoutes: FastifyPluginAsyncTypebox<Pick<Services, 'events' | 'config'>> = async (
  app,
  { events, config },
) => {
  app.post(
    '/:accountId/configuration/metadata/audit',
    {
      config: { expensive: true },
      schema: {
        tags,
        summary: 'Audit trail rows (GraphQL `auditData`); X-Total-Count is the rows matching.',
        params: AccountParams,
        body: AuditBody,
        response: { 200: AuditResponse, ...ErrorResponses },
      },
    },
    async (req, reply) => {
      const tenant = tenantFor(req, 'events:read');
      const { accountId } = req.params;
      // Another tenant's account is answered like one that does not exist (LivePerson: 400).
      if (accountId !== tenant) {
        invalidParameter('accountId', 'is not a valid account.', 'path.accountId');
      }
      const document = parseQuery(req.body.query);
      const invalid = validate(schema, document);
      if (invalid.length > 0) badQuery(invalid);
      const variableValues = req.body.variables ?? undefined;
      const operationName = req.body.operationName ?? undefined;
      checkCost(schema, document, variableValues, operationName, config.TRAILKEEP_GRAPHQL_COST);
      const context: AuditContext = {
        tenant,
        events,
        answerBytes: config.TRAILKEEP_ANSWER_BYTES,
      };
      const result = await execute({
        schema,
        document,
        contextValue: context,
        variableValues,
        operationName,
      });
      if (result.errors?.length) {
        // A resolver's own error (bad date, store failure) keeps its code; the rest are the query's.
        const cause = result.errors.find(
          (e) => e.originalError && !(e.originalError instanceof GraphQLError),
        );
        if (cause?.originalError) throw cause.originalError;
        badQuery(result.errors);
      }
      if (context.total !== undefined) reply.header('x-total-count', String(context.total));
      return { data: result.data };
    },
  );
};
