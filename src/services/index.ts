import type { Config } from '../config/config.js';
import { CursorSigner } from '../core/cursor.js';
import { LinkSigner } from '../core/links.js';
import { publicHalf, type Signer } from '../core/log/note.js';
import type { Store } from '../store/types.js';
import { AuthService } from './auth/auth.js';
import { AuthFailures } from './auth/failures.js';
import { deriveKey } from './auth/secrets.js';
import { loadSecrets, type Secrets } from './bootstrap.js';
import { EventService } from './events.js';
import { ResultLinks } from './jobs/links.js';
import { JobService } from './jobs/service.js';
import { LogService } from './log/service.js';
import { loadLogSigner } from './log/signer.js';
import { createMetrics, type Metrics } from './metrics.js';
import { createStreams, type Streams } from './streams/index.js';
import { TailHub } from './tail/hub.js';
import { TenantService } from './tenants.js';
import { ViewRecorder } from './views.js';

export interface Services {
  config: Config;
  store: Store;
  secrets: Secrets;
  auth: AuthService;
  tenants: TenantService;
  events: EventService;
  /** Records reads through viewer tokens as events of their tenant. */
  views: ViewRecorder;
  jobs: JobService;
  /** The tamper-evident log: key, checkpoints, tiles, proofs. */
  log: LogService;
  /** Signs the log's checkpoints (the log worker's); the routes see only its public half. */
  logSigner: Signer;
  /** Presigned download links to query results. */
  resultLinks: ResultLinks;
  /** Live tails of the event log (GET /v1/events/stream); its rounds run while tails are open. */
  tails: TailHub;
  /** Streams to SIEMs: their admin service, and the worker that delivers them (started by the server). */
  streams: Streams;
  cursors: CursorSigner;
  metrics: Metrics;
  clock: () => number;
}

/** Composes the core services over an opened store. Nothing here listens or starts timers. */
export async function createServices(
  config: Config,
  store: Store,
  clock: () => number = Date.now,
): Promise<Services> {
  const secrets = await loadSecrets(config, store.settings);
  const cursors = new CursorSigner(deriveKey(secrets.serverSecret, 'cursor'));
  const events = new EventService(store.events, cursors, clock);
  const logSigner = await loadLogSigner(config, store.settings);
  const metrics = createMetrics();
  const jobs = new JobService(
    store.jobs,
    events,
    store.exports,
    config.TRAILKEEP_JOB_TTL * 1000,
    config.TRAILKEEP_TENANT_JOBS,
    { files: config.TRAILKEEP_TENANT_EXPORTS, bytes: config.TRAILKEEP_TENANT_EXPORT_BYTES },
    clock,
  );
  return {
    config,
    store,
    secrets,
    auth: new AuthService(
      store.credentials,
      store.tenants,
      secrets.adminTokenHash,
      deriveKey(secrets.serverSecret, 'jwt'),
      config.TRAILKEEP_TOKEN_TTL,
      config.TRAILKEEP_VIEWER_TOKEN_MAX_TTL,
      new AuthFailures(config.TRAILKEEP_AUTH_FAILURES, config.TRAILKEEP_RATE_WINDOW * 1000, clock),
      clock,
    ),
    tenants: new TenantService(store.tenants, clock),
    events,
    views: new ViewRecorder(events, clock),
    jobs,
    log: new LogService(store.log, events, publicHalf(logSigner)),
    logSigner,
    resultLinks: new ResultLinks(
      new LinkSigner(deriveKey(secrets.serverSecret, 'download-link')),
      jobs,
      clock,
    ),
    tails: new TailHub(store.events, { pollMs: config.TRAILKEEP_STREAM_POLL * 1000 }, metrics),
    streams: createStreams(
      config,
      store,
      events,
      deriveKey(secrets.serverSecret, 'stream-secrets'),
      metrics,
      clock,
    ),
    cursors,
    metrics,
    clock,
  };
}
