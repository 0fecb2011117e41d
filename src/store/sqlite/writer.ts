import { TrailkeepError } from '../../core/errors.js';
import type { AppendResult } from '../../core/event/idempotency.js';
import { spawnThread, ThreadRequests } from '../../runtime/thread.js';
import type { LogStore } from '../log.js';
import type { AppendGroup } from '../types.js';
import type { StreamWrite } from './stream-writes.js';
import { fromWire, type WriterMessage, type WriterResponse } from './writer-protocol.js';

type Answered = Exclude<WriterResponse, { error: unknown }>;

/**
 * Writes on a worker thread that owns the database's writing connection (writer-thread.ts):
 * event appends, the log's checkpoints and the streams' bookkeeping. The server's event loop keeps parsing, validating
 * and answering while SQLite writes, concurrent requests share one commit (group commit), and
 * the log's writes queue between appends rather than waiting for SQLite's write lock on the
 * event loop. Reads stay on the caller's connection: WAL lets them run beside the writer, and
 * a request's writes are visible to them once its promise resolves (it resolves after the
 * commit).
 */
export class StoreWriter {
  // A thread that dies takes no acknowledged write with it: whatever it had not answered was
  // not committed. Those requests fail; the next one starts a new thread.
  private readonly thread = new ThreadRequests<WriterResponse, Answered>(
    () => spawnThread(import.meta.url, 'writer-thread', { path: this.path }),
    (r) => ('error' in r ? fromWire(r.error) : r),
    (why) => new TrailkeepError('unavailable', `The database writer stopped (${why}); retry the request.`),
  );

  constructor(private readonly path: string) {}

  async append(groups: AppendGroup[], receivedAt: number, createTenants: boolean): Promise<AppendResult[][]> {
    const answer = await this.thread.request(
      (id) => ({ type: 'append', id, groups, receivedAt, createTenants }) satisfies WriterMessage,
    );
    if (!('results' in answer)) throw new Error('the writer answered an append with no results');
    return answer.results;
  }

  /** LogStore.extend, committed with the appends queued beside it. */
  readonly extend: LogStore['extend'] = async (extensions) => {
    const answer = await this.thread.request(
      (id) => ({ type: 'extend', id, extensions }) satisfies WriterMessage,
    );
    if (!('outcomes' in answer)) throw new Error('the writer answered an extend with no outcomes');
    return answer.outcomes;
  };

  /** A stream write (stream-writes.ts), committed with the appends queued beside it. */
  readonly streams: StreamWrite = async (op, ...args) => {
    const answer = await this.thread.request(
      (id) => ({ type: 'streams', id, op, args }) satisfies WriterMessage,
    );
    if (!('value' in answer)) throw new Error('the writer answered a stream write with no value');
    return answer.value as never;
  };

  /** Lets queued writes commit, then stops the thread. */
  close(): Promise<void> {
    return this.thread.close({ type: 'close' } satisfies WriterMessage);
  }
}
