/**
 * The SQLite writer thread (see writer.ts). It owns the database's only writing connection for
 * events, the log and streams, and commits everything queued since its last commit as one transaction
 * (group commit), each request inside its own savepoint so that one request's failure leaves
 * the others intact. A request is answered only after the commit that holds it.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { appender } from './append.js';
import { openDb } from './db.js';
import { extender } from './log.js';
import { type StreamWriteOp, streamWrites } from './stream-writes.js';
import { toWire, type WriterMessage, type WriterRequest, type WriterResponse } from './writer-protocol.js';

const port = parentPort;
if (!port) throw new Error('writer-thread.ts runs as a worker thread');

const db = openDb((workerData as { path: string }).path);
const append = db.transaction(appender(db));
const extend = db.transaction(extender(db));
const streams = streamWrites(db);
/** A stream write by name; its arguments crossed the thread as they were given. */
const streamWrite = (op: StreamWriteOp, args: unknown[]): unknown =>
  (streams[op] as (...a: unknown[]) => unknown)(...args);
const group = db.transaction((requests: WriterRequest[]): WriterResponse[] =>
  requests.map((r) => {
    try {
      if (r.type === 'append') return { id: r.id, results: append(r.groups, r.receivedAt, r.createTenants) };
      if (r.type === 'extend') return { id: r.id, outcomes: extend(r.extensions) };
      // Its own savepoint, like the others: a failed stream write leaves the group's appends intact.
      return { id: r.id, value: db.transaction(() => streamWrite(r.op, r.args))() };
    } catch (err) {
      return { id: r.id, error: toWire(err) };
    }
  }),
);

let queue: WriterRequest[] = [];
let scheduled = false;

function flush(): void {
  scheduled = false;
  if (queue.length === 0 || !db.open) return;
  const requests = queue;
  queue = [];
  let responses: WriterResponse[];
  try {
    // IMMEDIATE: the write lock is held from the first statement, so a checkpoint's size check
    // and its writes are one step even against another server on the same file.
    responses = group.immediate(requests);
  } catch (err) {
    // The commit itself failed: nothing of the group is stored, every request hears so.
    const error = toWire(err);
    responses = requests.map((r) => ({ id: r.id, error }));
  }
  for (const r of responses) port?.postMessage(r);
}

port.on('message', (m: WriterMessage) => {
  if (m.type === 'close') {
    flush();
    db.close();
    port.close();
    return;
  }
  queue.push(m);
  if (!scheduled) {
    scheduled = true;
    setImmediate(flush);
  }
});
