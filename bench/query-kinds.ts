/**
 * The query kinds: for request i of a kind, the HTTP request a client sends and the logical
 * query it asks (what the ceiling runs as one SQL statement, bench/query-sql.ts), both drawn
 * from the dataset. Parameters come from an event picked at random from the dataset, so they
 * follow the data's own distributions (busy actors and hot targets are asked about as often as
 * they occur) and every request matches at least that event: an empty answer is a failure.
 */
import { DateTime } from 'luxon';
import { zonedDayRange } from '../src/core/zoned-days.js';
import { DAY_MS, type Dataset, eventAt } from './dataset.js';
import { type BenchEvent, mulberry32 } from './generate.js';
import type { Reply } from './http.js';

/** The filter fields the kinds use, by their canonical names. */
export type Field = 'actor_id' | 'action' | 'target_type' | 'target_id' | 'category';

/** A keyset position in (occurred_at, seq) order. */
export interface Position {
  occurredAt: number;
  seq: number;
}

/** What a request asks, in canonical terms. Times are epoch ms, `from` inclusive, `to` exclusive. */
export interface Logical {
  fields?: Partial<Record<Field, string[]>>;
  from?: number;
  to?: number;
  /** Full-text terms (one here: letters and digits only). */
  q?: string;
  /** Only events with seq at most this: a query job's frozen snapshot. */
  maxSeq?: number;
  order: 'asc' | 'desc';
  /** Rows read: a keyset page reads one more than it shows, to know whether more follow. */
  limit: number;
  offset?: number;
  after?: Position;
  /** Besides the page, the number of matching events, or of their change rows (LivePerson). */
  total?: 'events' | 'change-rows';
  /** A count and nothing else. */
  countOnly?: boolean;
  /** LivePerson's defaults: leave out privileged actors' and automatic events. */
  noPrivilegedOrAutomatic?: boolean;
}

export interface HttpRequest {
  method: 'GET' | 'POST';
  path: string;
  body?: unknown;
  /** Bearer API key, or Zendesk's Basic `{email}/token:{key}`. */
  auth: 'bearer' | 'zendesk';
}

export interface QueryRequest {
  http: HttpRequest;
  logical: Logical;
}

/** What the product's answer held: its size as the ceiling can tell it too, and the rows shown. */
export interface Answer {
  size: number;
  rows: number;
}

export interface Kind {
  name: string;
  label: string;
  /** A page query: the latency targets apply (a count is not one). */
  page: boolean;
  /** Rows shown per page; the ceiling's size is min(rows read, shown). */
  shown: number;
  /** Its times are relative to the server's clock (`today-3d`): checked only on the dataset's day. */
  relative?: boolean;
  /** Follows cursors deep into the list (bench/query-deep.ts) instead of drawing requests. */
  deep?: boolean;
  draw(d: Dataset, i: number): QueryRequest;
  /** Checks the product's answer fits the request (throws otherwise) and sizes it. */
  read(reply: Reply, req: QueryRequest, check: boolean): Answer;
}

const PAGE = 100;
const iso = (ms: number) => new Date(ms).toISOString();
const timeOf = (e: BenchEvent) => Date.parse(e.occurred_at);

const nameSeed = (name: string) => {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  return h >>> 0;
};

/**
 * Request i's event, uniform over the dataset's events [lo·total, hi·total) in load (= time)
 * order, with a PRNG for the request's other choices. The same (dataset, kind, i) gives the
 * same draw in the product's pass and the ceiling's.
 */
function draw(d: Dataset, kind: string, i: number, lo = 0, hi = 1): { e: BenchEvent; random: () => number } {
  const random = mulberry32((d.seed ^ nameSeed(kind) ^ Math.imul(i + 1, 0x9e3779b1)) >>> 0);
  const first = Math.floor(lo * d.total);
  const k = first + Math.floor(random() * (Math.ceil(hi * d.total) - first));
  return { e: eventAt(d, k), random };
}

/** An instant window of `ms` that holds the event, placed at random around it. */
const around = (e: BenchEvent, random: () => number, ms: number) => {
  const from = timeOf(e) - Math.floor(random() * ms);
  return { from, to: from + ms };
};

const query = (path: string, params: [string, string][]) => `${path}?${new URLSearchParams(params)}`;

function fail(kind: string, message: string): never {
  throw new Error(`${kind}: ${message}`);
}

/** The body as JSON after a 200; anything else fails the run. */
function json(kind: string, reply: Reply): Record<string, unknown> {
  if (reply.status !== 200) fail(kind, `HTTP ${reply.status}: ${reply.text.slice(0, 300)}`);
  return JSON.parse(reply.text) as Record<string, unknown>;
}

/**
 * The rows under `key`: at most `max`, at least one when `check` (every request matches its
 * drawn event), each passing `ok`.
 */
function rowsOf<T>(
  kind: string,
  body: Record<string, unknown>,
  key: string,
  max: number,
  check: boolean,
): T[] {
  const rows = body[key];
  if (!Array.isArray(rows)) return fail(kind, `no ${key} array`);
  if (rows.length > max) fail(kind, `${rows.length} rows, more than ${max}`);
  if (check && rows.length === 0) fail(kind, 'no rows, though the drawn event matches');
  return rows as T[];
}

function each<T>(kind: string, rows: T[], ok: (row: T) => boolean, what: string): void {
  const bad = rows.find((r) => !ok(r));
  if (bad !== undefined) fail(kind, `a row that is not ${what}: ${JSON.stringify(bad).slice(0, 300)}`);
}

interface Stored {
  action: string;
  occurred_at: string;
  category: string;
  actor?: { id?: string };
  target?: { type?: string; id?: string };
}

/** A native page (`{data, next_cursor}`) whose rows all pass `ok`. */
const nativePage =
  (kind: string, ok: (e: Stored, req: QueryRequest) => boolean, what: string) =>
  (reply: Reply, req: QueryRequest, check: boolean): Answer => {
    const rows = rowsOf<Stored>(kind, json(kind, reply), 'data', PAGE, check);
    each(kind, rows, (e) => ok(e, req), what);
    return { size: rows.length, rows: rows.length };
  };

const within = (at: number, l: Logical) =>
  (l.from === undefined || at >= l.from) && (l.to === undefined || at < l.to);
const first = (l: Logical, f: Field) => l.fields?.[f]?.[0];

const list = (
  params: [string, string][],
  logical: Omit<Logical, 'order' | 'limit'>,
  order: 'asc' | 'desc' = 'desc',
) => ({
  http: {
    method: 'GET' as const,
    path: query('/v1/events', [...params, ['limit', String(PAGE)], ['order', order]]),
    auth: 'bearer' as const,
  },
  logical: { ...logical, order, limit: PAGE + 1 },
});

const actionInWeek = (d: Dataset, kind: string, i: number) => {
  const { e, random } = draw(d, kind, i);
  const { from, to } = around(e, random, 7 * DAY_MS);
  return {
    params: [
      ['action', e.action as string],
      ['from', iso(from)],
      ['to', iso(to)],
    ] as [string, string][],
    logical: { fields: { action: [e.action as string] }, from, to },
  };
};

const actorOf = (e: BenchEvent) => (e.actor as { id: string }).id;
const targetOf = (e: BenchEvent) => e.target as { type: string; id: string };

/** LivePerson's document: the day's rows of the given component types, the first 50. */
const AUDIT_QUERY = `query Audit($from: String, $to: String, $types: [String!]) {
  auditData(fromDate: $from, toDate: $to, componentTypes: $types) {
    accountId changeDate element oldValue newValue objectType objectName originator originatorUserId
  }
}`;
const LP_ZONE = 'US/Eastern';
const LP_FIRST = 50;

export const KINDS: Kind[] = [
  {
    name: 'list',
    label: 'native: no filter, first page (newest and oldest first in turn)',
    page: true,
    shown: PAGE,
    draw: (_d, i) => list([], {}, i % 2 ? 'asc' : 'desc'),
    read: nativePage('list', () => true, 'an event'),
  },
  {
    name: 'actor',
    label: 'native: by actor',
    page: true,
    shown: PAGE,
    draw: (d, i) => {
      const id = actorOf(draw(d, 'actor', i).e);
      return list([['actor_id', id]], { fields: { actor_id: [id] } });
    },
    read: nativePage('actor', (e, r) => e.actor?.id === first(r.logical, 'actor_id'), "the actor's"),
  },
  {
    name: 'action-time',
    label: 'native: by action, 7-day range',
    page: true,
    shown: PAGE,
    draw: (d, i) => {
      const { params, logical } = actionInWeek(d, 'action-time', i);
      return list(params, logical);
    },
    read: nativePage(
      'action-time',
      (e, r) => e.action === first(r.logical, 'action') && within(Date.parse(e.occurred_at), r.logical),
      'of the action and range',
    ),
  },
  {
    name: 'target',
    label: 'native: by target',
    page: true,
    shown: PAGE,
    draw: (d, i) => {
      const t = targetOf(draw(d, 'target', i).e);
      return list(
        [
          ['target_type', t.type],
          ['target_id', t.id],
        ],
        { fields: { target_type: [t.type], target_id: [t.id] } },
      );
    },
    read: nativePage('target', (e, r) => e.target?.id === first(r.logical, 'target_id'), "the target's"),
  },
  {
    name: 'text',
    label: 'native: full-text q (a target number)',
    page: true,
    shown: PAGE,
    draw: (d, i) => {
      const q = targetOf(draw(d, 'text', i).e).id.split('-')[1] as string;
      return list([['q', q]], { q });
    },
    read: nativePage('text', (e, r) => JSON.stringify(e).includes(r.logical.q as string), 'holding the term'),
  },
  {
    name: 'deep',
    label: 'native: no filter, a page 100+ pages deep (cursors)',
    page: true,
    shown: PAGE,
    deep: true,
    draw: () => list([], {}),
    read: nativePage('deep', () => true, 'an event'),
  },
  {
    name: 'count',
    label: 'native: count by action, 7-day range',
    page: false,
    shown: 0,
    draw: (d, i) => {
      const { params, logical } = actionInWeek(d, 'count', i);
      return {
        http: { method: 'GET', path: query('/v1/events/count', params), auth: 'bearer' },
        logical: { ...logical, order: 'desc', limit: 0, countOnly: true },
      };
    },
    read: (reply, _req, check) => {
      const { count } = json('count', reply) as { count: number };
      if (check && !(count >= 1)) fail('count', `count ${count}, though the drawn event matches`);
      return { size: count, rows: 0 };
    },
  },
  {
    name: 'genesys-realtime',
    label: 'Genesys realtime: by user, 1-day interval, page 1 of 25',
    page: true,
    shown: 25,
    draw: (d, i) => {
      // The realtime window is the last 14 days: events of the last 12 leave a day to spare.
      const { e, random } = draw(d, 'genesys-realtime', i, 1 - 12 / (d.spanMs / DAY_MS));
      const { from, to } = around(e, random, DAY_MS);
      const id = actorOf(e);
      return {
        http: {
          method: 'POST',
          path: '/api/v2/audits/query/realtime',
          body: {
            interval: `${iso(from)}/${iso(to)}`,
            filters: [{ property: 'UserId', value: id }],
            pageNumber: 1,
            pageSize: 25,
          },
          auth: 'bearer',
        },
        logical: {
          fields: { actor_id: [id] },
          from,
          to,
          order: 'desc',
          limit: 25,
          offset: 0,
          total: 'events',
        },
      };
    },
    read: (reply, req, check) => {
      const body = json('genesys-realtime', reply);
      const rows = rowsOf<{ user?: { id?: string } }>('genesys-realtime', body, 'entities', 25, check);
      each('genesys-realtime', rows, (m) => m.user?.id === first(req.logical, 'actor_id'), "the user's");
      return { size: body.total as number, rows: rows.length };
    },
  },
  {
    name: 'zendesk',
    label: 'Zendesk: by actor, 30-day created_at, cursor page of 100',
    page: true,
    shown: PAGE,
    draw: (d, i) => {
      const { e, random } = draw(d, 'zendesk', i);
      const { from, to } = around(e, random, 30 * DAY_MS);
      const id = actorOf(e);
      return {
        http: {
          method: 'GET',
          // created_at's end is inclusive.
          path: query('/api/v2/audit_logs', [
            ['filter[actor_id]', id],
            ['filter[created_at]', iso(from)],
            ['filter[created_at]', iso(to - 1)],
            ['page[size]', String(PAGE)],
          ]),
          auth: 'zendesk',
        },
        logical: { fields: { actor_id: [id] }, from, to, order: 'desc', limit: PAGE + 1 },
      };
    },
    read: (reply, req, check) => {
      const rows = rowsOf<{ actor_id?: unknown }>(
        'zendesk',
        json('zendesk', reply),
        'audit_logs',
        PAGE,
        check,
      );
      each('zendesk', rows, (a) => a.actor_id === first(req.logical, 'actor_id'), "the actor's");
      return { size: rows.length, rows: rows.length };
    },
  },
  {
    name: 'agilicus',
    label: 'Agilicus: audits, dt_from=today-Nd, dt_to a day later, 100',
    page: true,
    shown: PAGE,
    relative: true,
    draw: (d, i) => {
      // /v1/audits lists admin, data and system events: draw until one is.
      let n = 0;
      let e = draw(d, 'agilicus', i).e;
      while (e.category === 'auth' && n < 100) e = draw(d, 'agilicus', i + ++n * 1_000_003).e;
      const days = Math.ceil((d.end - timeOf(e)) / DAY_MS);
      const from = d.end - days * DAY_MS;
      return {
        http: {
          method: 'GET',
          path: query('/v1/audits', [
            ['dt_from', `today-${days}d`],
            ['dt_to', days > 1 ? `today-${days - 1}d` : 'today'],
            ['limit', String(PAGE)],
          ]),
          auth: 'bearer',
        },
        logical: {
          fields: { category: ['admin', 'data', 'system'] },
          from,
          to: from + DAY_MS,
          order: 'desc',
          limit: PAGE,
        },
      };
    },
    read: (reply, req, check) => {
      const rows = rowsOf<{ time: string }>('agilicus', json('agilicus', reply), 'audits', PAGE, check);
      if (check) each('agilicus', rows, (a) => within(Date.parse(a.time), req.logical), 'in the window');
      return { size: rows.length, rows: rows.length };
    },
  },
  {
    name: 'liveperson',
    label: 'LivePerson auditData: one day, componentTypes, first 50 rows',
    page: true,
    shown: LP_FIRST,
    draw: (d, i) => {
      const e = draw(d, 'liveperson', i).e;
      const day = DateTime.fromMillis(timeOf(e), { zone: LP_ZONE }).toFormat('yyyy-MM-dd');
      const type = targetOf(e).type;
      const { from, to } = zonedDayRange(LP_ZONE, day, day);
      return {
        http: {
          method: 'POST',
          path: `/api/account/${d.tenant}/configuration/metadata/audit`,
          body: { query: AUDIT_QUERY, variables: { from: day, to: day, types: [type] } },
          auth: 'bearer',
        },
        logical: {
          fields: { target_type: [type] },
          ...(from !== undefined ? { from } : {}),
          ...(to !== undefined ? { to } : {}),
          order: 'desc',
          limit: LP_FIRST,
          total: 'change-rows',
          noPrivilegedOrAutomatic: true,
        },
      };
    },
    read: (reply, req, check) => {
      const data = json('liveperson', reply).data as Record<string, unknown> | undefined;
      if (!data) fail('liveperson', `no data: ${reply.text.slice(0, 300)}`);
      const rows = rowsOf<{ objectType?: string }>('liveperson', data, 'auditData', LP_FIRST, check);
      each('liveperson', rows, (r) => r.objectType === first(req.logical, 'target_type'), 'of the type');
      const total = Number(reply.headers['x-total-count']);
      if (!Number.isInteger(total)) fail('liveperson', 'no X-Total-Count');
      return { size: total, rows: rows.length };
    },
  },
];

export const kindNamed = (name: string): Kind =>
  KINDS.find((k) => k.name === name) ?? fail(name, 'no such kind');
