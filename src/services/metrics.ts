import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** What /metrics shows of each stream to a SIEM (services/streams/service.ts view). */
export interface StreamGauge {
  tenant: string;
  id: string;
  state: string;
  cursor: number;
  lag: { events: number; seconds: number };
  last_error_at: string | null;
}

/** How long one read of the streams serves the per-stream gauges: every gauge of one scrape shares it. */
const STREAMS_READ_MS = 1_000;

/** Prometheus metrics of one server, on a registry of its own (no global state). */
export function createMetrics() {
  const registry = new Registry();
  let source: () => Promise<StreamGauge[]> = async () => [];
  let read: { at: number; streams: Promise<StreamGauge[]> } | undefined;
  // A store that cannot be read leaves the gauges empty for that scrape rather than failing /metrics.
  const streams = () => {
    if (!read || Date.now() - read.at > STREAMS_READ_MS)
      read = { at: Date.now(), streams: source().catch(() => []) };
    return read.streams;
  };
  const labels = ['tenant', 'stream'] as const;
  const perStream = (name: string, help: string, value: (s: StreamGauge) => number, extra: string[] = []) =>
    new Gauge({
      name,
      help,
      labelNames: [...labels, ...extra],
      registers: [registry],
      // Read from the store at each scrape, so a stream no node is delivering (backing off, paused) shows its lag growing.
      async collect() {
        this.reset();
        for (const s of await streams())
          this.set({ tenant: s.tenant, stream: s.id, ...(extra.length ? { state: s.state } : {}) }, value(s));
      },
    });
  collectDefaultMetrics({ register: registry, prefix: 'trailkeep_' });
  return {
    registry,
    requests: new Histogram({
      name: 'trailkeep_http_request_duration_seconds',
      help: 'HTTP request latency by route and status.',
      labelNames: ['method', 'route', 'status'],
      buckets: BUCKETS,
      registers: [registry],
    }),
    ingestLatency: new Histogram({
      name: 'trailkeep_ingest_duration_seconds',
      help: 'Latency of ingest requests, from parsed body to committed batch.',
      buckets: BUCKETS,
      registers: [registry],
    }),
    ingested: new Counter({
      name: 'trailkeep_events_ingested_total',
      help: 'Events committed (duplicates of earlier events not counted).',
      registers: [registry],
    }),
    ingestRequests: new Counter({
      name: 'trailkeep_ingest_requests_total',
      help: 'Ingest requests by outcome.',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    logIntegrityFailures: new Counter({
      name: 'trailkeep_log_integrity_failures_total',
      help: 'Failures of the tamper-evident log found by its checkpointing or its self-check (each reported once per node).',
      registers: [registry],
    }),
    streamsOpen: new Gauge({
      name: 'trailkeep_streams_open',
      help: 'Live-tail streams (GET /v1/events/stream) open on this node.',
      registers: [registry],
    }),
    streamedEvents: new Counter({
      name: 'trailkeep_stream_events_delivered_total',
      help: 'Events written to live-tail streams (an event sent to ten streams counts ten).',
      registers: [registry],
    }),
    streamReads: new Counter({
      name: 'trailkeep_stream_window_reads_total',
      help: 'Windows of new events read for live-tail streams: one per tenant, filter and position per round, however many streams share it.',
      registers: [registry],
    }),
    streamLagEvents: perStream(
      'trailkeep_siem_stream_lag_events',
      'Seqs committed past a stream’s cursor, not yet delivered to its destination (/v1/streams).',
      (s) => s.lag.events,
    ),
    streamLagSeconds: perStream(
      'trailkeep_siem_stream_lag_seconds',
      'How long ago the oldest event a stream has not yet delivered was received; 0 when caught up.',
      (s) => s.lag.seconds,
    ),
    streamCursor: perStream(
      'trailkeep_siem_stream_cursor',
      'The last seq a stream has delivered or passed over.',
      (s) => s.cursor,
    ),
    streamState: perStream(
      'trailkeep_siem_stream_state',
      'A stream’s state (active, paused, disabled) as a label; the value is always 1.',
      () => 1,
      ['state'],
    ),
    streamLastError: perStream(
      'trailkeep_siem_stream_last_error_timestamp_seconds',
      'When a stream’s last failure happened (0 when it has none since its last delivery).',
      (s) => (s.last_error_at ? Date.parse(s.last_error_at) / 1000 : 0),
    ),
    streamAttempts: new Counter({
      name: 'trailkeep_siem_stream_attempts_total',
      help: 'Delivery attempts to stream destinations by outcome (accepted, retry, refused, gone, rejected) on this node.',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    streamRecords: new Counter({
      name: 'trailkeep_siem_stream_records_delivered_total',
      help: 'Records destinations accepted from this node (a batch sent again counts again).',
      registers: [registry],
    }),
    /** Where the per-stream gauges read from at each scrape. */
    watchStreams(from: () => Promise<StreamGauge[]>) {
      source = from;
      read = undefined;
    },
    queryLatency: new Histogram({
      name: 'trailkeep_query_duration_seconds',
      help: 'Latency of event queries (list, count, get) in the store.',
      labelNames: ['kind'],
      buckets: BUCKETS,
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
