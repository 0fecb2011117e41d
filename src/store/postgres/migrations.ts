import type { Db } from './db.js';

/**
 * Versioned PostgreSQL migrations. Never edit a released one: add the next.
 *
 * Every key of tenant data leads with `tenant`, so the tables can be distributed by tenant on
 * Citus unchanged. `events` is partitioned by month of `occurred_at` (partitions.ts creates
 * them); a partitioned table cannot enforce uniqueness without the partition key, so the
 * per-tenant uniqueness of client ids lives in `event_ids`, which also answers idempotency
 * checks and lookups by id. Per-tenant `seq` is unique by construction: it is assigned under
 * the tenant row's lock (`tenants.last_seq`).
 */
export const PG_MIGRATIONS: string[] = [
  `
  CREATE TABLE settings (key text PRIMARY KEY, value text NOT NULL);

  CREATE TABLE tenants (
    id text PRIMARY KEY,
    name text NOT NULL,
    created_at timestamptz NOT NULL,
    last_seq bigint NOT NULL DEFAULT 0
  );

  CREATE TABLE credentials (
    id text PRIMARY KEY,
    tenant text REFERENCES tenants(id),
    kind text NOT NULL,
    name text NOT NULL,
    scopes text[] NOT NULL,
    secret_hash text NOT NULL,
    created_at timestamptz NOT NULL,
    revoked_at timestamptz
  );
  CREATE INDEX credentials_tenant ON credentials (tenant, kind);

  CREATE TABLE events (
    tenant text NOT NULL,
    seq bigint NOT NULL,
    id text NOT NULL,
    occurred_at timestamptz NOT NULL,
    received_at timestamptz NOT NULL,
    action text NOT NULL,
    category text NOT NULL,
    outcome text NOT NULL,
    service text,
    actor_id text,
    actor_type text,
    target_type text,
    target_id text,
    client_id text,
    session_id text,
    trace_id text,
    transaction_id text,
    search tsvector,
    hash text NOT NULL,
    body text NOT NULL
  ) PARTITION BY RANGE (occurred_at);
  CREATE TABLE events_default PARTITION OF events DEFAULT;
  CREATE INDEX events_seq ON events (tenant, seq);
  CREATE INDEX events_time ON events (tenant, occurred_at, seq);
  CREATE INDEX events_actor ON events (tenant, actor_id, occurred_at, seq) WHERE actor_id IS NOT NULL;
  CREATE INDEX events_action ON events (tenant, action, occurred_at, seq);
  CREATE INDEX events_target ON events (tenant, target_type, target_id, occurred_at, seq) WHERE target_type IS NOT NULL;
  CREATE INDEX events_target_id ON events (tenant, target_id, occurred_at, seq) WHERE target_id IS NOT NULL;
  CREATE INDEX events_service ON events (tenant, service, occurred_at, seq) WHERE service IS NOT NULL;
  CREATE INDEX events_client ON events (tenant, client_id, occurred_at, seq) WHERE client_id IS NOT NULL;
  CREATE INDEX events_session ON events (tenant, session_id, occurred_at, seq) WHERE session_id IS NOT NULL;
  CREATE INDEX events_trace ON events (tenant, trace_id, occurred_at, seq) WHERE trace_id IS NOT NULL;
  CREATE INDEX events_txn ON events (tenant, transaction_id, occurred_at, seq) WHERE transaction_id IS NOT NULL;
  CREATE INDEX events_search ON events USING gin (search);

  CREATE TABLE event_ids (
    tenant text NOT NULL,
    id text NOT NULL,
    seq bigint NOT NULL,
    occurred_at timestamptz NOT NULL,
    digest text NOT NULL,
    hash text NOT NULL,
    PRIMARY KEY (tenant, id)
  );

  CREATE TABLE event_ips (
    tenant text NOT NULL,
    ip text NOT NULL,
    seq bigint NOT NULL,
    PRIMARY KEY (tenant, ip, seq)
  );

  CREATE TABLE jobs (
    tenant text NOT NULL,
    id text NOT NULL,
    kind text NOT NULL,
    state text NOT NULL,
    params jsonb NOT NULL,
    created_at bigint NOT NULL,
    started_at bigint,
    finished_at bigint,
    expires_at bigint,
    rows bigint,
    snapshot_seq bigint,
    error text,
    attempts integer NOT NULL DEFAULT 0,
    lease_owner text,
    lease_until bigint,
    PRIMARY KEY (tenant, id)
  );
  CREATE INDEX jobs_runnable ON jobs (created_at) WHERE state IN ('queued', 'running');
  CREATE INDEX jobs_expiry ON jobs (expires_at) WHERE expires_at IS NOT NULL;
  `,
  // 2: export files in the database (exports.ts), so any node can serve any export. Chunks are
  // written as the export runs and stay invisible until the attempt's `export_files` row exists.
  // No foreign key to jobs: a job row is deleted only after its files (the sweep's order).
  `
  CREATE TABLE export_chunks (
    tenant text NOT NULL,
    job_id text NOT NULL,
    attempt integer NOT NULL,
    n integer NOT NULL,
    data bytea NOT NULL,
    PRIMARY KEY (tenant, job_id, attempt, n)
  );

  CREATE TABLE export_files (
    tenant text NOT NULL,
    job_id text NOT NULL,
    attempt integer NOT NULL,
    size bigint NOT NULL,
    chunks integer NOT NULL,
    committed_at timestamptz NOT NULL,
    PRIMARY KEY (tenant, job_id, attempt)
  );
  `,
  `
  ALTER TABLE events ADD COLUMN actor_home_org_id text;
  CREATE INDEX events_actor_home_org ON events (tenant, actor_home_org_id, occurred_at, seq)
    WHERE actor_home_org_id IS NOT NULL;
  `,
  // 4: export chunks stored uncompressed. pglz spent about half of an export's database CPU
  // (a 1M-event NDJSON export: 15.1 s of database CPU with it, 8.2 s without); the cost is disk,
  // about 3.5 times more for files that live one job TTL (BENCHMARKS.md, exports).
  `
  ALTER TABLE export_chunks ALTER COLUMN data SET STORAGE EXTERNAL;
  `,
  // 5: what LivePerson's change rows count and filter by, read from the stored event itself:
  // stored generated columns need no copy at append and fill existing rows as the migration
  // rewrites the table. change_rows is max(1, number of changes) (core/change-rows.ts). The
  // indexes carry the counts and flags (INCLUDE), so counting an interval's rows is an
  // index-only scan.
  `
  ALTER TABLE events
    ADD COLUMN change_rows integer GENERATED ALWAYS AS (
      CASE WHEN jsonb_typeof(body::jsonb -> 'changes') = 'array'
        THEN greatest(jsonb_array_length(body::jsonb -> 'changes'), 1) ELSE 1 END) STORED,
    ADD COLUMN automatic boolean GENERATED ALWAYS AS (
      coalesce((body::jsonb ->> 'automatic')::boolean, false)) STORED,
    ADD COLUMN actor_privileged boolean GENERATED ALWAYS AS (
      coalesce((body::jsonb #>> '{actor,privileged}')::boolean, false)) STORED,
    ADD COLUMN actor_login text GENERATED ALWAYS AS (body::jsonb #>> '{actor,login}') STORED;
  CREATE INDEX events_rows ON events (tenant, occurred_at, seq) INCLUDE (change_rows, automatic, actor_privileged);
  CREATE INDEX events_type_rows ON events (tenant, target_type, occurred_at, seq)
    INCLUDE (change_rows, automatic, actor_privileged) WHERE target_type IS NOT NULL;
  CREATE INDEX events_login ON events (tenant, actor_login, occurred_at, seq) WHERE actor_login IS NOT NULL;
  `,
  // 6: the change-row facets become plain columns that the append fills from the event it has
  // already parsed (core/change-rows.ts changeFacetsOf): the generated expressions parsed every
  // body as jsonb four times per insert. Existing values stay (no rewrite, a brief lock). A
  // writer that does not fill them (a node still on the previous release during a rolling
  // upgrade) gets them computed by the trigger, with the expressions of migration 5.
  `
  ALTER TABLE events
    ALTER COLUMN change_rows DROP EXPRESSION,
    ALTER COLUMN automatic DROP EXPRESSION,
    ALTER COLUMN actor_privileged DROP EXPRESSION,
    ALTER COLUMN actor_login DROP EXPRESSION;
  CREATE FUNCTION events_change_facets() RETURNS trigger LANGUAGE plpgsql AS $$
  DECLARE b jsonb := NEW.body::jsonb;
  BEGIN
    NEW.change_rows := CASE WHEN jsonb_typeof(b -> 'changes') = 'array'
      THEN greatest(jsonb_array_length(b -> 'changes'), 1) ELSE 1 END;
    NEW.automatic := coalesce((b ->> 'automatic')::boolean, false);
    NEW.actor_privileged := coalesce((b #>> '{actor,privileged}')::boolean, false);
    NEW.actor_login := b #>> '{actor,login}';
    RETURN NEW;
  END $$;
  CREATE TRIGGER events_change_facets BEFORE INSERT ON events
    FOR EACH ROW WHEN (NEW.change_rows IS NULL) EXECUTE FUNCTION events_change_facets();
  `,
  // 7: per-tenant export quotas and fair leasing. `bytes` is a succeeded export's file size, so
  // a tenant's kept bytes are a SUM over its jobs; exports that succeeded before it get the size
  // of the file they published. The tenant indexes serve that sum, the count of a tenant's
  // running jobs and its last start (jobs.ts lease).
  `
  ALTER TABLE jobs ADD COLUMN bytes bigint;
  UPDATE jobs j SET bytes = f.size FROM export_files f
    WHERE j.kind = 'export' AND j.state = 'succeeded'
      AND f.tenant = j.tenant AND f.job_id = j.id AND f.attempt = j.attempts;
  CREATE INDEX jobs_tenant_state ON jobs (tenant, state, kind);
  CREATE INDEX jobs_tenant_started ON jobs (tenant, started_at);
  `,
  // 8: the tamper-evident log (docs/log.md). Tiles are the stored Merkle tree (C2SP tlog-tiles,
  // height 8: 256 hashes of 32 bytes at most, a partial tile widened as the log grows); every
  // signed checkpoint is kept, and the latest is the one with the largest size.
  `
  CREATE TABLE log_tiles (
    tenant text NOT NULL,
    level integer NOT NULL,
    idx bigint NOT NULL,
    hashes bytea NOT NULL,
    PRIMARY KEY (tenant, level, idx)
  );
  CREATE TABLE log_checkpoints (
    tenant text NOT NULL,
    size bigint NOT NULL,
    root bytea NOT NULL,
    note text NOT NULL,
    created_at bigint NOT NULL,
    PRIMARY KEY (tenant, size)
  );
  CREATE INDEX log_checkpoints_time ON log_checkpoints (tenant, created_at);
  `,
  // 9: a tenant's settings (docs/embedding.md): whether reads through viewer tokens are
  // recorded as events of the tenant, on unless the tenant turns it off.
  `
  ALTER TABLE tenants ADD COLUMN record_viewer_reads boolean NOT NULL DEFAULT true;
  `,
  // 10: streams to SIEMs (docs/streams.md); see the SQLite migration 8 for why they are shaped so.
  `
  CREATE TABLE streams (
    tenant text NOT NULL REFERENCES tenants(id),
    id text NOT NULL,
    name text NOT NULL,
    destination text NOT NULL,
    secrets text,
    format text NOT NULL,
    filters text NOT NULL,
    batch text NOT NULL,
    pii text NOT NULL,
    state text NOT NULL,
    cursor bigint NOT NULL,
    replay text,
    created_at bigint NOT NULL,
    updated_at bigint NOT NULL,
    last_error text,
    last_error_at bigint,
    last_delivered_at bigint,
    next_attempt_at bigint NOT NULL,
    lease_owner text,
    lease_until bigint,
    PRIMARY KEY (tenant, id)
  );
  CREATE INDEX streams_due ON streams(state, next_attempt_at);
  CREATE TABLE stream_deliveries (
    tenant text NOT NULL,
    stream text NOT NULL,
    id text NOT NULL,
    from_seq bigint NOT NULL,
    to_seq bigint NOT NULL,
    events integer NOT NULL,
    state text NOT NULL,
    replay bigint,
    attempts integer NOT NULL,
    created_at bigint NOT NULL,
    updated_at bigint NOT NULL,
    error text,
    PRIMARY KEY (tenant, stream, id)
  );
  CREATE INDEX stream_deliveries_recent ON stream_deliveries(tenant, stream, updated_at);
  CREATE INDEX stream_deliveries_pending ON stream_deliveries(tenant, stream, state) WHERE state <> 'delivered';
  CREATE INDEX stream_deliveries_old ON stream_deliveries(updated_at) WHERE state = 'delivered';
  `,
];

/** Any constant both sides agree on: the key of the advisory lock that serialises migrations. */
const MIGRATION_LOCK = 0x7472_6b70;

/**
 * Applies pending migrations, each in its own transaction, under a session advisory lock, so
 * several nodes starting at once apply each migration exactly once.
 */
export async function migrate(db: Db): Promise<void> {
  const client = await db.pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    await client.query(
      'CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL)',
    );
    const { rows } = await client.query<{ v: number | null }>(
      'SELECT max(version) AS v FROM schema_migrations',
    );
    const current = Number(rows[0]?.v ?? 0);
    for (const [i, sql] of PG_MIGRATIONS.entries()) {
      const version = i + 1;
      if (version <= current) continue;
      await client.query('BEGIN');
      try {
        await client.query(sql);
        await client.query('INSERT INTO schema_migrations (version, applied_at) VALUES ($1, now())', [
          version,
        ]);
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK');
        throw err;
      }
    }
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => {});
    client.release();
  }
}
