import type { CursorSigner } from '../core/cursor.js';
import { TrailkeepError } from '../core/errors.js';
import { type PreparedEvent, prepareBatch } from '../core/event/prepare.js';
import { MAX_BATCH_EVENTS, SEQ_TEXT } from '../core/event/schema.js';
import { type ServiceMap, serviceMap } from '../core/facets.js';
import { andFilters } from '../core/narrow.js';
import type { EventFilter, EventRow, Order, Position } from '../core/query.js';
import { Problems } from '../core/schema.js';
import type { AppendResult, EventStore } from '../store/types.js';
import { scanEvents } from './scan.js';

/** Who writes a batch, which decides where each of its events goes. */
export type WriteAs =
  /** A tenant-bound credential: its events go to its tenant, and may name no other. */
  | { kind: 'tenant'; tenant: string }
  /**
   * An operator key: each event names its tenant, or `tenant` (the Trailkeep-Tenant header)
   * names it for the batch; where both do, they must agree. `createTenants` creates unknown ones.
   */
  | { kind: 'operator'; tenant: string | undefined; createTenants: boolean };

/** An ingested event's outcome; `tenant` says where it went when an operator key wrote it. */
export type IngestResult = AppendResult & { tenant?: string };

export interface Page {
  rows: EventRow[];
  nextCursor: string | null;
}

/** A numbered page: its rows and the size of the whole matching set. */
export interface OffsetPage {
  rows: EventRow[];
  total: number;
}

/** The most events `related` returns: one action causing more than this is not a transaction. */
export const RELATED_LIMIT = 10_000;

export interface PageRequest {
  order?: Order;
  limit: number;
  cursor?: string;
}

/** A page read in either direction from a cursor, for dialects that also page backwards. */
export interface SpanRequest {
  /** The order rows are listed in; a cursor's own order when absent (newest first without one). */
  order?: Order;
  limit: number;
  /** The rows strictly after this cursor's position, in `order`. */
  after?: string;
  /** The rows strictly before this cursor's position (the page that precedes it), in `order`. */
  before?: string;
}

/**
 * Rows in the requested order, with cursors at both ends: `first` (pass it as `before` for the
 * previous page) and `last` (pass it as `after` for the next). An empty page keeps the position it
 * was read from, so polling it again returns what has arrived since. `more` says whether rows exist
 * beyond the page in the direction it was read.
 */
export interface Span {
  rows: EventRow[];
  order: Order;
  direction: 'after' | 'before';
  more: boolean;
  first: string | null;
  last: string | null;
}

const opposite = (o: Order): Order => (o === 'asc' ? 'desc' : 'asc');

/** Client ids are never empty, so looking this id up always falls through to the seq. */
const NO_CLIENT_ID = '';

/** One request's events past MAX_BATCH_EVENTS, on every encoding (HTTP's NDJSON refuses it sooner). */
export const tooManyEvents = (): TrailkeepError =>
  new TrailkeepError(
    'payload_too_large',
    `A batch holds at most ${MAX_BATCH_EVENTS} events; send more in several requests.`,
    { max_events: MAX_BATCH_EVENTS },
  );

/** Serialises a page without re-parsing stored events: their JSON is spliced in as stored. */
export const pageJson = (page: Page): string =>
  `{"data":[${page.rows.map((r) => r.json).join(',')}],"next_cursor":${JSON.stringify(page.nextCursor)}}`;

/** Ingest and reads of the canonical event log, shared by every API dialect and the CLI. */
export class EventService {
  constructor(
    private readonly events: EventStore,
    private readonly cursors: CursorSigner,
    private readonly clock: () => number = Date.now,
  ) {}

  /**
   * Validates the whole batch first; then stores all of it in one transaction, or nothing. A
   * tenant (string) writes as a tenant-bound credential; `WriteAs` says who else may write.
   */
  async ingest(
    as: string | WriteAs,
    inputs: unknown[],
    rootOf: (i: number) => string,
  ): Promise<IngestResult[]> {
    if (inputs.length === 0) throw new TrailkeepError('invalid_event', 'The batch holds no events.');
    if (inputs.length > MAX_BATCH_EVENTS) throw tooManyEvents();
    const prepared = prepareBatch(inputs, rootOf);
    const writer: WriteAs = typeof as === 'string' ? { kind: 'tenant', tenant: as } : as;
    if (writer.kind === 'tenant') {
      const foreign = prepared.findIndex((e) => e.tenant !== undefined && e.tenant !== writer.tenant);
      if (foreign >= 0) {
        throw new TrailkeepError('forbidden', 'A tenant-bound credential writes only to its own tenant.', [
          { path: `${rootOf(foreign)}.tenant`, message: `must be ${writer.tenant} (or absent)` },
        ]);
      }
      return this.events.append(writer.tenant, prepared, this.clock());
    }
    return this.ingestAcrossTenants(writer, prepared, rootOf);
  }

  /** An operator key's batch: one group per tenant, stored atomically; results in input order. */
  private async ingestAcrossTenants(
    writer: Extract<WriteAs, { kind: 'operator' }>,
    prepared: PreparedEvent[],
    rootOf: (i: number) => string,
  ): Promise<IngestResult[]> {
    const groups = new Map<string, { events: PreparedEvent[]; at: number[] }>();
    const problems = new Problems();
    prepared.forEach((e, i) => {
      const tenant = e.tenant ?? writer.tenant;
      if (tenant === undefined) {
        problems.add(
          `${rootOf(i)}.tenant`,
          'is required: name the tenant here or in the Trailkeep-Tenant header',
        );
      } else if (writer.tenant !== undefined && tenant !== writer.tenant) {
        problems.add(`${rootOf(i)}.tenant`, `must agree with the Trailkeep-Tenant header (${writer.tenant})`);
      } else {
        const group = groups.get(tenant) ?? { events: [], at: [] };
        group.events.push(e);
        group.at.push(i);
        groups.set(tenant, group);
      }
    });
    if (problems.count > 0) throw new TrailkeepError('invalid_event', undefined, problems.list());
    const entries = [...groups];
    const stored = await this.events.appendGroups(
      entries.map(([tenant, g]) => ({ tenant, events: g.events })),
      this.clock(),
      { createTenants: writer.createTenants },
    );
    const results: IngestResult[] = new Array(prepared.length);
    entries.forEach(([tenant, g], k) => {
      g.at.forEach((i, j) => {
        results[i] = { ...(stored[k]?.[j] as AppendResult), tenant };
      });
    });
    return results;
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
    const rows = await this.events.list(tenant, {
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

  /**
   * One page after or before a cursor (never both), cursors at both ends. A `before` page is an
   * `after` page read in the opposite order and reversed, so both directions are one index range.
   */
  async span(tenant: string, filter: EventFilter, req: SpanRequest, scope = 'events'): Promise<Span> {
    if (req.after !== undefined && req.before !== undefined) {
      throw new TrailkeepError('invalid_cursor', 'Page after or before a cursor, not both.');
    }
    const given = req.after ?? req.before;
    const direction = req.before !== undefined ? 'before' : 'after';
    let order: Order = req.order ?? 'desc';
    let from: Position | undefined;
    if (given !== undefined) {
      const c = this.cursors.verify(tenant, scope, given);
      if (req.order !== undefined && req.order !== c.order) {
        throw new TrailkeepError('invalid_cursor', 'The cursor was made for the other order.');
      }
      order = c.order;
      from = { occurredAt: c.occurredAt, seq: c.seq };
    }
    const rows = await this.events.list(tenant, {
      ...filter,
      order: direction === 'before' ? opposite(order) : order,
      limit: req.limit + 1,
      ...(from ? { after: from } : {}),
    });
    const more = rows.length > req.limit;
    if (more) rows.pop();
    if (direction === 'before') rows.reverse();
    const sign = (p: Position | undefined) =>
      p ? this.cursors.sign(tenant, scope, { order, occurredAt: p.occurredAt, seq: p.seq }) : null;
    return { rows, order, direction, more, first: sign(rows[0] ?? from), last: sign(rows.at(-1) ?? from) };
  }

  /** The event with this seq, by seq only (a client id that looks like a number cannot shadow it). */
  async getBySeq(tenant: string, seq: number): Promise<string> {
    const json =
      Number.isSafeInteger(seq) && seq > 0 ? await this.events.get(tenant, NO_CLIENT_ID, seq) : null;
    if (json === null) throw new TrailkeepError('not_found', `Event ${seq} not found.`);
    return json;
  }

  /**
   * A numbered page (offset paging), for dialects whose clients ask for page N. Offsets move as
   * events arrive, so this is for bounded, recent ranges; keyset `page` is for everything else.
   */
  async offsetPage(
    tenant: string,
    filter: EventFilter,
    req: { order: Order; limit: number; offset: number },
  ): Promise<OffsetPage> {
    const [total, rows] = await Promise.all([
      this.events.count(tenant, filter),
      this.events.list(tenant, { ...filter, order: req.order, limit: req.limit, offset: req.offset }),
    ]);
    return { rows, total };
  }

  /**
   * The first `limit` matching events in `order` that `pick` keeps (it returns undefined to skip
   * one): for conditions no store filter expresses. Without skips it is a single query; with
   * them it reads on chunk by chunk until it has `limit`, so a rare condition can read far.
   */
  async take<T>(
    tenant: string,
    filter: EventFilter,
    order: Order,
    limit: number,
    pick: (row: EventRow) => T | undefined,
    chunk = limit,
  ): Promise<T[]> {
    const out: T[] = [];
    if (limit <= 0) return out;
    for await (const rows of this.scan(tenant, filter, order, chunk)) {
      for (const row of rows) {
        const kept = pick(row);
        if (kept === undefined) continue;
        out.push(kept);
        if (out.length === limit) return out;
      }
    }
    return out;
  }

  /** Every matching event in `order`, one chunk at a time (scanEvents). */
  scan(tenant: string, filter: EventFilter, order: Order, chunk = 1000): AsyncGenerator<EventRow[]> {
    return scanEvents(this.events, tenant, filter, order, chunk);
  }

  /**
   * The events of the given event's transaction (`transaction_id`), itself included, in
   * `order`; just the event when it has no transaction. `not_found` when the id is unknown.
   */
  async related(tenant: string, id: string, order: Order): Promise<EventRow[]> {
    const json = await this.getById(tenant, id);
    const e = JSON.parse(json) as { transaction_id?: string; occurred_at: string; seq: number };
    if (e.transaction_id === undefined) return [{ occurredAt: Date.parse(e.occurred_at), seq: e.seq, json }];
    return this.events.list(tenant, {
      fields: { transaction_id: [e.transaction_id] },
      order,
      limit: RELATED_LIMIT,
    });
  }

  /** Which services, target types and actions occur in the matching events. */
  async serviceMap(tenant: string, filter: EventFilter): Promise<ServiceMap> {
    return serviceMap(await this.events.facets(tenant, filter));
  }

  count(tenant: string, filter: EventFilter): Promise<number> {
    return this.events.count(tenant, filter);
  }

  /** The change rows of the matching events (one per change, one for an event without changes). */
  countChangeRows(tenant: string, filter: EventFilter): Promise<number> {
    return this.events.countChangeRows(tenant, filter);
  }

  /**
   * By seq when `idOrSeq` is written as one (SEQ_TEXT), else by client id; with `within` (a
   * viewer token's narrowing), only an event it selects. The seq wins because
   * the server assigns it, gapless and unchosen: a writer cannot hide event 42 behind an event
   * whose id is "42" (ids of that form are refused at ingest since; one stored before is read
   * through lists and exports).
   */
  async get(tenant: string, idOrSeq: string, within?: EventFilter): Promise<string> {
    const json = SEQ_TEXT.test(idOrSeq)
      ? await this.getBySeq(tenant, Number(idOrSeq))
      : await this.getById(tenant, idOrSeq);
    // Outside a viewer token's narrowing, an event answers exactly as one that does not exist.
    if (within !== undefined && !(await this.selects(tenant, within, json))) {
      throw new TrailkeepError('not_found', `Event ${idOrSeq} not found.`);
    }
    return json;
  }

  /** Whether `filter` selects the stored event `json`: the stores' own reading, as a list would. */
  private async selects(tenant: string, filter: EventFilter, json: string): Promise<boolean> {
    const { seq } = JSON.parse(json) as { seq: number };
    return (await this.events.count(tenant, andFilters(filter, { minSeq: seq, maxSeq: seq }))) > 0;
  }

  /** By client id only (a dialect whose ids are always client ids). */
  async getById(tenant: string, id: string): Promise<string> {
    const json = await this.events.get(tenant, id, undefined);
    if (json === null) throw new TrailkeepError('not_found', `Event ${id} not found.`);
    return json;
  }
}
