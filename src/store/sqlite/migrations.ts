/**
 * Versioned SQLite migrations, applied in order inside one transaction each. Never edit a
 * released migration: add the next one.
 *
 * Every index of tenant data leads with `tenant`. The per-field indexes end in
 * (occurred_at, seq) so a filtered page is an index range read in the order it is returned.
 */
export const SQLITE_MIGRATIONS: string[] = [
  `
  CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;

  CREATE TABLE tenants (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    created_at TEXT NOT NULL,
    last_seq INTEGER NOT NULL DEFAULT 0
  ) WITHOUT ROWID;

  CREATE TABLE credentials (
    id TEXT PRIMARY KEY,
    tenant TEXT REFERENCES tenants(id),
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    scopes TEXT NOT NULL,
    secret_hash TEXT NOT NULL,
    created_at TEXT NOT NULL,
    revoked_at TEXT
  ) WITHOUT ROWID;
  CREATE INDEX credentials_tenant ON credentials(tenant, kind);

  CREATE TABLE events (
    tenant TEXT NOT NULL,
    seq INTEGER NOT NULL,
    id TEXT NOT NULL,
    occurred_at INTEGER NOT NULL,
    received_at INTEGER NOT NULL,
    action TEXT NOT NULL,
    category TEXT NOT NULL,
    outcome TEXT NOT NULL,
    service TEXT,
    actor_id TEXT,
    actor_type TEXT,
    target_type TEXT,
    target_id TEXT,
    client_id TEXT,
    session_id TEXT,
    trace_id TEXT,
    transaction_id TEXT,
    digest TEXT NOT NULL,
    hash TEXT NOT NULL,
    body TEXT NOT NULL
  );
  CREATE UNIQUE INDEX events_seq ON events(tenant, seq);
  CREATE UNIQUE INDEX events_id ON events(tenant, id);
  CREATE INDEX events_time ON events(tenant, occurred_at, seq);
  CREATE INDEX events_actor ON events(tenant, actor_id, occurred_at, seq) WHERE actor_id IS NOT NULL;
  CREATE INDEX events_action ON events(tenant, action, occurred_at, seq);
  CREATE INDEX events_target ON events(tenant, target_type, target_id, occurred_at, seq) WHERE target_type IS NOT NULL;
  CREATE INDEX events_target_id ON events(tenant, target_id, occurred_at, seq) WHERE target_id IS NOT NULL;
  CREATE INDEX events_service ON events(tenant, service, occurred_at, seq) WHERE service IS NOT NULL;
  CREATE INDEX events_client ON events(tenant, client_id, occurred_at, seq) WHERE client_id IS NOT NULL;
  CREATE INDEX events_session ON events(tenant, session_id, occurred_at, seq) WHERE session_id IS NOT NULL;
  CREATE INDEX events_trace ON events(tenant, trace_id, occurred_at, seq) WHERE trace_id IS NOT NULL;
  CREATE INDEX events_txn ON events(tenant, transaction_id, occurred_at, seq) WHERE transaction_id IS NOT NULL;

  CREATE TABLE event_ips (
    tenant TEXT NOT NULL,
    ip TEXT NOT NULL,
    seq INTEGER NOT NULL,
    PRIMARY KEY (tenant, ip, seq)
  ) WITHOUT ROWID;

  -- Contentless: the text lives in events.body; the index maps terms to events.rowid.
  CREATE VIRTUAL TABLE events_fts USING fts5(
    text, content='', contentless_delete=1, tokenize='unicode61 remove_diacritics 2'
  );

  CREATE TABLE jobs (
    tenant TEXT NOT NULL,
    id TEXT NOT NULL,
    kind TEXT NOT NULL,
    state TEXT NOT NULL,
    params TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    started_at INTEGER,
    finished_at INTEGER,
    expires_at INTEGER,
    rows INTEGER,
    snapshot_seq INTEGER,
    error TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    lease_owner TEXT,
    lease_until INTEGER,
    PRIMARY KEY (tenant, id)
  ) WITHOUT ROWID;
  CREATE UNIQUE INDEX jobs_id ON jobs(id);
  CREATE INDEX jobs_runnable ON jobs(state, created_at) WHERE state IN ('queued', 'running');
  CREATE INDEX jobs_expiry ON jobs(expires_at) WHERE expires_at IS NOT NULL;
  `,
  `
  ALTER TABLE events ADD COLUMN actor_home_org_id TEXT;
  CREATE INDEX events_actor_home_org ON events(tenant, actor_home_org_id, occurred_at, seq)
    WHERE actor_home_org_id IS NOT NULL;
  `,
  // 3: what LivePerson's change rows count and filter by, read from the stored event itself:
  // generated columns need no copy at append and no backfill (existing rows are computed as the
  // indexes are built). change_rows is max(1, number of changes) (core/change-rows.ts). The
  // indexes hold the counts and flags, so counting an interval's rows never reads an event.
  `
  ALTER TABLE events ADD COLUMN change_rows INTEGER
    GENERATED ALWAYS AS (max(1, coalesce(json_array_length(body, '$.changes'), 0))) VIRTUAL;
  ALTER TABLE events ADD COLUMN automatic INTEGER
    GENERATED ALWAYS AS (coalesce(json_extract(body, '$.automatic'), 0)) VIRTUAL;
  ALTER TABLE events ADD COLUMN actor_privileged INTEGER
    GENERATED ALWAYS AS (coalesce(json_extract(body, '$.actor.privileged'), 0)) VIRTUAL;
  ALTER TABLE events ADD COLUMN actor_login TEXT
    GENERATED ALWAYS AS (json_extract(body, '$.actor.login')) VIRTUAL;
  CREATE INDEX events_rows ON events(tenant, occurred_at, seq, change_rows, automatic, actor_privileged);
  CREATE INDEX events_type_rows ON events(tenant, target_type, occurred_at, seq, change_rows, automatic, actor_privileged)
    WHERE target_type IS NOT NULL;
  CREATE INDEX events_login ON events(tenant, actor_login, occurred_at, seq) WHERE actor_login IS NOT NULL;
  `,
  // 4: the earliest and latest occurred_at of every block of 4,096 rowids (blocks.ts, whose
  // BLOCK_BITS is the 12 below), kept at append, so a full-text page knows which blocks can
  // still hold a row it shows (text-pages.ts). Filled here from the events already stored.
  `
  CREATE TABLE event_blocks (block INTEGER PRIMARY KEY, min_at INTEGER NOT NULL, max_at INTEGER NOT NULL);
  INSERT INTO event_blocks SELECT rowid >> 12, min(occurred_at), max(occurred_at) FROM events GROUP BY rowid >> 12;
  `,
  // 5: per-tenant export quotas and fair leasing. `bytes` is a succeeded export's file size, so
  // a tenant's kept bytes are a SUM over its jobs; exports that succeeded before it count 0
  // bytes (their files are on disk, out of SQL's reach) until they expire. The tenant indexes
  // serve that sum, the count of a tenant's running jobs and its last start (jobs.ts lease).
  `
  ALTER TABLE jobs ADD COLUMN bytes INTEGER;
  CREATE INDEX jobs_tenant_state ON jobs(tenant, state, kind);
  CREATE INDEX jobs_tenant_started ON jobs(tenant, started_at);
  `,
  // 6: the tamper-evident log (docs/log.md). Tiles are the stored Merkle tree (C2SP tlog-tiles,
  // height 8: 256 hashes of 32 bytes at most, a partial tile widened as the log grows); every
  // signed checkpoint is kept, and the latest is the one with the largest size.
  `
  CREATE TABLE log_tiles (
    tenant TEXT NOT NULL,
    level INTEGER NOT NULL,
    idx INTEGER NOT NULL,
    hashes BLOB NOT NULL,
    PRIMARY KEY (tenant, level, idx)
  ) WITHOUT ROWID;
  CREATE TABLE log_checkpoints (
    tenant TEXT NOT NULL,
    size INTEGER NOT NULL,
    root BLOB NOT NULL,
    note TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (tenant, size)
  ) WITHOUT ROWID;
  CREATE INDEX log_checkpoints_time ON log_checkpoints(tenant, created_at);
  `,
  // 7: a tenant's settings (docs/embedding.md): whether reads through viewer tokens are
  // recorded as events of the tenant, on unless the tenant turns it off.
  `
  ALTER TABLE tenants ADD COLUMN record_viewer_reads INTEGER NOT NULL DEFAULT 1;
  `,
  // 8: streams to SIEMs (docs/streams.md). The event table is their outbox, so ingest writes
  // nothing here; a stream is a cursor, and a delivery a batch's seq range, recorded before its
  // first attempt so every retry sends the same batch under the same id.
  `
  CREATE TABLE streams (
    tenant TEXT NOT NULL REFERENCES tenants(id),
    id TEXT NOT NULL,
    name TEXT NOT NULL,
    destination TEXT NOT NULL,
    secrets TEXT,
    format TEXT NOT NULL,
    filters TEXT NOT NULL,
    batch TEXT NOT NULL,
    pii TEXT NOT NULL,
    state TEXT NOT NULL,
    cursor INTEGER NOT NULL,
    replay TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    last_error TEXT,
    last_error_at INTEGER,
    last_delivered_at INTEGER,
    next_attempt_at INTEGER NOT NULL,
    lease_owner TEXT,
    lease_until INTEGER,
    PRIMARY KEY (tenant, id)
  ) WITHOUT ROWID;
  CREATE INDEX streams_due ON streams(state, next_attempt_at);
  CREATE TABLE stream_deliveries (
    tenant TEXT NOT NULL,
    stream TEXT NOT NULL,
    id TEXT NOT NULL,
    from_seq INTEGER NOT NULL,
    to_seq INTEGER NOT NULL,
    events INTEGER NOT NULL,
    state TEXT NOT NULL,
    replay INTEGER,
    attempts INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    error TEXT,
    PRIMARY KEY (tenant, stream, id)
  );
  CREATE INDEX stream_deliveries_recent ON stream_deliveries(tenant, stream, updated_at);
  CREATE INDEX stream_deliveries_pending ON stream_deliveries(tenant, stream, state) WHERE state <> 'delivered';
  CREATE INDEX stream_deliveries_old ON stream_deliveries(updated_at) WHERE state = 'delivered';
  `,
];
