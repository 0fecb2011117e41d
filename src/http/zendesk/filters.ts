import type { Static } from 'typebox';
import { invalidParameter } from '../../core/errors.js';
import type { FilterParams } from '../../core/filters.js';
import { multiValues } from '../../core/params.js';
import { FILTERS, type FilterQuery, type ZendeskFilter } from './schemas.js';

/** Which canonical filter each Zendesk filter is (created_at is the time range). */
const FIELD = {
  action: 'action',
  actor_id: 'actor_id',
  source_type: 'target_type',
  source_id: 'target_id',
  ip_address: 'ip',
} as const;

const invalid = (name: string, message: string): never =>
  invalidParameter(`filter[${name}]`, message, `query.filter[${name}]`);

/**
 * Zendesk `filter[*]` parameters as Trailkeep filters. Every encoding counts the same: repeated,
 * repeated with `[]`, comma-joined. `filter[created_at]` is a start and an end, both inclusive.
 */
export function toFilterParams(query: Static<typeof FilterQuery>): FilterParams {
  const q = query as Record<string, string[] | undefined>;
  const values = (f: ZendeskFilter) => multiValues(q[`filter[${f}]`], q[`filter[${f}][]`]);
  const params: FilterParams = {};
  for (const f of FILTERS) {
    if (f === 'created_at') continue;
    const v = values(f);
    if (v.length > 0) params[FIELD[f]] = v;
  }
  if (params.target_id && !params.target_type) invalid('source_id', 'requires filter[source_type].');
  const range = values('created_at');
  if (range.length > 0) {
    if (range.length !== 2) invalid('created_at', 'needs a start and an end time.');
    const [start, end] = range.map((t) => Date.parse(t));
    const ok = (t: number | undefined) => t !== undefined && Math.abs(t) < 8.64e15 - 1;
    if (!ok(start) || !ok(end)) {
      invalid('created_at', 'must be ISO-8601 times.');
    }
    if ((end as number) < (start as number)) invalid('created_at', 'ends before it starts.');
    params.from = new Date(start as number).toISOString();
    // The end is inclusive: the canonical `to` is exclusive.
    params.to = new Date((end as number) + 1).toISOString();
  }
  return params;
}
