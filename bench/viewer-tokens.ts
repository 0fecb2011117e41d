/**
 * Viewer tokens (issue 20, docs/embedding.md): what a read through a viewer token costs beside
 * the same read with the tenant's key, on the dataset (loaded into a database of its own). On a
 * server at its default settings, one request in flight, `requests` timed per kind per round
 * after `warmup` untimed, the kinds interleaved request by request so that drift (caches, the
 * log's checkpoints) falls on each alike:
 *
 * - `key`: `GET /v1/events?limit=100` (the newest page) with the tenant's key: the floor;
 * - `viewer`: the same with a viewer token while the tenant records viewer reads: the token's
 *   own cost (JWT check, the minting key's and the tenant's lookups) plus one `audit.log.view`
 *   event committed before each read;
 * - `viewer, narrowed`: a token narrowed to the dataset's commonest action, the request asking
 *   for nothing more (so its answer is a page of that action);
 * - `key, narrowed`: the key asking for that action itself, the narrowed token's floor;
 * - `ingest 1`: one event posted by the key (what the recording adds at least).
 *
 * Then the same `viewer` and `key` reads with the tenant's recording turned off: the token's cost
 * without the write. Every answer is checked (status 200; a page of 100 events, of the narrowed
 * action where narrowed).
 */
import { call } from '../test/helpers/api.js';
import type { Engine } from './databases.js';
import { type Dataset, loadDataset } from './dataset.js';
import { fixed } from './format.js';
import { api, peakRss, type Server, withServer } from './server.js';
import { type Percentiles, percentileStats, percentiles, type Stat } from './stats.js';

/** The generator's commonest action (rank 1 of its Zipf draw, bench/generate.ts): a narrowed page is full. */
const NARROWED_ACTION = 'user.login';

export interface ViewerSettings {
  rounds: number;
  requests: number;
  warmup: number;
}

export const VIEWER_KINDS = [
  { name: 'key', label: 'newest page, tenant key' },
  { name: 'viewer', label: 'newest page, viewer token, recorded' },
  { name: 'key-narrowed', label: 'newest page of one action, tenant key' },
  { name: 'viewer-narrowed', label: 'newest page, viewer token narrowed to that action, recorded' },
  { name: 'ingest', label: 'one event ingested by the tenant key (the least a recorded view adds)' },
  { name: 'key-off', label: 'newest page, tenant key (recording off)' },
  { name: 'viewer-off', label: 'newest page, viewer token, recording off' },
] as const;

export type ViewerKind = (typeof VIEWER_KINDS)[number]['name'];

export interface ViewerKindResult extends Record<keyof Percentiles, Stat> {
  kind: ViewerKind;
  rounds: Percentiles[];
}

export interface ViewerTokensResult {
  engine: Engine;
  events: number;
  /** The action the narrowed token is narrowed to. */
  action: string;
  kinds: ViewerKindResult[];
  /** Views the server recorded, counted at the end: one per recorded read, warm-ups included. */
  recorded: number;
  peakRssBytes: number | null;
}

/** One timed request, its answer checked; milliseconds. */
async function timed(
  server: Server,
  token: string,
  path: string,
  check: (status: number, body: string) => string | null,
  body?: unknown,
): Promise<number> {
  const started = performance.now();
  const res = await call(server.url, token, body === undefined ? 'GET' : 'POST', path, body);
  const text = await res.text();
  const ms = performance.now() - started;
  const problem = check(res.status, text);
  if (problem) throw new Error(`${path}: ${problem}: HTTP ${res.status} ${text.slice(0, 300)}`);
  return ms;
}

/** A page of 100 events, each of `action` when given. */
const page =
  (action?: string) =>
  (status: number, body: string): string | null => {
    if (status !== 200) return 'not 200';
    const { data } = JSON.parse(body) as { data: { action: string }[] };
    if (data.length !== 100) return `${data.length} events, not 100`;
    return action && data.some((e) => e.action !== action) ? `an event not of ${action}` : null;
  };

const created = (status: number): string | null => (status === 201 ? null : 'not 201');

type Run = (kind: ViewerKind) => Promise<number>;

/** `kinds` interleaved, `warmup` untimed then `requests` timed rounds of one request each. */
async function interleave(
  kinds: readonly ViewerKind[],
  run: Run,
  { requests, warmup }: ViewerSettings,
): Promise<Map<ViewerKind, number[]>> {
  const times = new Map<ViewerKind, number[]>(kinds.map((k) => [k, []]));
  for (let i = 0; i < warmup + requests; i++) {
    for (const kind of kinds) {
      const ms = await run(kind);
      if (i >= warmup) times.get(kind)?.push(ms);
    }
  }
  return times;
}

export async function viewerTokensPart(
  engine: Engine,
  db: string,
  d: Dataset,
  settings: ViewerSettings,
  log: (line: string) => void,
): Promise<ViewerTokensResult> {
  const loaded = await loadDataset(db, d);
  const { adminToken } = loaded.deployment;
  const action = NARROWED_ACTION;
  return withServer(loaded.deployment, async (server) => {
    const mint = async (filters: Record<string, unknown>) =>
      (
        (await api(server.url, loaded.key, 'POST', '/v1/viewer-tokens', {
          actor: { id: 'bench-viewer', name: 'Bench Viewer' },
          filters,
          ttl_seconds: 3600,
        })) as { token: string }
      ).token;
    const record = (on: boolean) =>
      api(server.url, adminToken, 'PATCH', `/v1/tenants/${d.tenant}`, { record_viewer_reads: on });
    const newest = '/v1/events?limit=100';
    let n = 0;
    // Tokens are minted per round: the longest a token may live is an hour.
    const roundRun = (viewer: string, narrowed: string): Run => {
      return (kind) => {
        switch (kind) {
          case 'key':
          case 'key-off':
            return timed(server, loaded.key, newest, page());
          case 'viewer':
          case 'viewer-off':
            return timed(server, viewer, newest, page());
          case 'key-narrowed':
            return timed(server, loaded.key, `${newest}&action=${encodeURIComponent(action)}`, page(action));
          case 'viewer-narrowed':
            return timed(server, narrowed, newest, page(action));
          case 'ingest':
            return timed(server, loaded.key, '/v1/events', created, {
              id: `bench-viewer-ingest-${n++}`,
              occurred_at: new Date(d.end - 1).toISOString(),
              action: 'bench.ingest',
            });
        }
      };
    };
    const rounds = new Map<ViewerKind, Percentiles[]>(VIEWER_KINDS.map((k) => [k.name, []]));
    for (let r = 1; r <= settings.rounds; r++) {
      const run = roundRun(await mint({}), await mint({ action }));
      await record(true);
      const on = await interleave(
        ['key', 'viewer', 'key-narrowed', 'viewer-narrowed', 'ingest'],
        run,
        settings,
      );
      await record(false);
      const off = await interleave(['key-off', 'viewer-off'], run, settings);
      await record(true);
      for (const [kind, ms] of [...on, ...off]) rounds.get(kind)?.push(percentiles(ms));
      const p50 = (k: ViewerKind) => fixed(rounds.get(k)?.at(-1)?.p50 ?? Number.NaN);
      log(
        `  ${engine} viewer tokens round ${r}/${settings.rounds}: newest page p50 key ${p50('key')} ms, ` +
          `viewer ${p50('viewer')} ms (recording off: key ${p50('key-off')}, viewer ${p50('viewer-off')}); ` +
          `ingest of one event ${p50('ingest')} ms`,
      );
    }
    const counted = (await api(server.url, loaded.key, 'GET', '/v1/events/count?action=audit.log.view')) as {
      count: number;
    };
    return {
      engine,
      events: d.total,
      action,
      kinds: VIEWER_KINDS.map(({ name }) => {
        const list = rounds.get(name) ?? [];
        return { kind: name, rounds: list, ...percentileStats(list) };
      }),
      recorded: counted.count,
      peakRssBytes: peakRss(server.pid),
    };
  });
}
