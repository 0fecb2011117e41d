import type { Checkpointer } from './checkpointer.js';
import type { SelfCheck } from './self-check.js';

export interface LogWorkerOptions {
  /** Between checkpoint rounds. */
  checkpointMs: number;
  /** Between self-check passes; 0 runs none. */
  verifyMs: number;
  log: { warn(obj: object, msg: string): void };
}

/**
 * The log's background work on a node: checkpoint rounds, and self-check passes. Every node
 * runs both; the store makes racing nodes take turns (LogStore.extend), so any of them may sign
 * and none can sign a second root for a size. Nothing runs until start().
 */
export class LogWorker {
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly running = new Set<Promise<unknown>>();
  private stopped = true;

  constructor(
    private readonly checkpointer: Checkpointer,
    private readonly selfCheck: SelfCheck,
    private readonly options: LogWorkerOptions,
  ) {}

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.every(this.options.checkpointMs, 'checkpoint round', () => this.checkpointer.round());
    if (this.options.verifyMs > 0)
      this.every(this.options.verifyMs, 'log self-check', () => this.selfCheck.pass());
  }

  /** Stops scheduling and waits for the round or pass under way. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    await Promise.allSettled([...this.running]);
  }

  /** Runs `work` `ms` after the previous run ended, until stopped; a failure is logged and the next run tries again. */
  private every(ms: number, what: string, work: () => Promise<unknown>): void {
    const schedule = () => {
      if (this.stopped) return;
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        const run = work().catch((err: unknown) =>
          this.options.log.warn({ err }, `${what} failed; retrying`),
        );
        this.running.add(run);
        void run.finally(() => {
          this.running.delete(run);
          schedule();
        });
      }, ms);
      timer.unref();
      this.timers.add(timer);
    };
    schedule();
  }
}
