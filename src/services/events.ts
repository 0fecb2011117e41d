import type { CursorSigner } from '../core/cursor.js';
import { TrailkeepError } from '../core/errors.js';
import { prepareBatch } from '../core/event/prepare.js';
import type { EventFilter, EventRow, Order } from '../core/query.js';
import type { AppendResult, Store } from '../store/types.js';

export interface Page {
  rows: EventRow[];
  nextCursor: string | null;
}

export interface PageRequest {
  order?: Order;
  limit: number;
  cursor?: string;
}

/** Serialises a page without re-parsing stored events: their JSON is spliced in as stored. */
export const pageJson = (page: Page): string =>
  `{"data":[${page.rows.map((r) => r.json).join(',')}],"next_cursor":${JSON.stringify(page.nextCursor)}}`;

/** Ingest and reads of the canonical event log, shared by every API dialect and the CLI. */
export class EventService {
  constructor(
    private readonly store: Store,
    private readonly cursors: CursorSigner,
    private readonly clock: () => number = Date.now,
  ) {}

  /** Validates the whole batch first; then stores all of it in one transaction, or nothing. */
  async ingest(tenant: string, inputs: unknown[], rootOf: (i: number) => string): Promise<AppendResult[]> {
    if (inputs.length === 0) throw new TrailkeepError('invalid_event', 'The batch holds no events.');
    const prepared = prepareBatch(inputs, rootOf);
    return this.store.events.append(tenant, prepared, this.clock());
  }

  /**
   * One keyset page. `scope` binds cursors to the list they page (and the tenant), so a cursor
   * from one list or tenant is rejected by every other.
   */
  async page(tenant: string, filter: EventFilter, req: PageRequest, scope = 'events'): Promise<Page> {
    let order: Order = req.order ?? 'desc';
    let after: EventRow | undefined;
    if (req.cursor !== undefined) {
      const c = this.cursors.verify(tenant, scope, req.cursor);
      if (req.order !== undefined && req.order !== c.order) {
        throw new TrailkeepError('invalid_cursor', 'The cursor was made for the other order.');
      }
      order = c.order;
      after = { occurredAt: c.occurredAt, seq: c.seq, json: '' };
    }
    const rows = await this.store.events.list(tenant, {
      ...filter,
      order,
      limit: req.limit + 1,
      ...(after ? { after } : {}),
    });
    const more = rows.length > req.limit;
    if (more) rows.pop();
    const last = rows.at(-1);
    const nextCursor =
      more && last
        ? this.cursors.sign(tenant, scope, { order, occurredAt: last.occurredAt, seq: last.seq })
        : null;
    return { rows, nextCursor };
  }

  count(tenant: string, filter: EventFilter): Promise<number> {
    return this.store.events.count(tenant, filter);
  }

  /** By client id, or by seq when the id is a positive integer that no client id matches. */
  async get(tenant: string, idOrSeq: string): Promise<string> {
    const seq = /^[1-9]\d{0,15}$/.test(idOrSeq) ? Number(idOrSeq) : undefined;
    const json = await this.store.events.get(tenant, idOrSeq, seq);
    if (json === null) throw new TrailkeepError('not_found', `Event ${idOrSeq} not found.`);
    return json;
  }
}
