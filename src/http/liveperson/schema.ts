import {
  GraphQLBoolean,
  GraphQLError,
  GraphQLInt,
  GraphQLList,
  GraphQLNonNull,
  GraphQLObjectType,
  type GraphQLResolveInfo,
  GraphQLScalarType,
  GraphQLSchema,
  GraphQLString,
  Kind,
  type ValueNode,
} from 'graphql';
import { Type } from 'typebox';
import { type AuditRow, COLUMNS, type Column } from './mapping.js';

/**
 * A scalar whose values come from a closed list, written either as a string (`"DESC"`) or bare
 * like an enum value (`DESC`): LivePerson's docs show neither form, so both are taken.
 */
function wordScalar<T extends string>(name: string, words: readonly T[], description: string) {
  const parse = (value: unknown): T => {
    if (typeof value === 'string' && (words as readonly string[]).includes(value)) return value as T;
    throw new GraphQLError(`${name} must be one of ${words.join(', ')}; got ${JSON.stringify(value)}.`);
  };
  return new GraphQLScalarType<T, string>({
    name,
    description,
    serialize: (v) => String(v),
    parseValue: parse,
    parseLiteral: (node: ValueNode) =>
      parse(node.kind === Kind.STRING || node.kind === Kind.ENUM ? node.value : undefined),
  });
}

export const DIRECTIONS = ['ASC', 'DESC'] as const;
export type Direction = (typeof DIRECTIONS)[number];

const AuditColumn = wordScalar<Column>('AuditColumn', COLUMNS, 'A column to order by.');
const OrderDirection = wordScalar<Direction>('OrderDirection', DIRECTIONS, 'ASC or DESC.');

const str = (description: string) => ({ type: GraphQLString, description });
const nonNull = (description: string) => ({ type: new GraphQLNonNull(GraphQLString), description });

const AuditData = new GraphQLObjectType<AuditRow>({
  name: 'AuditData',
  description: 'One changed field of an audit event (an event without changes is one `N/A` row).',
  fields: {
    accountId: nonNull('The account (Trailkeep tenant).'),
    objectType: str('target.type'),
    objectName: str('target.name'),
    element: nonNull('The changed field; `N/A` for an event without changes.'),
    oldValue: nonNull('The old values joined with ", "; empty when none.'),
    newValue: nonNull('The new values joined with ", "; empty when none.'),
    originator: str('actor.name'),
    originatorLoginName: str('actor.login'),
    originatorUserId: str('actor.id'),
    originatorUserAgent: str('actor.user_agent, else source.user_agent'),
    originatorAuthType: str('actor.auth_type'),
    originatorIsLpa: { type: new GraphQLNonNull(GraphQLBoolean), description: 'actor.privileged' },
    changeDate: nonNull('yyyy-MM-dd HH:mm:ss.S in the requested time zone.'),
  },
});

/** The `auditData` arguments after GraphQL has coerced them and applied the defaults. */
export interface AuditDataArgs {
  fromDate?: string | null;
  toDate?: string | null;
  first: number;
  offset: number;
  orderBy: Column[];
  orderDirection: Direction[];
  users?: string[] | null;
  componentTypes?: string[] | null;
  language: string;
  timezone: string;
  lpa: boolean;
  automaticUpdates: boolean;
}

/** The most rows one `first` returns. */
export const FIRST_MAX = 1000;

const strings = new GraphQLList(new GraphQLNonNull(GraphQLString));

export const auditDataArgs = {
  fromDate: { type: GraphQLString, description: 'yyyy-MM-dd: from the start of this day in `timezone`.' },
  toDate: { type: GraphQLString, description: 'yyyy-MM-dd: to the end of this day in `timezone`.' },
  first: {
    type: new GraphQLNonNull(GraphQLInt),
    defaultValue: 50,
    description: `Rows to return, 0–${FIRST_MAX}.`,
  },
  offset: { type: new GraphQLNonNull(GraphQLInt), defaultValue: 0, description: 'Rows to skip.' },
  orderBy: {
    type: new GraphQLNonNull(new GraphQLList(new GraphQLNonNull(AuditColumn))),
    defaultValue: ['changeTimestamp'],
  },
  orderDirection: {
    type: new GraphQLNonNull(new GraphQLList(new GraphQLNonNull(OrderDirection))),
    defaultValue: ['DESC'],
    description: 'One per orderBy entry; DESC for entries without one.',
  },
  users: { type: strings, description: 'Actor ids or logins.' },
  componentTypes: { type: strings, description: 'Object (target) types.' },
  language: { type: new GraphQLNonNull(GraphQLString), defaultValue: 'en-US' },
  timezone: { type: new GraphQLNonNull(GraphQLString), defaultValue: 'US/Eastern' },
  lpa: { type: new GraphQLNonNull(GraphQLBoolean), defaultValue: false, description: 'Include LPA changes.' },
  automaticUpdates: {
    type: new GraphQLNonNull(GraphQLBoolean),
    defaultValue: false,
    description: 'Include automatic changes.',
  },
};

/** The executable schema: one root field, `auditData`, resolved by `resolve`. */
export function auditSchema<C>(
  resolve: (args: AuditDataArgs, context: C, info: GraphQLResolveInfo) => Promise<AuditRow[]>,
): GraphQLSchema {
  return new GraphQLSchema({
    query: new GraphQLObjectType<unknown, C>({
      name: 'Query',
      fields: {
        auditData: {
          type: new GraphQLNonNull(new GraphQLList(new GraphQLNonNull(AuditData))),
          args: auditDataArgs,
          resolve: (_root, args, context, info) => resolve(args as AuditDataArgs, context, info),
        },
      },
    }),
  });
}

/** The HTTP body: a GraphQL document and, optionally, its variables and operation name. */
export const AuditBody = Type.Object({
  query: Type.String({ minLength: 1, maxLength: 65_536, description: 'A GraphQL document.' }),
  variables: Type.Optional(Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()])),
  operationName: Type.Optional(Type.Union([Type.String({ maxLength: 256 }), Type.Null()])),
});

/** Serialised as GraphQL produced it: only the selected fields, in the selection's order. */
export const AuditResponse = Type.Object({
  data: Type.Unknown({ description: '`{"auditData":[…]}` with the selected fields of each row.' }),
});

export const AccountParams = Type.Object({ accountId: Type.String({ maxLength: 256 }) });

export const LivePersonError = Type.Object({
  errors: Type.Array(Type.Object({ message: Type.String() })),
});

export const ErrorResponses = { '4xx': LivePersonError, '5xx': LivePersonError } as const;
