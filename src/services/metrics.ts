import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Prometheus metrics of one server, on a registry of its own (no global state). */
export function createMetrics() {
  const registry = new Registry();
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
