/** The printed report: one Markdown table per part, each figure marked against its target. */
import type { AbuseEngineResult } from './abuse.js';
import type { ExportEngineResult } from './export.js';
import { fixed, int, mib, spread } from './format.js';
import { RESULT_PAGE } from './genesys-async.js';
import type { LogEngineResult } from './log.js';
import { LOG_KINDS } from './log-kinds.js';
import type { QueryEngineResult } from './queries.js';
import { KINDS } from './query-kinds.js';
import { MODES, type SiemEngineResult } from './siem-streams.js';
import type { StreamEngineResult } from './stream.js';
import type { EngineResult, SuiteResult } from './suite.js';
import { type Check, TARGET_EVENTS } from './targets.js';
import type { ViewerEngineResult } from './viewer.js';
import { VIEWER_KINDS, type ViewerTokensResult } from './viewer-tokens.js';

const ENGINE = { sqlite: 'SQLite', postgres: 'PostgreSQL' } as const;

export function markdown(rows: string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] as string).length))) ?? [];
  const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(widths[i] as number)).join(' | ')} |`;
  return [
    line(rows[0] as string[]),
    `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`,
    ...rows.slice(1).map(line),
  ].join('\n');
}

export const marks = (checks: Check[]): string =>
  checks.length ? checks.map((c) => `${c.ok ? '✓' : '✗'} ${c.target}`).join(', ') : '—';

export function ingestTable(ingest: EngineResult[]): string {
  return markdown([
    [
      'engine',
      'product events/s median [min–max]',
      'ceiling events/s median [min–max]',
      'ratio',
      'server peak RSS',
    ],
    ...ingest.map((r) => [
      ENGINE[r.engine],
      spread(r.product.eventsPerSec, int),
      spread(r.ceiling.eventsPerSec, int),
      `${(r.ratio * 100).toFixed(1)} %`,
      mib(r.product.peakRssBytes),
    ]),
  ]);
}

/** One engine's query kinds: latencies in ms, medians over rounds with [min–max]. */
export function queryTable(q: QueryEngineResult): string {
  return markdown([
    [
      'query',
      'rows',
      'p50 [min–max]',
      'p95 [min–max]',
      'p99',
      'ceiling p50',
      'p95',
      'p99',
      'gap p50',
      'targets',
    ],
    ...q.kinds.map((k) => [
      k.depth ? `${k.kind} (page ${k.depth + 1}+)` : k.kind,
      k.page ? fixed(k.rows) : '—',
      spread(k.product.p50),
      spread(k.product.p95),
      fixed(k.product.p99.median),
      fixed(k.ceiling.p50.median),
      fixed(k.ceiling.p95.median),
      fixed(k.ceiling.p99.median),
      `${k.gapP50Ms >= 0 ? '+' : ''}${fixed(k.gapP50Ms)}`,
      marks(k.checks),
    ]),
  ]);
}

/** What each query kind asks. */
export const kindLegend = (): string[] => KINDS.map((k) => `  ${k.name.padEnd(17)} ${k.label}`);

export function asyncTable(queries: QueryEngineResult[]): string {
  return markdown([
    [
      'engine',
      'to Succeeded s [min–max]',
      'ceiling (count) s',
      'pages',
      'paging all s [min–max]',
      'page p50 ms',
      'ceiling paging s',
      'target',
    ],
    ...queries.map(({ engine, genesysAsync: a }) => [
      ENGINE[engine],
      spread(a.product.succeededSeconds),
      fixed(a.ceiling.succeededSeconds.median),
      int(a.pages),
      spread(a.product.pagingSeconds),
      fixed(a.product.pageP50Ms.median),
      fixed(a.ceiling.pagingSeconds.median),
      marks(a.checks),
    ]),
  ]);
}

export function exportTable(exports: ExportEngineResult[]): string {
  return markdown([
    [
      'engine',
      'format',
      'events/s [min–max]',
      'job alone events/s',
      'ceiling read events/s',
      'file',
      'server peak RSS',
      'targets',
    ],
    ...exports.flatMap((e) =>
      e.formats.map((f) => [
        ENGINE[e.engine],
        f.format,
        spread(f.eventsPerSec, int),
        int(f.jobEventsPerSec.median),
        int(e.ceiling.eventsPerSec.median),
        mib(f.bytes),
        mib(f.peakRssBytes),
        marks(f.checks),
      ]),
    ),
  ]);
}

/** The other tenant's latency (ms) alone and during each attack, beside what the attacker got. */
export function abuseTable(abuse: AbuseEngineResult[]): string {
  const statuses = (s: Record<string, number>) =>
    Object.entries(s)
      .map(([code, n]) => `${n}×${code}`)
      .join(' ');
  return markdown([
    ['engine', 'attack', "attacker's answers", 'other tenant p50', 'p99', 'requests', 'failed', 'limit held'],
    ...abuse.flatMap((a) => [
      [
        ENGINE[a.engine],
        'none (baseline)',
        '—',
        fixed(a.baseline.p50),
        fixed(a.baseline.p99),
        int(a.baseline.requests),
        String(a.baseline.failures),
        '—',
      ],
      ...a.attacks.map((x) => [
        ENGINE[a.engine],
        `#${x.finding} ${x.attack}`,
        statuses(x.statuses),
        fixed(x.victim.p50),
        fixed(x.victim.p99),
        int(x.victim.requests),
        String(x.victim.failures),
        x.problems.length ? `✗ ${x.problems.join('; ')}` : '✓',
      ]),
    ]),
  ]);
}

/**
 * One engine's log: what a checkpoint costs (ms per checkpoint, median over rounds, and per
 * event), then each read's latency (ms, each percentile's median over rounds).
 */
export function logTable(l: LogEngineResult): string {
  const dash = ['—', '—'];
  const steps = l.catchUp.stepMs;
  return markdown([
    ['measure', 'ms: median or p50 [min–max]', 'p95 [min–max]', 'p99', 'µs per event', 'target'],
    ...l.checkpoints.map((c) => [
      `checkpoint of ${int(c.events)} new events`,
      spread(c.ms),
      ...dash,
      fixed(c.usPerEvent),
      '—',
    ]),
    ...(steps && l.catchUp.stepUsPerEvent
      ? [
          [
            `catch-up step of ${int(l.catchUp.steps[0]?.leaves ?? 0)} (${l.catchUp.steps.length} steps)`,
            spread(steps),
            ...dash,
            fixed(l.catchUp.stepUsPerEvent.median),
            '—',
          ],
        ]
      : []),
    ...l.reads.map((k) => [
      LOG_KINDS.find((x) => x.name === k.kind)?.route ?? k.kind,
      spread(k.p50),
      spread(k.p95),
      fixed(k.p99.median),
      '—',
      marks(k.checks),
    ]),
  ]);
}

/** The live tail per engine: fan-out at a steady rate and in a burst, and ingest beside the streams. */
export function streamTable(stream: StreamEngineResult[]): string {
  return markdown([
    [
      'engine',
      'steady: delivered events/s',
      'latency p50 ms [min–max]',
      'p95 ms [min–max]',
      'p99',
      'burst: delivered events/s',
      'ingest events/s alone',
      'beside the streams',
      'ratio',
    ],
    ...stream.map((x) => [
      ENGINE[x.engine],
      spread(x.steady.deliveredPerSec, int),
      spread(x.steady.p50),
      spread(x.steady.p95),
      fixed(x.steady.p99.median),
      spread(x.burst.deliveredPerSec, int),
      spread(x.ingest.alone, int),
      spread(x.ingest.beside, int),
      `${(x.ingest.ratio * 100).toFixed(1)} %`,
    ]),
  ]);
}

/** Streams to SIEMs per engine: ingest per destination mode, delivery to the fast receiver, /metrics, backfill. */
export function siemTables(siem: SiemEngineResult[]): string[] {
  const pct = (n: number) => `${(n * 100).toFixed(1)} %`;
  return [
    markdown([
      ['engine', ...MODES.map((m) => `ingest events/s: ${m}`), ...MODES.slice(1).map((m) => `${m} ÷ none`)],
      ...siem.map((x) => [
        ENGINE[x.engine],
        ...MODES.map((m) => spread(x.ingest[m], int)),
        ...MODES.slice(1).map((m) => pct(x.ratio[m])),
      ]),
    ]),
    '',
    markdown([
      [
        'engine',
        'delivered events/s, all streams',
        'per stream',
        'commit→receipt p50 ms',
        'p95 ms',
        'drained after last write, ms',
        ...MODES.map((m) => `/metrics p50 ms: ${m}`),
        'backfill events/s',
        'ceiling (rows by seq)',
      ],
      ...siem.map((x) => [
        ENGINE[x.engine],
        spread(x.delivery.deliveredPerSec, int),
        spread(x.delivery.perStreamPerSec, int),
        spread(x.delivery.p50, int),
        spread(x.delivery.p95, int),
        spread(x.delivery.drainMs, int),
        ...MODES.map((m) => spread(x.scrapeP50Ms[m])),
        `${int(x.backfill.eventsPerSec)} (${int(x.backfill.events)} in ${fixed(x.backfill.seconds)} s)`,
        int(x.backfill.ceilingEventsPerSec),
      ]),
    ]),
  ];
}

/** What each log read asks. */
export const logLegend = (): string[] => LOG_KINDS.map((k) => `  ${k.route.padEnd(26)} ${k.label}`);

/** The report: a table per part, engines side by side. */
/** One engine's viewer-token reads beside the key's: ms, medians over rounds with [min–max]. */
export function viewerTokensTable(v: ViewerTokensResult): string {
  return markdown([
    ['kind', 'p50 [min–max]', 'p95 [min–max]', 'p99'],
    ...v.kinds.map((k) => [k.kind, spread(k.p50), spread(k.p95), fixed(k.p99.median)]),
  ]);
}

export function report(result: SuiteResult): string[] {
  const out: string[] = [];
  if (result.ingest.length) out.push('Ingest', ingestTable(result.ingest), '');
  for (const q of result.queries) {
    out.push(
      `Queries, ${ENGINE[q.engine]}: ${int(q.events)} events in one tenant; ms, medians of ${result.settings.rounds} round(s) ` +
        `of ${result.settings.queries?.requests} requests per kind, 1 in flight; query server peak RSS ${mib(q.peakRssBytes)}`,
      queryTable(q),
      '',
    );
  }
  if (result.queries.length) {
    out.push(
      'Query kinds (rows: the mean rows an answer shows; gap: product p50 − ceiling p50):',
      ...kindLegend(),
      '',
    );
    out.push(
      `Genesys async query over every event: to Succeeded, then every page of ${RESULT_PAGE} (median of ${result.settings.rounds} run(s))`,
      asyncTable(result.queries),
      '',
    );
  }
  if (result.exports.length) out.push('Exports of every event', exportTable(result.exports), '');
  if (result.abuse.length) {
    const peak = result.abuse.map((a) => `${ENGINE[a.engine]} ${mib(a.peakRssBytes)}`).join(', ');
    out.push(
      `Abuse: another tenant's requests (a write, a page, a count, 1 in flight) alone and during each attack; server peak RSS ${peak}`,
      abuseTable(result.abuse),
      '',
    );
  }
  for (const l of result.log) {
    out.push(
      `Log, ${ENGINE[l.engine]}: ${int(l.events)} events in one tenant, signed from an empty log ${l.catchUp.seconds.toFixed(1)} s ` +
        `after the server started (its first round at 1 s; ${l.catchUp.checkpoints} checkpoint(s)); checkpoints: ` +
        `median of ${result.settings.rounds} round(s); reads: medians of ${result.settings.rounds} round(s) of ` +
        `${int(result.settings.log?.requests ?? 0)} requests per kind, 1 in flight; server peak RSS ${mib(l.peakRssBytes)}`,
      logTable(l),
      '',
      `Proof-carrying export of all ${int(l.verify.events)} events: ${l.verify.provenExportSeconds.toFixed(1)} s ` +
        `(${l.verify.exportSeconds.toFixed(1)} s without proofs; ${mib(l.verify.fileBytes)}, of which the proof line ` +
        `${int(l.verify.proofLineBytes)} bytes); trailkeep verify over it: ${l.verify.verifySeconds.toFixed(1)} s, ` +
        `${int(l.verify.eventsPerSecond)} events/s (start-up included)`,
      '',
    );
  }
  if (result.log.length) out.push('Log reads:', ...logLegend(), '');
  for (const v of result.viewerTokens) {
    out.push(
      `Viewer tokens, ${ENGINE[v.engine]}: ${int(v.events)} events in one tenant; ms, medians of ${result.settings.rounds} round(s) ` +
        `of ${int(result.settings.viewerTokens?.requests ?? 0)} requests per kind, kinds interleaved, 1 in flight; ` +
        `narrowed to action ${v.action}; ${int(v.recorded)} views recorded; server peak RSS ${mib(v.peakRssBytes)}`,
      viewerTokensTable(v),
      '',
    );
  }
  if (result.viewerTokens.length) {
    out.push('Viewer-token kinds:', ...VIEWER_KINDS.map((k) => `- ${k.name}: ${k.label}`), '');
  }
  if (result.viewer.length) {
    out.push(
      `Viewer in Chromium: ms, medians of ${result.settings.rounds} round(s) of ${result.settings.viewer?.navigations} ` +
        `page loads (a fresh context each) and ${result.settings.viewer?.nextPages} next pages per load; ` +
        'the list query they build on (GET /v1/events, p95) from the queries part when it ran',
      viewerTable(result.viewer, result.queries),
      '',
    );
  }
  const tail = result.settings.stream;
  if (result.stream.length && tail) {
    const peak = result.stream.map((x) => `${ENGINE[x.engine]} ${mib(x.peakRssBytes)}`).join(', ');
    out.push(
      `Live tail: ${tail.streams} streams of one tenant; steady ${int(tail.rate)} events/s for ${tail.seconds} s ` +
        `(latency from the ingest answer to arrival, over every stream and event), then a burst of ` +
        `${int(tail.burstEvents)} events; ingest (${int(tail.ingestEvents)} events, 10 tenants) alone and with ` +
        `the streams open on one tenant; medians of ${result.settings.rounds} round(s); server peak RSS ${peak}`,
      streamTable(result.stream),
      '',
    );
  }
  const siem = result.settings.siemStreams;
  if (result.siemStreams.length && siem) {
    out.push(
      `Streams to SIEMs: ${siem.streams} webhook streams over the 10 tenants; ingest (${int(siem.ingestEvents)} events) ` +
        `with no stream, to a blackholed destination, to a refusing port and to a fast receiver; medians of ` +
        `${result.settings.rounds} round(s) [min–max]; backfill of ${int(siem.backfillEvents)} events from seq 1`,
      ...siemTables(result.siemStreams),
      '',
    );
  }
  const events = result.settings.dataset?.events;
  if (events !== undefined && events !== TARGET_EVENTS) {
    out.push(
      `(The targets are stated for ${int(TARGET_EVENTS)} events; this dataset has ${int(events)}.)`,
      '',
    );
  }
  return out;
}

/** The viewer's time to first rows and to the next page, beside the list query's p95. */
export function viewerTable(viewer: ViewerEngineResult[], queries: QueryEngineResult[]): string {
  return markdown([
    [
      'engine',
      'first rows p50 [min–max]',
      'p95 [min–max]',
      'next page p50 [min–max]',
      'p95 [min–max]',
      'rows a page',
      'list query p95',
    ],
    ...viewer.map((v) => {
      const list = queries.find((q) => q.engine === v.engine)?.kinds.find((k) => k.kind === 'list');
      return [
        ENGINE[v.engine],
        spread(v.firstRows.p50),
        spread(v.firstRows.p95),
        spread(v.nextPage.p50),
        spread(v.nextPage.p95),
        int(v.pageRows),
        list ? fixed(list.product.p95.median) : '—',
      ];
    }),
  ]);
}
