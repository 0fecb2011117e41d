import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { TrailkeepError } from '../../core/errors.js';
import type { Job } from '../../core/jobs.js';
import type { JobOutcome, JobStore } from '../../store/types.js';
import { exportTooLarge } from './quota.js';
import type { JobRunner, JobRunners } from './runners.js';

/** The slice of a pino logger the worker uses. */
export interface JobLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

const silent: JobLog = { info() {}, warn() {}, error() {} };

/** What a failed job tells its client: never a stack or driver text (those go to the log). */
export const JOB_FAILED_MESSAGE = 'The job failed unexpectedly; the server log has the details.';

export interface JobWorkerDeps {
  jobs: JobStore;
  runners: JobRunners;
  /** Wakes the worker when this node creates a job (JobService.onCreated). */
  onCreated?: (listener: () => void) => () => void;
}

export interface JobWorkerOptions {
  /** Names this worker in leases and logs; unique per process by default. */
  name?: string;
  /** Jobs run at once; 0 makes start() do nothing (the node runs no background work). */
  concurrency: number;
  leaseMs: number;
  /** How long finished jobs are kept. */
  ttlMs: number;
  pollMs?: number;
  /** How often held leases are extended; a third of the lease by default. */
  renewMs?: number;
  sweepMs?: number;
  /** How long stop() lets running jobs finish before asking them to stop and release (0: asks at once). */
  stopGraceMs?: number;
  /** How long stop() then waits for them to stop (an export stops after its current step) before leaving them. */
  stopWaitMs?: number;
  /** A job leased more often than this was interrupted each time: it fails instead of running again. */
  maxAttempts?: number;
  clock?: () => number;
  log?: JobLog;
}

export type RunOutcome = 'succeeded' | 'failed' | 'lost' | 'released';

interface ActiveRun {
  job: Job;
  /** The lease token of this run: fencing is per run, not per worker. */
  owner: string;
  /** Cancelled, swept or taken over: its result will not be recorded. */
  lost: boolean;
  /** The worker is stopping and asked this run to stop. */
  aborting: boolean;
  done: Promise<void>;
}

/**
 * Leases jobs from the store and runs them, at most `concurrency` at once. Coordination goes
 * through the store only (leases with fencing), so any number of workers on any number of
 * nodes can share one database. Nothing runs until start().
 */
export class JobWorker {
  readonly name: string;
  private readonly active = new Map<string, ActiveRun>();
  private readonly clock: () => number;
  private readonly log: JobLog;
  private readonly pollMs: number;
  private readonly renewMs: number;
  private readonly sweepMs: number;
  private readonly stopGraceMs: number;
  private readonly stopWaitMs: number;
  private readonly maxAttempts: number;
  private timers: NodeJS.Timeout[] = [];
  private unsubscribe: (() => void) | undefined;
  private running = false;
  private leases = 0;
  private filling: Promise<void> | null = null;
  private fillAgain = false;
  private sweeping: Promise<unknown> | null = null;
  private lastLeaseError = -Infinity;

  constructor(
    private readonly deps: JobWorkerDeps,
    private readonly options: JobWorkerOptions,
  ) {
    this.name = options.name ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
    this.clock = options.clock ?? Date.now;
    this.log = options.log ?? silent;
    this.pollMs = options.pollMs ?? 250;
    this.renewMs = options.renewMs ?? Math.max(100, Math.floor(options.leaseMs / 3));
    this.sweepMs = options.sweepMs ?? 60_000;
    this.stopGraceMs = options.stopGraceMs ?? 10_000;
    this.stopWaitMs = options.stopWaitMs ?? 10_000;
    this.maxAttempts = options.maxAttempts ?? 3;
  }

  /** Ids of the jobs running here now. */
  get runningJobs(): string[] {
    return [...this.active.keys()];
  }

  start(): void {
    if (this.running || this.options.concurrency === 0) return;
    this.running = true;
    this.unsubscribe = this.deps.onCreated?.(() => this.wake());
    // Unref'd: the HTTP server keeps a serving process alive, not the worker's timers.
    this.timers = [
      setInterval(() => this.wake(), this.pollMs).unref(),
      setInterval(() => void this.renewAll(), this.renewMs).unref(),
      setInterval(() => void this.sweepQuietly(), this.sweepMs).unref(),
    ];
    this.wake();
    void this.sweepQuietly();
  }

  /**
   * Stops leasing, lets running jobs finish for up to `stopGraceMs`, then asks the rest to stop
   * (an export stops after its current chunk) and releases their leases for another worker,
   * waiting up to `stopWaitMs` for that; then closes what the runners hold.
   */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    this.unsubscribe?.();
    await this.settle();
    // A run left behind that goes on rendering starts the render thread again (csv-renderer.ts).
    await Promise.all(Object.values(this.deps.runners).map((r) => r.close?.()));
  }

  /** Waits for the running jobs as stop() describes. */
  private async settle(): Promise<void> {
    await this.filling;
    await this.sweeping;
    const all = () => Promise.all([...this.active.values()].map((r) => r.done));
    if (this.stopGraceMs > 0 && (await this.within(all(), this.stopGraceMs))) return;
    if (this.active.size === 0) return;
    for (const run of this.active.values()) run.aborting = true;
    this.log.info(
      { worker: this.name, jobs: this.runningJobs },
      'asking running jobs to stop after their current step',
    );
    if (await this.within(all(), this.stopWaitMs)) return;
    // Stuck (a hung disk, say): give up waiting. Their leases lapse and another worker takes over.
    this.log.error({ worker: this.name, jobs: this.runningJobs }, 'jobs did not stop; leaving them');
  }

  /** Whether `work` settles within `ms`. */
  private async within(work: Promise<unknown>, ms: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), ms);
    });
    const settled = await Promise.race([work.then(() => true), late]);
    clearTimeout(timer);
    return settled;
  }

  /** Looks for work now rather than at the next poll. */
  wake(): void {
    if (!this.running) return;
    // Set before the check: a wake that arrives while a pass is finishing is never lost.
    this.fillAgain = true;
    if (this.filling) return;
    this.filling = (async () => {
      while (this.fillAgain && this.running) {
        this.fillAgain = false;
        await this.fill();
      }
    })().finally(() => {
      this.filling = null;
      if (this.fillAgain) this.wake();
    });
  }

  /** Leases jobs until this worker is full or none is runnable. */
  private async fill(): Promise<void> {
    try {
      while (this.running && this.active.size < this.options.concurrency) {
        const owner = `${this.name}/${++this.leases}`;
        const job = await this.deps.jobs.lease(owner, this.clock(), this.options.leaseMs);
        if (!job) return;
        this.launch(job, owner);
      }
    } catch (err) {
      // During a database outage this fails at every poll: say so once a minute, not four times a second.
      const now = this.clock();
      if (now - this.lastLeaseError >= 60_000) {
        this.lastLeaseError = now;
        this.log.warn(
          { err, worker: this.name },
          'leasing a job failed (repeats are not logged for a minute)',
        );
      }
    }
  }

  private launch(job: Job, owner: string): void {
    const run: ActiveRun = { job, owner, lost: false, aborting: false, done: Promise.resolve() };
    this.active.set(job.id, run);
    run.done = this.execute(run)
      .then(() => {})
      .catch((err: unknown) => {
        this.log.error({ err, job: job.id, tenant: job.tenant }, 'job bookkeeping failed');
      })
      .finally(() => {
        this.active.delete(job.id);
        this.wake();
      });
  }

  private async execute(run: ActiveRun): Promise<RunOutcome> {
    const { job } = run;
    const fields = {
      job: job.id,
      tenant: job.tenant,
      kind: job.kind,
      attempt: job.attempts,
      worker: this.name,
    };
    if (job.attempts > this.maxAttempts) {
      // Every earlier worker died while running it; running it again may kill this one too.
      this.log.error(fields, 'job abandoned after repeated interruptions');
      return this.record(run, { state: 'failed', error: 'The job was interrupted too many times.' });
    }
    this.log.info(fields, 'job started');
    const runner = this.deps.runners[job.kind];
    let result: Awaited<ReturnType<JobRunner['run']>>;
    try {
      result = await runner.run(job, { keepGoing: () => this.keepGoing(run) });
    } catch (err) {
      if (run.lost) {
        this.log.info(fields, 'job stopped: cancelled or taken over');
        return 'lost';
      }
      this.log.error({ ...fields, err }, 'job failed');
      const error = err instanceof TrailkeepError ? err.message : JOB_FAILED_MESSAGE;
      return this.record(run, { state: 'failed', error });
    }
    if (result === null) {
      if (run.aborting && !run.lost) {
        // An expired lease lets the next worker (here after a restart, or elsewhere) take it at once.
        await this.deps.jobs.renew(job.id, run.owner, this.clock() - 1);
        this.log.info(fields, 'job released');
        return 'released';
      }
      this.log.info(fields, 'job stopped: cancelled or taken over');
      return 'lost';
    }
    return this.record(run, { state: 'succeeded', ...result }, runner);
  }

  private async record(
    run: ActiveRun,
    outcome: Omit<JobOutcome, 'finished_at' | 'expires_at'>,
    runner?: JobRunner,
  ): Promise<RunOutcome> {
    const now = this.clock();
    const fields = { job: run.job.id, tenant: run.job.tenant, kind: run.job.kind, worker: this.name };
    const kept = await this.deps.jobs.finish(run.job.id, run.owner, {
      ...outcome,
      finished_at: now,
      expires_at: now + this.options.ttlMs,
    });
    if (kept === 'fenced') {
      // Fencing: the job was cancelled or another worker holds it now; its result stands.
      this.log.warn(fields, 'job result refused: cancelled or taken over meanwhile');
      await runner?.discard?.(run.job);
      return 'lost';
    }
    if (kept === 'over_quota') {
      // Other exports of the tenant finished while this one ran and took the room it started with.
      this.log.info({ ...fields, bytes: outcome.bytes }, 'export over the tenant’s byte quota');
      await runner?.discard?.(run.job);
      return this.record(run, { state: 'failed', error: exportTooLarge(outcome.maxKeptBytes ?? 0).message });
    }
    this.log.info({ ...fields, state: outcome.state, rows: outcome.rows }, 'job finished');
    return outcome.state;
  }

  private async keepGoing(run: ActiveRun): Promise<boolean> {
    if (run.lost || run.aborting) return false;
    const now = await this.deps.jobs.get(run.job.tenant, run.job.id);
    if (now?.state !== 'running' || now.lease_owner !== run.owner) run.lost = true;
    return !run.lost;
  }

  private async renewAll(): Promise<void> {
    for (const run of this.active.values()) {
      if (run.lost) continue;
      try {
        const held = await this.deps.jobs.renew(run.job.id, run.owner, this.clock() + this.options.leaseMs);
        if (!held) run.lost = true;
      } catch (err) {
        this.log.warn({ err, job: run.job.id }, 'lease renewal failed');
      }
    }
  }

  /** Deletes expired jobs and their files; returns how many. Files go first, so none is orphaned. */
  async sweep(): Promise<number> {
    let removed = 0;
    for (;;) {
      const batch = await this.deps.jobs.expired(this.clock(), 100);
      for (const job of batch) {
        await this.deps.runners[job.kind].purge?.(job);
        await this.deps.jobs.delete(job.tenant, job.id);
        removed++;
      }
      if (batch.length < 100) return removed;
    }
  }

  private async sweepQuietly(): Promise<void> {
    if (this.sweeping) return;
    this.sweeping = this.sweep()
      .then((n) => {
        if (n > 0) this.log.info({ removed: n, worker: this.name }, 'expired jobs swept');
      })
      .catch((err: unknown) => this.log.error({ err, worker: this.name }, 'sweeping expired jobs failed'))
      .finally(() => {
        this.sweeping = null;
      });
    await this.sweeping;
  }
}
