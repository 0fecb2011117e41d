import { TrailkeepError } from '../core/errors.js';
import type { EventFilter, Order } from '../core/query.js';
import type { EventService } from './events.js';

/** A numbered window of change rows and the number of rows the whole selection holds. */
export interface RowWindow<R> {
  rows: R[];
  total: number;
}

export interface RowWindowRequest<R> {
  /**
   * An event's change rows, in order (core/change-rows.ts: one per change, one for an event
   * without changes): as many as the store counts for it.
   */
  rowsOf: (json: string) => R[];
  offset: number;
  limit: number;
  /** Time order of the events (rows of one event keep their own order). */
  order: Order;
  /**
   * Another row order: every row of the selection is then held and sorted (stable, so ties keep
   * the time order), and more than `cap` rows is an `invalid_request`.
   */
  compare?: (a: R, b: R) => number;
  cap: number;
}

/**
 * Offset paging over the change rows of the matching events (an event is one row or more). The
 * total is counted first, by the store from the rows it keeps per event, without reading an
 * event: it decides whether and how far to read, so an offset at or past the total reads
 * nothing, whatever the range. In time order only the events up to the window's end are then
 * read, and only the window's are mapped to rows beyond their count: a request costs its offset
 * plus one page. With `compare` the whole selection is read and sorted in memory, bounded by
 * `cap`, which the count checks before anything is read.
 */
export async function rowWindow<R>(
  events: EventService,
  tenant: string,
  filter: EventFilter,
  req: RowWindowRequest<R>,
): Promise<RowWindow<R>> {
  const total = await events.countChangeRows(tenant, filter);
  const end = Math.min(req.offset + req.limit, total);
  const kept: R[] = [];
  if (req.offset >= end) return { rows: kept, total };
  if (req.compare) {
    if (total > req.cap) {
      throw new TrailkeepError(
        'invalid_request',
        `More than ${req.cap} rows to sort; narrow the date range or the filters, or order by time only.`,
      );
    }
    for await (const chunk of events.scan(tenant, filter, req.order)) {
      for (const ev of chunk) kept.push(...req.rowsOf(ev.json));
    }
    kept.sort(req.compare);
    return { rows: kept.slice(req.offset, end), total };
  }
  let seen = 0;
  // Every event is at least one row, so `end` events always reach the window's end.
  for await (const chunk of events.scan(tenant, filter, req.order, Math.min(1000, end))) {
    for (const ev of chunk) {
      const rows = req.rowsOf(ev.json);
      if (seen + rows.length > req.offset) {
        kept.push(...rows.slice(Math.max(0, req.offset - seen), end - seen));
      }
      seen += rows.length;
      if (seen >= end) return { rows: kept, total };
    }
  }
  return { rows: kept, total };
}
