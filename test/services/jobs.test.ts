// @engines sqlite postgres
import assert from 'node:assert/strict';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, test } from 'node:test';
import { loadConfig } from '../../src/config/config.js';
import type { TrailkeepError } from '../../src/core/errors.js';
import type { Job } from '../../src/core/jobs.js';
import { CsvRenderer } from '../../src/services/exports/csv-renderer.js';
import { createServices, type Services } from '../../src/services/index.js';
import { exportRunner, type JobRunner, queryRunner } from '../../src/services/jobs/runners.js';
import {
  JOB_FAILED_MESSAGE,
  type JobLog,
  JobWorker,
  type JobWorkerOptions,
} from '../../src/services/jobs/worker.js';
import { openStore } from '../../src/store/open.js';
import type { Store } from '../../src/store/types.js';
import { type TestData, testData, testEngine } from '../helpers/app.js';
import { until } from '../helpers/jobs.js';

const TTL_MS = 3_600_000;
let data: TestData;
let store: Store;
/** The render thread of the test's export runners. */
let csv: CsvRenderer;
let services: Services;
let now: number;
const clock = () => now;
let workers: JobWorker[];

/** A log that keeps its records, to see what a worker reported. */
function recordingLog() {
  const records: { level: string; msg: string; obj: Record<string, unknown> }[] = [];
  const at =
    (level: string) =>
    (obj: object, msg: string): void => {
      records.push({ level, msg, obj: obj as Record<string, unknown> });
    };
  const log: JobLog = { info: at('info'), warn: at('warn'), error: at('error') };
  return { log, records };
}

/** Holds a runner at its start until released: a worker that stalls (or died) mid-job. */
function stalled(runner: JobRunner) {
  let release!: () => void;
  let entered!: (job: Job) => void;
  const gate = new Promise<void>((r) => {
    release = r;
  });
  const started = new Promise<Job>((r) => {
    entered = r;
  });
  const wrapped: JobRunner = {
    async run(job, ctx) {
      entered(job);
      await gate;
      return runner.run(job, ctx);
    },
    ...(runner.discard ? { discard: (job: Job) => runner.discard?.(job) as Promise<void> } : {}),
    ...(runner.purge ? { purge: (job: Job) => runner.purge?.(job) as Promise<void> } : {}),
  };
  return { runner: wrapped, release, started };
}

const exportsDir = () => join(data.dir, 'exports');
/** Whether that attempt of an export job has a published file. */
const published = async (tenant: string, jobId: string, attempt: number, format: string) => {
  const file = await store.exports.open({ tenant, jobId, attempt, format });
  file?.stream.destroy();
  return file !== null;
};
const exportDeps = () => ({
  events: store.events,
  jobs: store.jobs,
  files: store.exports,
  csv,
  log: store.log,
});
const realRunners = (chunk?: number) => ({
  query: queryRunner(store.events),
  export: exportRunner(exportDeps(), chunk ? { chunk } : {}),
});

function worker(options: Partial<JobWorkerOptions> & { runners?: Partial<ReturnType<typeof realRunners>> }) {
  const { runners, ...rest } = options;
  const w = new JobWorker(
    {
      jobs: store.jobs,
      runners: { ...realRunners(), ...runners },
      onCreated: (l) => services.jobs.onCreated(l),
    },
    { concurrency: 1, leaseMs: 10_000, ttlMs: TTL_MS, pollMs: 20, clock, ...rest },
  );
  workers.push(w);
  return w;
}

async function seed(count: number, tenant = 'acme') {
  const events = Array.from({ length: count }, (_, i) => ({
    occurred_at: new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString(),
    action: `act.${i % 5}`,
  }));
  for (let i = 0; i < events.length; i += 1000) {
    await services.events.ingest(tenant, events.slice(i, i + 1000), (j) => `$[${j}]`);
  }
}

const stored = (id: string, tenant = 'acme') => store.jobs.get(tenant, id);
const finished = (id: string, tenant = 'acme') =>
  until(async () => {
    const job = await stored(id, tenant);
    return job && ['succeeded', 'failed', 'cancelled'].includes(job.state) ? job : null;
  });

beforeEach(async () => {
  data = await testData();
  now = Date.UTC(2026, 5, 1);
  workers = [];
  const config = loadConfig({
    ...data.env,
    TRAILKEEP_ADMIN_TOKEN: 'test-admin-token-0123456789',
    TRAILKEEP_JOB_TTL: String(TTL_MS / 1000),
  });
  store = await openStore(config.TRAILKEEP_DB, { poolSize: 4, exportDir: config.TRAILKEEP_EXPORT_DIR });
  services = await createServices(config, store, clock);
  csv = new CsvRenderer();
  await services.tenants.create('acme');
  await services.tenants.create('globex');
});

afterEach(async () => {
  for (const w of workers) await w.stop();
  await csv.close();
  await store.close();
  await data.remove();
});

test('a created job wakes a local worker at once, without waiting for its poll', async () => {
  await seed(10);
  const w = worker({ pollMs: 3_600_000 });
  w.start();
  const job = await services.jobs.createQuery('acme', { fields: { action: ['act.1'] } });
  const done = await until(
    async () => ((await stored(job.id))?.state === 'succeeded' ? stored(job.id) : null),
    2000,
  );
  assert.equal(done?.rows, 2);
  assert.equal(done?.snapshot_seq, 10);
});

test('a job stored before filters were kept parsed still runs and pages by its filter parameters', async () => {
  await seed(10);
  // Stored the old way: the request's filter parameters, RFC 3339 strings and bare values.
  const filters = { action: 'act.1', from: '2026-01-01T00:00:05Z' };
  const made = await store.jobs.create(
    { id: 'job-stored-before', tenant: 'acme', kind: 'query', params: { filters, order: 'asc' } },
    now,
    { maxActive: 10, maxExports: 10, maxExportBytes: 1e9 },
  );
  assert.ok('job' in made);
  worker({}).start();
  const done = await finished('job-stored-before');
  assert.equal(done.state, 'succeeded');
  // act.1 at seconds 1 and 6: only the one at or after the stored `from`.
  assert.equal(done.rows, 1);
  const page = await services.jobs.results('acme', 'job-stored-before', { limit: 10 });
  const events = page.rows.map((r) => JSON.parse(r.json) as { action: string; occurred_at: string });
  assert.deepEqual(
    events.map((e) => [e.action, e.occurred_at]),
    [['act.1', '2026-01-01T00:00:06.000Z']],
  );
});

test('a worker with concurrency 0 runs nothing', async () => {
  const w = worker({ concurrency: 0 });
  w.start();
  const job = await services.jobs.createQuery('acme', {});
  await new Promise((r) => setTimeout(r, 150));
  assert.equal((await stored(job.id))?.state, 'queued');
});

test('lease takeover: a stalled worker’s job is taken over after expiry, completes once, and the late finish is refused', async () => {
  await seed(20);
  const stall = stalled(queryRunner(store.events));
  const first = recordingLog();
  // The first worker never renews: as good as dead once it has the job.
  const w1 = worker({
    name: 'w1',
    leaseMs: 1000,
    renewMs: 3_600_000,
    runners: { query: stall.runner },
    log: first.log,
  });
  w1.start();
  const job = await services.jobs.createQuery('acme', {});
  await stall.started;
  const held = await stored(job.id);
  assert.equal(held?.state, 'running');
  assert.match(held?.lease_owner ?? '', /^w1\//);

  // Before the lease expires nobody else may take it.
  assert.equal(await store.jobs.lease('probe', now + 500, 1000), null);

  // The second worker's clock is past the first lease.
  const later = () => now + 1500;
  const w2 = worker({ name: 'w2', leaseMs: 1000, clock: later });
  w2.start();
  const done = await finished(job.id);
  assert.equal(done.state, 'succeeded');
  assert.equal(done.rows, 20);
  assert.equal(done.attempts, 2);

  // More events arrive; then the first worker wakes up, counts them and tries to record its result.
  await seed(5);
  stall.release();
  await until(async () => first.records.find((r) => r.msg.startsWith('job result refused')));
  const after = await stored(job.id);
  assert.equal(after?.rows, 20, 'the first result recorded stands');
  assert.equal(after?.finished_at, done.finished_at);
});

test('lease takeover of an export: the stale worker stops and only the new attempt’s file is published', async () => {
  await seed(50);
  const stall = stalled(exportRunner(exportDeps(), { chunk: 10 }));
  const w1 = worker({ name: 'w1', leaseMs: 1000, renewMs: 3_600_000, runners: { export: stall.runner } });
  w1.start();
  const job = await services.jobs.createExport('acme', 'ndjson', {});
  await stall.started;
  const w2 = worker({ name: 'w2', leaseMs: 1000, clock: () => now + 1500 });
  w2.start();
  assert.equal((await finished(job.id)).state, 'succeeded');
  stall.release();
  await until(async () => w1.runningJobs.length === 0);
  assert.equal(await published('acme', job.id, 1, 'ndjson'), false, 'the stale attempt published nothing');
  assert.equal(await published('acme', job.id, 2, 'ndjson'), true);
  if (testEngine === 'sqlite')
    assert.deepEqual(readdirSync(join(exportsDir(), 'acme')), [`${job.id}.2.ndjson`]);
  const { file } = await services.jobs.download('acme', job.id);
  let text = '';
  for await (const chunk of file.stream) text += chunk;
  assert.equal(text.trimEnd().split('\n').length, 50);
});

test('cancelling a running export stops it between chunks and deletes its partial file', async () => {
  await seed(500);
  const real = exportRunner(exportDeps(), { chunk: 20 });
  let checks = 0;
  let partSeen = false;
  const job = await services.jobs.createExport('acme', 'csv', {});
  const cancelling: JobRunner = {
    run: (j, ctx) =>
      real.run(j, {
        async keepGoing() {
          if (++checks === 3) {
            // Only the file system shows a partial file; PostgreSQL keeps it in invisible rows.
            partSeen =
              testEngine !== 'sqlite' ||
              readdirSync(join(exportsDir(), 'acme')).some((f) => f.endsWith('.csv.part'));
            await services.jobs.cancel('acme', 'export', job.id);
          }
          return ctx.keepGoing();
        },
      }),
  };
  const { log, records } = recordingLog();
  worker({ runners: { export: cancelling }, log }).start();
  await until(async () => records.find((r) => r.msg.startsWith('job stopped')));
  assert.ok(partSeen, 'the partial file existed while it ran');
  assert.equal(checks, 3, 'it stopped at the first check after the cancel');
  assert.equal((await stored(job.id))?.state, 'cancelled');
  assert.equal(await published('acme', job.id, 1, 'csv'), false);
  if (testEngine === 'sqlite') assert.deepEqual(readdirSync(join(exportsDir(), 'acme')), []);
});

test('finished jobs expire after the TTL: hidden at once, then swept with their files', async () => {
  await seed(5);
  const w = worker({});
  w.start();
  const query = await services.jobs.createQuery('acme', {});
  const exp = await services.jobs.createExport('acme', 'csv', {});
  await finished(query.id);
  const done = await finished(exp.id);
  assert.ok(await published('acme', exp.id, 1, 'csv'));
  assert.equal(done.expires_at, (done.finished_at ?? 0) + TTL_MS);

  assert.equal(await w.sweep(), 0, 'nothing has expired yet');
  now += TTL_MS + 1;
  await assert.rejects(
    services.jobs.get('acme', 'export', exp.id),
    (e: TrailkeepError) => e.code === 'not_found',
  );
  assert.equal(await w.sweep(), 2);
  assert.equal(await stored(exp.id), null);
  assert.equal(await stored(query.id), null);
  assert.equal(await published('acme', exp.id, 1, 'csv'), false);
});

// The failure is provoked through the file system, which only the SQLite engine's exports use.
test('an unexpected error fails the job with a safe message and logs the cause', {
  skip: testEngine !== 'sqlite' && 'provokes a failure of SQLite export storage',
}, async () => {
  // A file where the export directory should be: creating the tenant folder fails.
  writeFileSync(exportsDir(), 'not a directory');
  const { log, records } = recordingLog();
  worker({ log }).start();
  const job = await services.jobs.createExport('acme', 'csv', {});
  const done = await finished(job.id);
  assert.equal(done.state, 'failed');
  assert.equal(done.error, JOB_FAILED_MESSAGE);
  assert.doesNotMatch(done.error ?? '', /ENOTDIR|EEXIST|\//);
  const logged = records.find((r) => r.level === 'error' && r.msg === 'job failed');
  assert.ok(logged?.obj.err instanceof Error);
  assert.equal(logged?.obj.job, job.id);
});

test('a job interrupted too often fails instead of running again', async () => {
  const job = await services.jobs.createQuery('acme', {});
  // Three workers each took it and died without finishing.
  for (let i = 0; i < 3; i++)
    assert.equal((await store.jobs.lease(`dead-${i}`, now + i * 2000, 1000))?.id, job.id);
  worker({ clock: () => now + 10_000 }).start();
  const done = await finished(job.id);
  assert.equal(done.state, 'failed');
  assert.match(done.error ?? '', /interrupted/);
});

test('stop() asks a job that outlasts the grace period to stop and releases its lease', async () => {
  await seed(200);
  const stall = stalled(exportRunner(exportDeps(), { chunk: 10 }));
  const w1 = worker({ name: 'w1', stopGraceMs: 300, runners: { export: stall.runner } });
  w1.start();
  const job = await services.jobs.createExport('acme', 'ndjson', {});
  await stall.started;
  const stopping = w1.stop();
  // Past the grace period, so the job is asked to stop, but well within the second wait.
  await new Promise((r) => setTimeout(r, 400));
  stall.release();
  await stopping;
  const released = await stored(job.id);
  assert.equal(released?.state, 'running');
  assert.ok((released?.lease_until ?? Infinity) < now, 'the lease lapsed at once');
  assert.equal(await published('acme', job.id, 1, 'ndjson'), false);
  if (testEngine === 'sqlite')
    assert.deepEqual(readdirSync(join(exportsDir(), 'acme')), [], 'the partial file is gone');
  // Another worker takes it immediately, without waiting out the lease.
  worker({ name: 'w2' }).start();
  const done = await finished(job.id);
  assert.equal(done.state, 'succeeded');
  assert.equal(done.rows, 200);
});

test('stop() without a grace period asks running jobs to stop at once: an export releases after its step, a query finishes', async () => {
  await seed(200);
  const exporting = stalled(exportRunner(exportDeps(), { chunk: 10 }));
  const querying = stalled(queryRunner(store.events));
  const { log, records } = recordingLog();
  const w1 = worker({
    name: 'w1',
    concurrency: 2,
    stopGraceMs: 0,
    log,
    runners: { export: exporting.runner, query: querying.runner },
  });
  w1.start();
  const exp = await services.jobs.createExport('acme', 'ndjson', {});
  const query = await services.jobs.createQuery('acme', {});
  await Promise.all([exporting.started, querying.started]);
  const stopping = w1.stop();
  // Asked before either step has finished: the grace period is not waited out.
  await until(async () =>
    records.some((r) => r.msg === 'asking running jobs to stop after their current step'),
  );
  exporting.release();
  querying.release();
  await stopping;
  const released = await stored(exp.id);
  assert.equal(released?.state, 'running');
  assert.ok((released?.lease_until ?? Infinity) < now, 'the export is released for the next worker');
  assert.equal((await stored(query.id))?.state, 'succeeded', 'a query is one step: it finishes');
  worker({ name: 'w2' }).start();
  assert.equal((await finished(exp.id)).state, 'succeeded');
});

test('jobs are per tenant: another tenant cannot see, cancel or read a job', async () => {
  const job = await services.jobs.createQuery('acme', {});
  const notFound = (e: TrailkeepError) => e.code === 'not_found';
  await assert.rejects(services.jobs.get('globex', 'query', job.id), notFound);
  await assert.rejects(services.jobs.cancel('globex', 'query', job.id), notFound);
  await assert.rejects(services.jobs.results('globex', job.id, { limit: 10 }), notFound);
  await assert.rejects(services.jobs.get('acme', 'export', job.id), notFound);
  assert.equal((await stored(job.id))?.state, 'queued');
});

test('jobs are fair across tenants: with one worker and acme’s queue full, globex’s export runs next', async () => {
  await seed(20);
  await seed(20, 'globex');
  const order: string[] = [];
  const real = exportRunner(exportDeps());
  const recording: JobRunner = {
    ...real,
    run(job, ctx) {
      order.push(job.tenant);
      return real.run(job, ctx);
    },
  };
  const acme: Job[] = [];
  // acme fills its queue (TRAILKEEP_TENANT_JOBS) before globex asks for anything.
  for (let i = 0; i < services.config.TRAILKEEP_TENANT_JOBS; i++) {
    now += 1;
    acme.push(await services.jobs.createExport('acme', 'csv', {}));
  }
  now += 1;
  const globex = await services.jobs.createExport('globex', 'csv', {});
  worker({ concurrency: 1, runners: { export: recording } }).start();
  for (const job of [...acme, globex]) assert.equal((await finished(job.id, job.tenant)).state, 'succeeded');
  assert.deepEqual(
    order.slice(0, 3),
    ['acme', 'globex', 'acme'],
    'globex waits for one acme export, not ten',
  );
  assert.equal(order.length, acme.length + 1);
});

/** The size of an NDJSON export of everything acme has, run without a quota. */
async function exportSize(): Promise<number> {
  const w = worker({});
  w.start();
  const job = await services.jobs.createExport('acme', 'ndjson', {});
  const done = await finished(job.id);
  await w.stop();
  await services.jobs.deleteExport('acme', job.id);
  assert.ok(done.bytes && done.bytes > 0, JSON.stringify(done));
  return done.bytes;
}

test('an export that would pass the byte quota stops at the part that would, fails saying so, and leaves no file', async () => {
  await seed(400);
  const size = await exportSize();
  const real = exportRunner(exportDeps(), { chunk: 20, maxKeptBytes: Math.floor(size / 2), clock });
  let checks = 0;
  const counting: JobRunner = {
    ...real,
    run: (job, ctx) =>
      real.run(job, {
        keepGoing() {
          checks++;
          return ctx.keepGoing();
        },
      }),
  };
  worker({ runners: { export: counting } }).start();
  const job = await services.jobs.createExport('acme', 'ndjson', {});
  const done = await finished(job.id);
  assert.equal(done.state, 'failed');
  assert.match(
    done.error ?? '',
    new RegExp(`partial file deleted.*${Math.floor(size / 2)}-byte export storage quota`),
  );
  assert.equal(done.bytes, null);
  assert.ok(checks >= 9 && checks <= 11, `stopped about half way through the 20 parts, after ${checks}`);
  assert.equal(await published('acme', job.id, 1, 'ndjson'), false);
  if (testEngine === 'sqlite') assert.deepEqual(readdirSync(join(exportsDir(), 'acme')), []);
  assert.deepEqual(await store.jobs.exportUsage('acme', now), { files: 0, bytes: 0 });
});

test('two exports that each fit the quota alone but not together: the second to finish fails and its file is deleted', async () => {
  await seed(50);
  const size = await exportSize();
  const real = exportRunner(exportDeps(), { maxKeptBytes: Math.floor(size * 1.5), clock });
  // Both have written their whole file (each within the room left when it started) before either records it.
  let arrived = 0;
  let release!: () => void;
  const together = new Promise<void>((r) => {
    release = r;
  });
  const meeting: JobRunner = {
    ...real,
    async run(job, ctx) {
      const result = await real.run(job, ctx);
      if (++arrived === 2) release();
      await together;
      return result;
    },
  };
  const { log, records } = recordingLog();
  worker({ concurrency: 2, runners: { export: meeting }, log }).start();
  const jobs = [
    await services.jobs.createExport('acme', 'ndjson', {}),
    await services.jobs.createExport('acme', 'ndjson', {}),
  ];
  const done = await Promise.all(jobs.map((j) => finished(j.id)));
  assert.deepEqual(done.map((j) => j.state).sort(), ['failed', 'succeeded']);
  const failed = done.find((j) => j.state === 'failed') as Job;
  const kept = done.find((j) => j.state === 'succeeded') as Job;
  assert.match(failed.error ?? '', /export storage quota/);
  assert.equal(kept.bytes, size);
  assert.equal(await published('acme', failed.id, 1, 'ndjson'), false, 'the refused file is deleted');
  assert.equal(await published('acme', kept.id, 1, 'ndjson'), true);
  assert.deepEqual(await store.jobs.exportUsage('acme', now), { files: 1, bytes: size });
  assert.ok(records.some((r) => r.msg === 'export over the tenant’s byte quota' && r.obj.job === failed.id));
});
