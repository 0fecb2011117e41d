import { setImmediate as nextTurn } from 'node:timers/promises';
import type { EventFilter, EventRow, Order, Position } from '../core/query.js';
import type { EventStore } from '../store/types.js';

/**
 * Every matching event in `order`, one keyset page at a time: memory stays bounded by one
 * chunk whatever the range. The one scan loop behind exports, job downloads and the dialects
 * that read whole ranges.
 *
 * Before each chunk after the first it waits for the event loop's next turn (a macrotask).
 * SQLite reads are synchronous, so an awaited read resolves as a microtask: without the wait a
 * scan of a million events ran start to end without letting the process read a socket, and
 * every other tenant's request waited for it (#17). A turn lets pending I/O run between chunks;
 * on PostgreSQL each read is I/O already, and the turn costs one tick per chunk.
 */
export async function* scanEvents(
  events: Pick<EventStore, 'list'>,
  tenant: string,
  filter: EventFilter,
  order: Order,
  chunk = 1000,
): AsyncGenerator<EventRow[]> {
  let after: Position | undefined;
  for (;;) {
    if (after) await nextTurn();
    const rows = await events.list(tenant, {
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
