import {
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  GraphQLError,
  type GraphQLField,
  type GraphQLResolveInfo,
  type GraphQLSchema,
  getArgumentValues,
  getNamedType,
  getOperationAST,
  getVariableValues,
  isObjectType,
  Kind,
  type SelectionSetNode,
} from 'graphql';
import { TrailkeepError } from '../../core/errors.js';
import { badQuery } from './envelope.js';
import { FIRST_MAX } from './schema.js';

/**
 * The most fields one row may select, aliases and fragment spreads counted: every field of a row
 * several times over, yet no document of aliases that only make answers grow.
 */
export const ROW_FIELDS_MAX = 64;

const refuse = (message: string): never => {
  throw new TrailkeepError('invalid_request', message);
};

/** Sums stop growing where the numbers stop being exact: a cost beyond is refused anyway. */
const add = (a: number, b: number): number => Math.min(a + b, Number.MAX_SAFE_INTEGER);
const times = (a: number, b: number): number =>
  a === 0 || b === 0 ? 0 : Math.min(a * b, Number.MAX_SAFE_INTEGER);

type Fragments = Record<string, FragmentDefinitionNode>;

/**
 * `per(field)` summed over every field a selection set selects, inline and named fragments
 * expanded where they appear: each spread counts again, as each alias does (GraphQL merges
 * repeats when it runs; counting them keeps the sum an upper bound and a document's sum linear
 * in its length). A named fragment is summed once and reused (validation refused cycles).
 * `@skip`/`@include` are not evaluated: a skipped field counts.
 */
export function sumOverFields(
  selectionSet: SelectionSetNode,
  fragments: Fragments,
  per: (field: FieldNode) => number,
): number {
  const done = new Map<string, number>();
  const sum = (set: SelectionSetNode): number => {
    let total = 0;
    for (const s of set.selections) {
      if (s.kind === Kind.FIELD) total = add(total, per(s));
      else if (s.kind === Kind.INLINE_FRAGMENT) total = add(total, sum(s.selectionSet));
      else {
        const name = s.name.value;
        let n = done.get(name);
        if (n === undefined) {
          const fragment = fragments[name];
          n = fragment ? sum(fragment.selectionSet) : 0;
          done.set(name, n);
        }
        total = add(total, n);
      }
    }
    return total;
  };
  return sum(selectionSet);
}

const fragmentsOf = (document: DocumentNode): Fragments =>
  Object.fromEntries(
    document.definitions
      .filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION)
      .map((d) => [d.name.value, d]),
  );

/**
 * The cost of running a validated document: for every `auditData` it selects, the rows it asks
 * for (`first`, literal, variable or default, within what the resolver accepts) times the fields
 * each row selects; every other field (`__typename`, introspection, which graphql's own
 * MaxIntrospectionDepthRule keeps shallow) costs one. A costlier document than `limit`, or a
 * row of more than ROW_FIELDS_MAX fields, is an `invalid_request` before anything is read.
 * Variables are coerced as `execute` will coerce them, so bad ones are the same 400 as before.
 * Without an operation to run (a wrong `operationName`) there is nothing to cost: `execute`
 * answers that.
 */
export function checkCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  variables: Record<string, unknown> | undefined,
  operationName: string | undefined,
  limit: number,
): void {
  const operation = getOperationAST(document, operationName);
  if (!operation) return;
  const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], variables ?? {}, {
    maxErrors: 50,
  });
  if (coerced.errors) badQuery(coerced.errors);
  const auditData = schema.getQueryType()?.getFields().auditData as GraphQLField<unknown, unknown>;
  const fragments = fragmentsOf(document);

  const rowsOf = (field: FieldNode): number => {
    let first: unknown;
    try {
      ({ first } = getArgumentValues(auditData, field, coerced.coerced));
    } catch (err) {
      if (err instanceof GraphQLError) return badQuery([err]);
      throw err;
    }
    return typeof first === 'number' ? Math.min(Math.max(first, 0), FIRST_MAX) : FIRST_MAX;
  };
  const costOf = (field: FieldNode): number => {
    if (!field.selectionSet) return 1;
    // Validation has put `auditData` on Query only: no other type has a field of that name.
    if (field.name.value !== 'auditData') return sumOverFields(field.selectionSet, fragments, costOf);
    const perRow = sumOverFields(field.selectionSet, fragments, () => 1);
    if (perRow > ROW_FIELDS_MAX) {
      refuse(
        `auditData selects ${perRow} fields per row (aliases and fragments counted); at most ${ROW_FIELDS_MAX}.`,
      );
    }
    return times(rowsOf(field), perRow);
  };

  const cost = sumOverFields(operation.selectionSet, fragments, costOf);
  if (cost > limit) {
    refuse(
      `The query costs ${cost} (rows asked for × fields selected), more than the limit of ${limit}; ask for fewer rows (first) or fields.`,
    );
  }
}

/** The bytes a value takes in the JSON answer. */
const jsonBytes = (value: unknown): number => {
  const text = JSON.stringify(value) ?? 'null';
  return typeof value === 'string' ? Buffer.byteLength(text) : text.length;
};

/**
 * Refuses rows whose answer, with the fields `info` selects (aliases and fragments expanded as
 * `sumOverFields` counts them), would take more than `limit` bytes of JSON: measured from the
 * values before GraphQL builds the answer.
 */
export function checkAnswerBytes(rows: readonly object[], info: GraphQLResolveInfo, limit: number): void {
  const rowType = getNamedType(info.returnType);
  const names = isObjectType(rowType) ? [...Object.keys(rowType.getFields()), '__typename'] : [];
  const sets = info.fieldNodes.flatMap((node) => (node.selectionSet ? [node.selectionSet] : []));
  const over = (per: (f: FieldNode) => number) =>
    sets.reduce((n, set) => add(n, sumOverFields(set, info.fragments, per)), 0);
  // Per row: `{}`, a separator, and per key `"key":` and a separator.
  const keyBytes = 3 + over((f) => Buffer.byteLength(f.alias?.value ?? f.name.value) + 4);
  const selected = names
    .map((name) => ({ name, times: over((f) => (f.name.value === name ? 1 : 0)) }))
    .filter((s) => s.times > 0);
  let bytes = 0;
  for (const row of rows) {
    bytes += keyBytes;
    for (const { name, times: n } of selected) {
      bytes += n * jsonBytes(name === '__typename' ? rowType.name : (row as Record<string, unknown>)[name]);
    }
  }
  if (bytes > limit) {
    refuse(
      `The answer would be ${bytes} bytes, more than the limit of ${limit}; ask for fewer rows (first) or fields.`,
    );
  }
}
