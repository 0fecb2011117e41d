import { type Static, Type } from 'typebox';
import { compileSchema, formatSchemaErrors } from '../core/schema.js';

/**
 * Every setting Trailkeep reads, described once. The environment is read here and nowhere else:
 * `loadConfig(process.env)` at start-up returns a frozen, typed object that is passed down.
 */
export const ConfigSchema = Type.Object({
  TRAILKEEP_HOST: Type.String({ default: '127.0.0.1', minLength: 1, description: 'Interface to listen on.' }),
  TRAILKEEP_PORT: Type.Integer({ default: 8080, minimum: 0, maximum: 65535, description: 'TCP port.' }),
  TRAILKEEP_DB: Type.String({
    default: './data/trailkeep.db',
    minLength: 1,
    description: 'Database: a SQLite file path or sqlite: URL, or a postgres:// URL.',
  }),
  TRAILKEEP_DB_POOL: Type.Integer({
    default: 10,
    minimum: 1,
    maximum: 1000,
    description: 'PostgreSQL: connections this node may open.',
  }),
  TRAILKEEP_ADMIN_TOKEN: Type.Optional(
    Type.String({
      minLength: 16,
      description: 'Operator credential. When unset on first start one is generated and printed once.',
    }),
  ),
  TRAILKEEP_SECRET: Type.Optional(
    Type.String({
      minLength: 32,
      description:
        'Signs cursors, access tokens and download links. Generated and kept in the database when unset.',
    }),
  ),
  TRAILKEEP_TRUST_PROXY: Type.String({
    default: 'false',
    pattern: '^\\S+$',
    description:
      'Behind a load balancer: "true", or comma-separated proxy addresses/CIDRs whose X-Forwarded-* headers are trusted (for client IPs and absolute URLs).',
  }),
  TRAILKEEP_LOG_LEVEL: Type.Enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
    default: 'info',
    description: 'Log level.',
  }),
  TRAILKEEP_EXPORT_DIR: Type.Optional(
    Type.String({
      minLength: 1,
      description:
        'SQLite: where export files are written (default "exports" beside the database). Unused with PostgreSQL, which keeps exports in the database.',
    }),
  ),
  TRAILKEEP_JOB_TTL: Type.Integer({
    default: 86_400,
    minimum: 60,
    description: 'Seconds a finished query or export job and its results are kept.',
  }),
  TRAILKEEP_JOB_WORKERS: Type.Integer({
    default: 2,
    minimum: 0,
    maximum: 64,
    description: 'Jobs this node runs at once (0 = this node runs no jobs).',
  }),
  TRAILKEEP_JOB_LEASE: Type.Integer({
    default: 30,
    minimum: 2,
    description: 'Seconds a job lease lasts without renewal; a dead worker’s job is taken over after it.',
  }),
  TRAILKEEP_TOKEN_TTL: Type.Integer({
    default: 3600,
    minimum: 60,
    maximum: 86_400,
    description: 'Lifetime of OAuth access tokens, in seconds.',
  }),
  TRAILKEEP_VIEWER_TOKEN_MAX_TTL: Type.Integer({
    default: 3600,
    minimum: 60,
    maximum: 86_400,
    description:
      'The longest lifetime a viewer token may be minted with, in seconds (POST /v1/viewer-tokens ttl_seconds; 900 when it names none, or this when shorter).',
  }),
  TRAILKEEP_GENESYS_REALTIME_DAYS: Type.Integer({
    default: 14,
    minimum: 1,
    maximum: 3660,
    description:
      'Genesys dialect: days back the synchronous realtime audit query reaches; older intervals must use the async query.',
  }),
  TRAILKEEP_GENESYS_REDIRECT_ROWS: Type.Integer({
    default: 10_000,
    minimum: 1,
    description:
      'Genesys dialect: results of an async audit query with more events than this answer allowRedirect=true with a download URL instead of a page.',
  }),
  TRAILKEEP_RATE_LIMIT: Type.Integer({
    default: 6000,
    minimum: 0,
    description:
      'Requests one credential may make per TRAILKEEP_RATE_WINDOW on this node (unauthenticated requests count per client IP); over it, 429 with Retry-After. 0 turns the limit off.',
  }),
  TRAILKEEP_RATE_WINDOW: Type.Integer({
    default: 60,
    minimum: 1,
    maximum: 86_400,
    description: 'Seconds of the rate-limit window.',
  }),
  TRAILKEEP_TENANT_JOBS: Type.Integer({
    default: 10,
    minimum: 1,
    maximum: 10_000,
    description:
      'Query and export jobs one tenant may have queued or running at once; one more is refused with 429.',
  }),
  TRAILKEEP_TENANT_EXPORTS: Type.Integer({
    default: 50,
    minimum: 1,
    maximum: 100_000,
    description:
      'Exports one tenant may have queued, running or kept at once (kept until they expire or are deleted); one more is refused with 429.',
  }),
  TRAILKEEP_TENANT_EXPORT_BYTES: Type.Integer({
    default: 2 * 1024 ** 3,
    minimum: 1024 * 1024,
    description:
      'Bytes of export files one tenant may keep at once; an export is refused with 507 once they are used, and one that would pass them while writing fails.',
  }),
  TRAILKEEP_TENANT_SCANS: Type.Integer({
    default: 4,
    minimum: 1,
    maximum: 1000,
    description:
      'Expensive reads (whole-range scans, in-memory sorts, downloads) one tenant may run at once on this node; one more is refused with 429.',
  }),
  TRAILKEEP_CREDENTIAL_SCANS: Type.Integer({
    default: 2,
    minimum: 1,
    maximum: 1000,
    description: 'Expensive reads one credential may run at once on this node; one more is refused with 429.',
  }),
  TRAILKEEP_AUTH_FAILURES: Type.Integer({
    default: 60,
    minimum: 0,
    description:
      'Failed authentications one client address may make per TRAILKEEP_RATE_WINDOW on this node; over it, its requests get 429 without a credential lookup. 0 turns the limit off.',
  }),
  TRAILKEEP_GRAPHQL_COST: Type.Integer({
    default: 20_000,
    minimum: 100,
    description:
      'LivePerson dialect: the most a GraphQL document may cost (rows asked for × fields selected, aliases included); a costlier one is refused with 400 before it runs.',
  }),
  TRAILKEEP_ANSWER_BYTES: Type.Integer({
    default: 32 * 1024 * 1024,
    minimum: 64 * 1024,
    description:
      'The largest answer built in memory (a GraphQL result, a page); a larger one is refused with 400 asking for fewer rows or fields. Files and downloads stream and are not bounded by it.',
  }),
  TRAILKEEP_UNSENT_BYTES: Type.Integer({
    default: 64 * 1024 * 1024,
    minimum: 1024 * 1024,
    description:
      'Bytes of answers one tenant (or, unauthenticated, one client address) may have waiting for its clients to read them on this node; a new answer beyond it is refused with 429.',
  }),
  TRAILKEEP_HEADERS_TIMEOUT: Type.Integer({
    default: 20,
    minimum: 1,
    maximum: 3600,
    description: 'Seconds a client has to send a request’s headers (a slow-loris client is cut off).',
  }),
  TRAILKEEP_REQUEST_TIMEOUT: Type.Integer({
    default: 120,
    minimum: 1,
    maximum: 3600,
    description: 'Seconds a client has to send a whole request, body included.',
  }),
  TRAILKEEP_IDLE_TIMEOUT: Type.Integer({
    default: 60,
    minimum: 1,
    maximum: 3600,
    description: 'Seconds a connection may sit idle (keep-alive, or a stalled transfer) before it is closed.',
  }),
  TRAILKEEP_STREAMS_PER_CREDENTIAL: Type.Integer({
    default: 10,
    minimum: 1,
    maximum: 10_000,
    description:
      'Live-tail streams (GET /v1/events/stream) one credential may hold open at once on this node; one more is refused with 429.',
  }),
  TRAILKEEP_STREAM_POLL: Type.Number({
    default: 0.25,
    minimum: 0.01,
    maximum: 60,
    description:
      "Seconds between a node's reads of the last seq of each tenant it has live-tail streams of: a new event reaches the streams within about this long of its commit, from whichever node wrote it.",
  }),
  TRAILKEEP_STREAM_HEARTBEAT: Type.Number({
    default: 15,
    minimum: 0.05,
    maximum: 3600,
    description:
      'Seconds between heartbeats (SSE comments) on a quiet live-tail stream, which keep it, and the proxies on its way, from closing it as idle. Must be less than TRAILKEEP_IDLE_TIMEOUT.',
  }),
  TRAILKEEP_STREAMS_WORKERS: Type.Integer({
    default: 16,
    minimum: 0,
    maximum: 256,
    description:
      'Streams to SIEMs (/v1/streams) this node delivers at once; 0: this node delivers none (other nodes sharing the database do).',
  }),
  TRAILKEEP_STREAMS_LEASE: Type.Number({
    default: 30,
    minimum: 0.5,
    maximum: 3600,
    description:
      "Seconds a node holds a stream it delivers before another may take it over: how long a killed node's streams wait. Renewed while it works.",
  }),
  TRAILKEEP_STREAMS_POLL: Type.Number({
    default: 0.5,
    minimum: 0.01,
    maximum: 60,
    description: "Seconds between a node's looks for streams with events to deliver.",
  }),
  TRAILKEEP_STREAMS_MAX_BACKOFF: Type.Number({
    default: 300,
    minimum: 1,
    maximum: 86_400,
    description:
      'The longest wait, in seconds, between attempts at a failing delivery (backoff doubles up to it, with jitter).',
  }),
  TRAILKEEP_STREAMS_ALLOW_PRIVATE: Type.Boolean({
    default: false,
    description:
      'Let stream destinations reach loopback, private and link-local addresses (and plain http://). Off: such destinations are refused, and names are checked at every connection (server-side request forgery).',
  }),
  TRAILKEEP_CORS_ORIGINS: Type.String({
    default: '',
    pattern: '^[^\\s]*$',
    description:
      'Browser origins allowed to call the API cross-origin, comma-separated (https://app.example.com), or * for any. Empty: no cross-origin access.',
  }),
  TRAILKEEP_LOG_NAME: Type.String({
    default: 'trailkeep',
    pattern: '^[^\\s+]+$',
    maxLength: 200,
    description:
      "The tamper-evident log's name: the signing key's name and the start of every checkpoint origin (<name>/<tenant>). Set it to a name of your own, such as your audit host (audit.example.com), so checkpoints of two deployments never pass for each other.",
  }),
  TRAILKEEP_LOG_KEY: Type.Optional(
    Type.String({
      pattern: '^PRIVATE\\+KEY\\+\\S+$',
      description:
        "The log's Ed25519 signing key as a signed-note signer key (PRIVATE+KEY+<name>+<id>+<key>), named TRAILKEEP_LOG_NAME. When unset, one is generated once and kept in the database (docs/log.md: backing it up, rotating it).",
    }),
  ),
  TRAILKEEP_LOG_CHECKPOINT_INTERVAL: Type.Number({
    default: 1,
    minimum: 0.05,
    maximum: 3600,
    description:
      'Seconds between checkpoint rounds: a new event is in a signed checkpoint about this long after it is committed.',
  }),
  TRAILKEEP_LOG_VERIFY_INTERVAL: Type.Integer({
    default: 3600,
    minimum: 0,
    maximum: 31_536_000,
    description:
      "Seconds between the server's passes re-verifying its own log (leaves from the stored events, roots from the stored tiles, against every tenant's latest checkpoint); 0 turns them off.",
  }),
  TRAILKEEP_URL: Type.Optional(
    Type.String({
      pattern: '^https?://[^\\s]+$',
      description:
        'CLI client: the server to talk to (http://host:port). When set, commands run remotely unless --db is given.',
    }),
  ),
  TRAILKEEP_TOKEN: Type.Optional(
    Type.String({
      minLength: 1,
      description: 'CLI client: the bearer credential (key secret or admin token) sent to TRAILKEEP_URL.',
    }),
  ),
});

export type Config = Readonly<Static<typeof ConfigSchema>>;

const check = compileSchema(ConfigSchema, { coerceTypes: true, useDefaults: true });

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Parses and validates the settings; throws a ConfigError listing every problem. */
export function loadConfig(env: Record<string, string | undefined>, overrides: Partial<Config> = {}): Config {
  const raw: Record<string, unknown> = {};
  for (const key of Object.keys(ConfigSchema.properties)) {
    const value = env[key];
    if (value !== undefined && value !== '') raw[key] = value;
  }
  Object.assign(raw, overrides);
  if (!check(raw)) {
    throw new ConfigError(
      formatSchemaErrors(check.errors, '').map((e) => `${e.path.replace(/^\./, '')}: ${e.message}`),
    );
  }
  const config = raw as Config;
  const problems = relations(config);
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze(config);
}

/** What must hold between settings, which no one setting's schema can say. */
function relations(c: Config): string[] {
  const problems: string[] = [];
  if (c.TRAILKEEP_STREAM_HEARTBEAT >= c.TRAILKEEP_IDLE_TIMEOUT) {
    problems.push(
      `TRAILKEEP_STREAM_HEARTBEAT: must be less than TRAILKEEP_IDLE_TIMEOUT (${c.TRAILKEEP_IDLE_TIMEOUT}), or a quiet stream is closed as idle`,
    );
  }
  return problems;
}

/** TRAILKEEP_TRUST_PROXY in the form Fastify's `trustProxy` takes. */
export function trustProxyOf(config: Config): boolean | string {
  const v = config.TRAILKEEP_TRUST_PROXY;
  return v === 'true' || v === 'false' ? v === 'true' : v;
}

/** Human-readable list of settings, for `--help` and docs. */
export function describeConfig(): string[] {
  return Object.entries(ConfigSchema.properties).map(([key, s]) => {
    const schema = s as { description?: string; default?: unknown };
    const dflt = schema.default === undefined ? '' : ` (default ${JSON.stringify(schema.default)})`;
    return `${key}: ${schema.description ?? ''}${dflt}`;
  });
}
