import type { EventFilter, EventRow, Order, Position } from '../core/query.js';
import type { Store } from '../store/types.js';

/**
 * Every matching event in `order`, one keyset page at a time: memory stays bounded by one
 * chunk whatever the range. The one scan loop behind exports, job downloads and the dialects
 * that read whole ranges.
 */
export async function* scanEvents(
  store: Pick<Store, 'events'>,
  tenant: string,
  filter: EventFilter,
  order: Order,
  chunk = 1000,
): AsyncGenerator<EventRow[]> {
  let after: Position | undefined;
  for (;;) {
    const rows = await store.events.list(tenant, {
      ...filter,
      order,
      limit: chunk,
      scan: true,
      ...(after ? { after } : {}),
    });
    if (rows.length > 0) yield rows;
    const last = rows.at(-1);
    if (!last || rows.length < chunk) return;
    after = { occurredAt: last.occurredAt, seq: last.seq };
  }
}
