import type { Static } from 'typebox';
import { invalidParameter } from '../../core/errors.js';
import { parseDateTime } from '../../core/interval.js';
import { multiValues } from '../../core/params.js';
import type { EventFilter, FilterField } from '../../core/query.js';
import { FILTERS, type FilterQuery, type ZendeskFilter } from './schemas.js';

/** Which canonical filter each Zendesk filter is (created_at is the time range). */
const FIELD: Record<Exclude<ZendeskFilter, 'created_at'>, FilterField> = {
  action: 'action',
  actor_id: 'actor_id',
  source_type: 'target_type',
  source_id: 'target_id',
  ip_address: 'ip',
};

const invalid = (name: string, message: string): never =>
  invalidParameter(`filter[${name}]`, message, `query.filter[${name}]`);

/**
 * Zendesk `filter[*]` parameters as the engine-neutral filter. Every encoding counts the same:
 * repeated, repeated with `[]`, comma-joined. `filter[created_at]` is a start and an end, both
 * inclusive.
 */
export function zendeskFilter(query: Static<typeof FilterQuery>): EventFilter {
  const q = query as Record<string, string[] | undefined>;
  const values = (f: ZendeskFilter) => multiValues(q[`filter[${f}]`], q[`filter[${f}][]`]);
  const fields: EventFilter['fields'] = {};
  for (const f of FILTERS) {
    if (f === 'created_at') continue;
    const v = values(f);
    if (v.length > 0) fields[FIELD[f]] = v;
  }
  if (fields.target_id && !fields.target_type) invalid('source_id', 'requires filter[source_type].');
  const filter: EventFilter = { fields };
  const range = values('created_at');
  if (range.length > 0) {
    if (range.length !== 2) invalid('created_at', 'needs a start and an end time.');
    const [start, end] = range.map(parseDateTime);
    if (start == null || end == null) return invalid('created_at', 'must be ISO-8601 times.');
    if (end < start) invalid('created_at', 'ends before it starts.');
    filter.from = start;
    // The end is inclusive: the canonical `to` is exclusive.
    filter.to = end + 1;
  }
  return filter;
}
