import { TrailkeepError } from '../../core/errors.js';
import type { AppendResult } from '../../core/event/idempotency.js';
import { spawnThread, ThreadRequests } from '../../runtime/thread.js';
import type { AppendGroup } from '../types.js';
import { type AppendResponse, fromWire, type WriterMessage } from './writer-protocol.js';

/**
 * Appends events on a worker thread that owns the database's event-writing connection
 * (writer-thread.ts), so the server's event loop keeps parsing, validating and answering
 * while SQLite writes, and concurrent requests share one commit (group commit). Reads stay
 * on the caller's connection: WAL lets them run beside the writer, and a request's events are
 * visible to them once its promise resolves (it resolves after the commit).
 */
export class EventWriter {
  // A thread that dies takes no acknowledged event with it: whatever it had not answered was
  // not committed. Those requests fail; the next append starts a new thread.
  private readonly thread = new ThreadRequests<AppendResponse, AppendResult[][]>(
    () => spawnThread(import.meta.url, 'writer-thread', { path: this.path }),
    (r) => ('results' in r ? r.results : fromWire(r.error)),
    (why) => new TrailkeepError('unavailable', `The event writer stopped (${why}); retry the request.`),
  );

  constructor(private readonly path: string) {}

  append(groups: AppendGroup[], receivedAt: number, createTenants: boolean): Promise<AppendResult[][]> {
    return this.thread.request(
      (id) => ({ type: 'append', id, groups, receivedAt, createTenants }) satisfies WriterMessage,
    );
  }

  /** Lets queued appends commit, then stops the thread. */
  close(): Promise<void> {
    return this.thread.close({ type: 'close' } satisfies WriterMessage);
  }
}
