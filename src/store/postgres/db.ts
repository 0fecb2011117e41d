import { createHash } from 'node:crypto';
import pg from 'pg';
import { TrailkeepError } from '../../core/errors.js';

/** INT8 and NUMERIC as JavaScript numbers: seqs, counts and epoch milliseconds stay below 2^53. */
const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === pg.types.builtins.INT8 || oid === pg.types.builtins.NUMERIC) return (v: string) => Number(v);
    return pg.types.getTypeParser(oid, format);
  },
};

/** Driver errors that mean "the database is not reachable now", as opposed to a bad query. */
const UNAVAILABLE = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'EAI_AGAIN',
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
  '53300', // too_many_connections
]);

export function isUnavailable(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  if (e.code && (UNAVAILABLE.has(e.code) || e.code.startsWith('08'))) return true;
  return /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|not queryable/i.test(
    e.message ?? '',
  );
}

/** Rethrows outages as the catalogue's `unavailable` (503 + Retry-After); other errors unchanged. */
export function mapError(err: unknown): never {
  if (err instanceof TrailkeepError) throw err;
  if (isUnavailable(err)) throw new TrailkeepError('unavailable');
  throw err;
}

export type Queryable = Pick<pg.PoolClient, 'query'>;

/**
 * The pool, with the two ways the engine talks to it: `query` (one statement, prepared by
 * name so the server plans it once per connection) and `tx` (a transaction on one client).
 */
export class Db {
  readonly pool: pg.Pool;
  private closing: Promise<void> | undefined;

  /**
   * `session` runs on every new connection before the pool hands it out (pg-pool's `onConnect`
   * waits for it). Queued behind the first query instead, as a 'connect' listener would, it made
   * pg warn that queueing queries on a busy client is deprecated. A statement that fails ends
   * the connection, and the checkout that opened it fails with the error (mapped to 503 when
   * the server is gone).
   */
  constructor(url: string, max: number, onError: (err: Error) => void, session: readonly string[] = []) {
    this.pool = new pg.Pool({
      connectionString: url,
      max,
      types,
      connectionTimeoutMillis: 5000,
      // Notice a vanished peer (a network partition, not just a stopped server) on idle sockets.
      keepAlive: true,
      idleTimeoutMillis: 30_000,
      application_name: 'trailkeep',
      onConnect: async (client) => {
        for (const sql of session) await client.query(sql);
      },
    });
    // An idle client losing its connection must not crash the process; the next query reconnects.
    // pg-pool puts the client on the error it emits: dropped, so a log line is not a dump of it.
    this.pool.on('error', (err: Error & { client?: unknown }) => {
      delete err.client;
      onError(err);
    });
    // A client checked out with pool.connect() (transactions, migrations) has no pool listener,
    // and pg emits 'error' on it when the server goes away, even mid-query: unhandled, that ends
    // the process. The query in flight fails on its own (mapped to `unavailable`), later ones
    // find the client not queryable, and release() discards it; so this listener needs do nothing.
    this.pool.on('connect', (client) => {
      client.on('error', () => {});
    });
  }

  /**
   * One statement, prepared once per connection and named by its text; `planEachTime` sends it
   * unnamed instead, so it is planned with its values every time (see `list` in events.ts).
   */
  async query<R extends pg.QueryResultRow>(
    text: string,
    values: unknown[] = [],
    { planEachTime = false } = {},
  ): Promise<R[]> {
    try {
      const res = await this.pool.query<R>(
        planEachTime ? { text, values } : { name: statementName(text), text, values },
      );
      return res.rows;
    } catch (err) {
      return mapError(err);
    }
  }

  async tx<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      return mapError(err);
    }
    try {
      await client.query('BEGIN');
      const result = await fn(client);
      await client.query('COMMIT');
      client.release();
      return result;
    } catch (err) {
      // A broken connection is discarded rather than returned to the pool.
      await client.query('ROLLBACK').then(
        () => client.release(),
        (e: Error) => client.release(e),
      );
      return mapError(err);
    }
  }

  close(): Promise<void> {
    // pool.end() may be called once; a second close is a no-op, as on SQLite.
    this.closing ??= this.pool.end();
    return this.closing;
  }
}

/** A prepared statement's name: stable for the same SQL, so each connection prepares it once. */
export const statementName = (text: string): string =>
  `tk_${createHash('sha1').update(text).digest('hex').slice(0, 20)}`;

/** Runs a named (prepared) statement on a transaction's client. */
export async function run<R extends pg.QueryResultRow>(
  client: Queryable,
  text: string,
  values: unknown[] = [],
): Promise<R[]> {
  return (await client.query<R>({ name: statementName(text), text, values })).rows;
}
