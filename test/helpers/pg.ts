import { randomBytes } from 'node:crypto';
import { after } from 'node:test';
import pg from 'pg';
import { type PgServer, startPostgres } from './pg-server.js';

export { freePort, type PgServer, startPostgres } from './pg-server.js';

let shared: Promise<string> | undefined;
let own: PgServer | undefined;

// A file run on its own starts its own server (below); it is stopped when the file's tests end.
after(async () => {
  await own?.remove();
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
