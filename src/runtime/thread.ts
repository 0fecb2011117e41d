import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type TransferListItem, Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * Starts the worker thread whose entry is the module `name` beside `base` (the caller's
 * `import.meta.url`), with the caller's own extension: `.js` when built, `.ts` when run from
 * source. From source (`npm run dev`, the tests) the entry is TypeScript, and on Node 20 the
 * ESM loader hooks the parent registered do not reach worker threads, so the thread is started
 * through tsx's require hook instead.
 */
export function spawnThread(
  base: string,
  name: string,
  workerData?: unknown,
  options: WorkerOptions = {},
): Worker {
  const ext = extname(fileURLToPath(base));
  const entry = new URL(`./${name}${ext}`, base);
  if (ext !== '.ts') return new Worker(entry, { ...options, workerData });
  const boot = `require('tsx/cjs/api').register(); require(${JSON.stringify(fileURLToPath(entry))});`;
  return new Worker(boot, { ...options, eval: true, workerData });
}

/** Every answer names the request it answers. */
export interface Answer {
  id: number;
}

interface Pending<T> {
  resolve: (value: T) => void;
  reject: (err: Error) => void;
}

/**
 * Requests to a worker thread and their answers, matched by id. The thread is started on the
 * first request (and again after one dies); idle, it does not keep the process alive. A thread
 * that dies fails the requests it had not answered with `lostError`.
 */
export class ThreadRequests<A extends Answer, T> {
  private worker: Worker | undefined;
  private readonly pending = new Map<number, Pending<T>>();
  private nextId = 1;
  private closing = false;

  constructor(
    private readonly spawn: () => Worker,
    /** What an answer resolves to, or the error it rejects with. */
    private readonly settle: (answer: A) => T | Error,
    private readonly lostError: (why: string) => Error,
  ) {}

  /** Sends the message `build` makes for the request's id, with the buffers to hand over. */
  request(build: (id: number) => unknown, transfer: TransferListItem[] = []): Promise<T> {
    const worker = this.worker ?? this.start();
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.ref();
      worker.postMessage(build(id), transfer);
    });
  }

  /** Sends `message`, after which the thread finishes its queue and exits; waits for the exit. */
  async close(message: unknown): Promise<void> {
    const worker = this.worker;
    if (!worker) return;
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    this.closing = true;
    worker.ref();
    worker.postMessage(message);
    await exited;
  }

  private start(): Worker {
    const worker = this.spawn();
    this.closing = false;
    worker.on('message', (answer: A) => {
      const settled = this.settle(answer);
      const p = this.pending.get(answer.id);
      if (!p) return;
      this.pending.delete(answer.id);
      if (settled instanceof Error) p.reject(settled);
      else p.resolve(settled);
      // Idle, the thread must not keep the process alive; closing, it must until it exits.
      if (this.pending.size === 0 && !this.closing) worker.unref();
    });
    const lost = (why: string) => {
      if (this.worker === worker) this.worker = undefined;
      const err = this.lostError(why);
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
    worker.on('error', (err) => lost(err.message));
    worker.on('exit', (code) => lost(`exit ${code}`));
    worker.unref();
    this.worker = worker;
    return worker;
  }
}
