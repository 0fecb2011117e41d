import { type Static, type TSchema, Type } from 'typebox';
import { FILTER_FIELDS, type FilterField } from './filter-catalogue.js';
import { dateTimeParam } from './interval.js';
import type { EventFilter } from './query.js';

const Value = Type.String({ minLength: 1, maxLength: 512 });
const Values = Type.Array(Value, { minItems: 1, maxItems: 100 });

const fieldProps = <S extends TSchema>(schema: S) =>
  Object.fromEntries(FILTER_FIELDS.map((f) => [f, Type.Optional(schema)])) as Record<
    FilterField,
    ReturnType<typeof Type.Optional<S>>
  >;

const common = {
  from: Type.Optional(Type.String({ format: 'date-time', description: 'Occurred at or after (RFC 3339).' })),
  to: Type.Optional(Type.String({ format: 'date-time', description: 'Occurred before (RFC 3339).' })),
  q: Type.Optional(
    Type.String({ minLength: 1, maxLength: 500, description: 'Full-text terms, all required.' }),
  ),
  action_prefix: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 200,
      description: 'Action starts with this (`user.` for user.*).',
    }),
  ),
  min_seq: Type.Optional(Type.Integer({ minimum: 1, description: 'Seq at or after.' })),
  max_seq: Type.Optional(Type.Integer({ minimum: 1, description: 'Seq at or before.' })),
};

/** Filters as query parameters: a repeated parameter ORs its values. */
export const FilterQuerySchema = Type.Object({ ...common, ...fieldProps(Values) });

/** Filters in a JSON body (async queries, exports): each a value or an array of values. */
export const FilterBodySchema = Type.Object(
  { ...common, ...fieldProps(Type.Union([Value, Values])) },
  {
    additionalProperties: false,
  },
);

export type FilterParams = Static<typeof FilterBodySchema>;

/** Normalises validated filter parameters into the engine-neutral filter. */
export function toEventFilter(params: FilterParams): EventFilter {
  const fields: EventFilter['fields'] = {};
  for (const f of FILTER_FIELDS) {
    const v = params[f];
    if (v !== undefined) fields[f] = Array.isArray(v) ? v : [v];
  }
  const filter: EventFilter = { fields };
  if (params.from !== undefined) filter.from = dateTimeParam(params.from, 'from');
  if (params.to !== undefined) filter.to = dateTimeParam(params.to, 'to');
  if (params.q !== undefined) filter.q = params.q;
  if (params.action_prefix !== undefined) filter.actionPrefix = params.action_prefix;
  if (params.min_seq !== undefined) filter.minSeq = params.min_seq;
  if (params.max_seq !== undefined) filter.maxSeq = params.max_seq;
  return filter;
}
