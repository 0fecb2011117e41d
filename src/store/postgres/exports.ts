import { Readable, Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import type { ExportFileRef, ExportFiles } from '../exports.js';
import type { Db } from './db.js';

/**
 * Bytes per stored chunk: large enough that per-row overhead is negligible, small enough that
 * a writer and a reader each hold about one in memory, whatever the file's size.
 */
export const CHUNK_BYTES = 1024 * 1024;

const KEY = 'tenant = $1 AND job_id = $2 AND attempt = $3';
const INSERT_CHUNK =
  'INSERT INTO export_chunks (tenant, job_id, attempt, n, data) VALUES ($1, $2, $3, $4, $5)';
const PUBLISH = `INSERT INTO export_files (tenant, job_id, attempt, size, chunks, committed_at)
  VALUES ($1, $2, $3, $4, $5, now())`;
// One statement, so the file disappears as a whole: the marker and its chunks go together.
const REMOVE_ATTEMPT = `WITH f AS (DELETE FROM export_files WHERE ${KEY})
  DELETE FROM export_chunks WHERE ${KEY}`;
const REMOVE_JOB = `WITH f AS (DELETE FROM export_files WHERE tenant = $1 AND job_id = $2 AND attempt <= $3)
  DELETE FROM export_chunks WHERE tenant = $1 AND job_id = $2 AND attempt <= $3`;

const keyOf = (ref: ExportFileRef) => [ref.tenant, ref.jobId, ref.attempt];

/**
 * Export files kept in the database, so every node on it can serve every export and nothing
 * else needs sharing. An attempt's bytes are stored as ~1 MiB rows of `export_chunks` while the
 * export runs (each insert its own short statement: no long transaction, no connection held);
 * commit publishes the attempt with one `export_files` row carrying its size, so until then
 * open() sees nothing, and an aborted or abandoned attempt leaves only rows that abort, a
 * discard or the job's expiry sweep delete. Downloads read one chunk per query as the client
 * consumes them.
 */
export function pgExportFiles(db: Db): ExportFiles {
  return {
    async create(ref) {
      const key = keyOf(ref);
      // No clearing of the key first: attempt numbers are never reused, and chunks left under
      // this key (abort failed) make the first insert conflict rather than mix into the file.
      let parts: Buffer[] = [];
      let buffered = 0;
      let chunks = 0;
      let size = 0;
      /** The insert in progress, which abort() waits for before deleting. */
      let inflight: Promise<void> = Promise.resolve();
      /**
       * The first failed insert. It is kept for commit() rather than failing the stream: the
       * export writer waits for 'drain' between reads and would never see an error emitted
       * then, and nothing written after a failure can be published anyway.
       */
      let failure: unknown;

      const take = (bytes: number): Buffer => {
        const all = parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts, buffered);
        const rest = all.subarray(bytes);
        parts = rest.length > 0 ? [rest] : [];
        buffered = rest.length;
        return all.subarray(0, bytes);
      };
      const store = async (data: Buffer) => {
        await db.query(INSERT_CHUNK, [...key, chunks, data]);
        chunks += 1;
        size += data.length;
      };
      // The callback waits for the insert: the stream's buffer fills and write() returns false,
      // so a fast producer waits for the database instead of piling bytes up in memory.
      const flush = (all: boolean, done: (err?: Error | null) => void) => {
        inflight = (async () => {
          if (failure !== undefined) return;
          try {
            while (buffered >= CHUNK_BYTES) await store(take(CHUNK_BYTES));
            if (all && buffered > 0) await store(take(buffered));
          } catch (err) {
            failure = err;
            parts = [];
            buffered = 0;
          }
        })();
        inflight.then(() => done());
      };

      const stream = new Writable({
        write(chunk: Buffer, _encoding, done) {
          if (failure === undefined) {
            parts.push(chunk);
            buffered += chunk.length;
          }
          if (buffered < CHUNK_BYTES) done();
          else flush(false, done);
        },
        final(done) {
          flush(true, done);
        },
      });

      return {
        stream,
        async commit() {
          stream.end();
          await finished(stream);
          if (failure !== undefined) throw failure;
          await db.query(PUBLISH, [...key, size, chunks]);
        },
        async abort() {
          stream.destroy();
          await inflight;
          await db.query(REMOVE_ATTEMPT, key);
        },
      };
    },

    async open(ref) {
      const key = keyOf(ref);
      const rows = await db.query<{ size: number; chunks: number }>(
        `SELECT size, chunks FROM export_files WHERE ${KEY}`,
        key,
      );
      const file = rows[0];
      if (!file) return null;
      const { chunks } = file;
      async function* read() {
        for (let n = 0; n < chunks; n++) {
          const found = await db.query<{ data: Buffer }>(
            `SELECT data FROM export_chunks WHERE ${KEY} AND n = $4`,
            [...key, n],
          );
          // Only an expiry sweep deletes a published file; a download caught by it stops short.
          if (!found[0]) throw new Error(`Export ${ref.jobId} was removed while it was being read.`);
          yield found[0].data;
        }
      }
      // Byte mode: the stream reads ahead only while less than its 16 KiB high-water mark is
      // buffered, so one chunk at a time sits in memory.
      return { size: file.size, stream: Readable.from(read(), { objectMode: false }) };
    },

    async removeAttempt(ref) {
      await db.query(REMOVE_ATTEMPT, keyOf(ref));
    },

    async remove(ref, attempts) {
      await db.query(REMOVE_JOB, [ref.tenant, ref.jobId, attempts]);
    },
  };
}
