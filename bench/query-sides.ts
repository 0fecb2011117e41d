/**
 * The two sides a query request is timed on: the product over HTTP (one keep-alive connection,
 * one request at a time) and the ceiling's bare driver. Each sends a request, stops the clock
 * when the whole answer is in, and only then reads it; each also finds the requests for pages
 * deep in a list by paging to them, the product by its cursors, the ceiling by positions.
 */
import http from 'node:http';
import type { Engine } from './databases.js';
import { type Reply, request } from './http.js';
import { openBare, type Row } from './query-ceiling.js';
import type { Answer, HttpRequest, Kind, QueryRequest } from './query-kinds.js';
import { statementFor } from './query-sql.js';

export interface Timed {
  ms: number;
  answer: Answer;
}

export interface Side {
  send(kind: Kind, req: QueryRequest, check: boolean): Promise<Timed>;
  /** Requests for pages depth+1 … depth+count of `first`'s list (fewer if the list ends first). */
  deepRequests(kind: Kind, first: QueryRequest, depth: number, count: number): Promise<QueryRequest[]>;
  close(): Promise<void>;
}

export type SideSpec =
  | { side: 'product'; url: string; key: string }
  | { side: 'ceiling'; engine: Engine; db: string; tenant: string };

const REQUEST_TIMEOUT_MS = 300_000;

/** The product's side: HTTP with the tenant's API key, as each dialect's clients send it. */
export function productSide(url: string, key: string): Side & { call(r: HttpRequest): Promise<Reply> } {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const basic = `Basic ${Buffer.from(`bench@example.com/token:${key}`).toString('base64')}`;
  const call = (r: HttpRequest) =>
    request(agent, new URL(r.path, url), {
      method: r.method,
      headers: {
        authorization: r.auth === 'zendesk' ? basic : `Bearer ${key}`,
        ...(r.body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(r.body === undefined ? {} : { body: JSON.stringify(r.body) }),
      timeoutMs: REQUEST_TIMEOUT_MS,
    });
  const withCursor = (req: QueryRequest, cursor: string): QueryRequest => ({
    ...req,
    http: { ...req.http, path: `${req.http.path}&cursor=${encodeURIComponent(cursor)}` },
  });
  return {
    call,
    async send(kind, req, check) {
      const started = performance.now();
      const reply = await call(req.http);
      const ms = performance.now() - started;
      return { ms, answer: kind.read(reply, req, check) };
    },
    async deepRequests(kind, first, depth, count) {
      const out: QueryRequest[] = [];
      let page = first;
      for (let p = 1; p < depth + count; p++) {
        const reply = await call(page.http);
        kind.read(reply, page, true);
        const next = (JSON.parse(reply.text) as { next_cursor: string | null }).next_cursor;
        if (next === null) break;
        page = withCursor(first, next);
        if (p >= depth) out.push(page);
      }
      return out;
    },
    async close() {
      agent.destroy();
    },
  };
}

/** The size of the ceiling's answer, as the product's `Answer.size` counts it. */
function sizeOf(kind: Kind, req: QueryRequest, rows: Row[]): number {
  if (req.logical.countOnly) return Number(rows[0]?.n);
  if (req.logical.total) return Number(rows[0]?.total ?? 0);
  return Math.min(rows.length, kind.shown);
}

export async function ceilingSide(engine: Engine, db: string, tenant: string): Promise<Side> {
  const bare = await openBare(engine, db);
  return {
    async send(kind, req, check) {
      const statement = statementFor(engine, tenant, req.logical);
      const started = performance.now();
      const rows = await bare.rows(statement);
      const ms = performance.now() - started;
      const size = sizeOf(kind, req, rows);
      if (check && size === 0) throw new Error(`${kind.name} (ceiling): no rows`);
      return { ms, answer: { size, rows: Math.min(rows.length, kind.shown) } };
    },
    async deepRequests(kind, first, depth, count) {
      const out: QueryRequest[] = [];
      let page = first;
      for (let p = 1; p < depth + count; p++) {
        const rows = await bare.rows(statementFor(engine, tenant, page.logical));
        const last = rows[kind.shown - 1];
        if (rows.length <= kind.shown || !last) break;
        page = {
          ...first,
          logical: { ...first.logical, after: { occurredAt: Number(last.at), seq: Number(last.seq) } },
        };
        if (p >= depth) out.push(page);
      }
      return out;
    },
    close: () => bare.close(),
  };
}

export const openSide = (spec: SideSpec): Promise<Side> =>
  spec.side === 'product'
    ? Promise.resolve(productSide(spec.url, spec.key))
    : ceilingSide(spec.engine, spec.db, spec.tenant);
