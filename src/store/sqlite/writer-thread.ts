/**
 * The SQLite writer thread (see writer.ts). It owns the database's only event-writing
 * connection and commits everything queued since its last commit as one transaction (group
 * commit), each request inside its own savepoint so that one request's failure leaves the
 * others intact. A request is answered only after the commit that holds it.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { AppendResult } from '../../core/event/idempotency.js';
import { appender } from './append.js';
import { openDb } from './db.js';
import { type AppendRequest, type AppendResponse, toWire, type WriterMessage } from './writer-protocol.js';

const port = parentPort;
if (!port) throw new Error('writer-thread.ts runs as a worker thread');

const db = openDb((workerData as { path: string }).path);
const append = appender(db);
const one = db.transaction(append);
const group = db.transaction((requests: AppendRequest[]): AppendResponse[] =>
  requests.map((r) => {
    try {
      const results: AppendResult[][] = one(r.groups, r.receivedAt, r.createTenants);
      return { id: r.id, results };
    } catch (err) {
      return { id: r.id, error: toWire(err) };
    }
  }),
);

let queue: AppendRequest[] = [];
let scheduled = false;

function flush(): void {
  scheduled = false;
  if (queue.length === 0 || !db.open) return;
  const requests = queue;
  queue = [];
  let responses: AppendResponse[];
  try {
    responses = group.immediate(requests);
  } catch (err) {
    // The commit itself failed: nothing of the group is stored, every request hears so.
    const error = toWire(err);
    responses = requests.map((r) => ({ id: r.id, error }));
  }
  for (const r of responses) port?.postMessage(r);
}

port.on('message', (m: WriterMessage) => {
  if (m.type === 'append') {
    queue.push(m);
    if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
  } else {
    flush();
    db.close();
    port.close();
  }
});
