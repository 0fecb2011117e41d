import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { TrailkeepError } from '../../core/errors.js';
import type { AppendResult } from '../../core/event/idempotency.js';
import type { AppendGroup } from '../types.js';
import { type AppendResponse, fromWire, type WriterMessage } from './writer-protocol.js';

/** `.js` when built, `.ts` when run from source. */
const OWN_EXTENSION = extname(fileURLToPath(import.meta.url));

/**
 * The thread's entry, beside this file. Run from source (`npm run dev`, the tests) it is
 * TypeScript, and on Node 20 the ESM loader hooks the parent registered do not reach worker
 * threads, so the thread is started through tsx's require hook instead.
 */
function spawnThread(workerData: unknown): Worker {
  const entry = new URL(`./writer-thread${OWN_EXTENSION}`, import.meta.url);
  if (OWN_EXTENSION !== '.ts') return new Worker(entry, { workerData });
  const boot = `require('tsx/cjs/api').register(); require(${JSON.stringify(fileURLToPath(entry))});`;
  return new Worker(boot, { eval: true, workerData });
}

interface Pending {
  resolve: (results: AppendResult[][]) => void;
  reject: (err: Error) => void;
}

/**
 * Appends events on a worker thread that owns the database's event-writing connection
 * (writer-thread.ts), so the server's event loop keeps parsing, validating and answering
 * while SQLite writes, and concurrent requests share one commit (group commit). Reads stay
 * on the caller's connection: WAL lets them run beside the writer, and a request's events are
 * visible to them once its promise resolves (it resolves after the commit).
 */
export class EventWriter {
  private worker: Worker | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closing = false;

  constructor(private readonly path: string) {}

  append(groups: AppendGroup[], receivedAt: number, createTenants: boolean): Promise<AppendResult[][]> {
    const worker = this.worker ?? this.start();
    const id = this.nextId++;
    return new Promise<AppendResult[][]>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.ref();
      worker.postMessage({ type: 'append', id, groups, receivedAt, createTenants } satisfies WriterMessage);
    });
  }

  /** Lets queued appends commit, then stops the thread. */
  async close(): Promise<void> {
    const worker = this.worker;
    if (!worker) return;
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    this.closing = true;
    worker.ref();
    worker.postMessage({ type: 'close' } satisfies WriterMessage);
    await exited;
  }

  private start(): Worker {
    const worker = spawnThread({ path: this.path });
    this.closing = false;
    worker.on('message', (r: AppendResponse) => {
      const p = this.pending.get(r.id);
      if (!p) return;
      this.pending.delete(r.id);
      if ('results' in r) p.resolve(r.results);
      else p.reject(fromWire(r.error));
      // Idle, the thread must not keep the process alive; closing, it must until it exits.
      if (this.pending.size === 0 && !this.closing) worker.unref();
    });
    // A thread that dies takes no acknowledged event with it: whatever it had not answered
    // was not committed. Those requests fail; the next append starts a new thread.
    const lost = (why: string) => {
      if (this.worker === worker) this.worker = undefined;
      const err = new TrailkeepError('unavailable', `The event writer stopped (${why}); retry the request.`);
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
