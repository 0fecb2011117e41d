import { TrailkeepError } from '../core/errors.js';
import type { EventFilter, Order } from '../core/query.js';
import type { EventService } from './events.js';

/** A numbered window of derived rows and the number of rows the whole selection holds. */
export interface RowWindow<R> {
  rows: R[];
  total: number;
}

export interface RowWindowRequest<R> {
  /** The rows one stored event stands for, in order; none when the event is filtered out. */
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
 * Offset paging over rows derived from events (one event may be several rows, or none). In time
 * order it streams: every matching event is read once, in chunks, keeping only the window and a
 * counter, so memory is one chunk plus one page whatever the range. With `compare` the selection
 * is sorted in memory, bounded by `cap`. Either way the cost is a scan of the filtered events.
 */
export async function rowWindow<R>(
  events: EventService,
  tenant: string,
  filter: EventFilter,
  req: RowWindowRequest<R>,
): Promise<RowWindow<R>> {
  const end = req.offset + req.limit;
  const kept: R[] = [];
  let total = 0;
  for await (const chunk of events.scan(tenant, filter, req.order)) {
    for (const ev of chunk) {
      for (const row of req.rowsOf(ev.json)) {
        if (req.compare) {
          if (total >= req.cap) {
            throw new TrailkeepError(
              'invalid_request',
              `More than ${req.cap} rows to sort; narrow the date range or the filters, or order by time only.`,
            );
          }
          kept.push(row);
        } else if (total >= req.offset && total < end) kept.push(row);
        total++;
      }
    }
  }
  if (!req.compare) return { rows: kept, total };
  kept.sort(req.compare);
  return { rows: kept.slice(req.offset, end), total };
}
