import { invalidParameter } from '../../core/errors.js';
import { parseInterval, type TimeRange } from '../../core/interval.js';
import type { JobState } from '../../core/jobs.js';
import type { EventFilter, FilterField, Order } from '../../core/query.js';
import type { FilterProperty, QUERY_STATES } from './schemas.js';

/** Genesys filter properties → canonical filter fields (docs/event-model.md §4). */
const FIELD: Record<FilterProperty, FilterField> = {
  UserId: 'actor_id',
  TrusteeOrganizationId: 'actor_home_org_id',
  ClientId: 'client_id',
  Action: 'action',
  EntityType: 'target_type',
  EntityId: 'target_id',
};

export const STATE: Record<JobState, (typeof QUERY_STATES)[number]> = {
  queued: 'Queued',
  running: 'Running',
  succeeded: 'Succeeded',
  failed: 'Failed',
  cancelled: 'Cancelled',
};

interface GenesysQuery {
  interval: string;
  serviceName?: string | undefined;
  filters?: { property: FilterProperty; value: string }[] | undefined;
  sort?: { name: 'Timestamp'; sortOrder: 'ascending' | 'descending' }[] | undefined;
}

/** Newest first unless the first sort entry says ascending. */
export const orderOfSort = (sort: GenesysQuery['sort']): Order =>
  sort?.[0]?.sortOrder === 'ascending' ? 'asc' : 'desc';

/** A Genesys query (interval, serviceName, filters, sort) as the engine-neutral filter and order. */
export function translateQuery(q: GenesysQuery): { filter: EventFilter; order: Order; range: TimeRange } {
  const range = parseInterval(q.interval);
  const fields: Partial<Record<FilterField, string[]>> = {};
  for (const f of q.filters ?? []) {
    const field = FIELD[f.property];
    const values = fields[field] ?? [];
    if (!values.includes(f.value)) values.push(f.value);
    fields[field] = values;
  }
  if (q.serviceName !== undefined) fields.service = [q.serviceName];
  return { filter: { fields, from: range.from, to: range.to }, order: orderOfSort(q.sort), range };
}

/** `expand`, comma-joined or repeated; only `user` exists. */
export function expandsUser(expand: string[] | undefined): boolean {
  const values = (expand ?? []).flatMap((v) => v.split(',')).filter((v) => v !== '');
  const unknown = values.find((v) => v !== 'user');
  if (unknown !== undefined) {
    invalidParameter('expand', `must be user, not ${JSON.stringify(unknown)}`, 'query.expand');
  }
  return values.length > 0;
}
