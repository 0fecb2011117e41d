import { Readable } from 'node:stream';
import type pg from 'pg';
import { chunkWriter } from '../chunk-writer.js';
import type { ExportFileRef, ExportFiles } from '../exports.js';
import { type CopyValues, copyBytes } from './copy-bytes.js';
import { type Db, mapError, run } from './db.js';

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
 * consumes them, one chunk ahead.
 */
export function pgExportFiles(db: Db): ExportFiles {
  return {
    async create(ref) {
      const key = keyOf(ref);
      // No clearing of the key first: attempt numbers are never reused, and chunks left under
      // this key (abort failed) make the first insert conflict rather than mix into the file.
      let chunks = 0;
      let size = 0;
      // One insert at a time, each its own short statement, while the export fills the next
      // chunk (chunk-writer.ts); when both chunks are busy the export waits for the database
      // instead of piling bytes up in memory.
      const out = chunkWriter(CHUNK_BYTES, async (data) => {
        const n = chunks;
        await db.tx(async (client) => {
          // A chunk needs no flush of its own: the publishing commit is synchronous, and
          // flushing the WAL up to it makes every chunk written before it durable too. Until
          // then an unflushed chunk that a crash loses belongs to a file nobody can see.
          await client.query('SET LOCAL synchronous_commit = off');
          await run(client, INSERT_CHUNK, [...key, n, data]);
        });
        chunks += 1;
        size += data.length;
      });
      return {
        stream: out.stream,
        async commit() {
          await out.end();
          await db.query(PUBLISH, [...key, size, chunks]);
          return size;
        },
        async abort() {
          await out.stop();
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
      const chunk = async (n: number): Promise<Buffer[]> => {
        let client: pg.PoolClient;
        try {
          client = await db.pool.connect();
        } catch (err) {
          return mapError(err);
        }
        let found: CopyValues;
        try {
          // COPY takes no parameters: the key is quoted by the driver, the numbers are integers.
          found = await copyBytes(
            client,
            `COPY (SELECT data FROM export_chunks WHERE tenant = ${client.escapeLiteral(ref.tenant)}
              AND job_id = ${client.escapeLiteral(ref.jobId)} AND attempt = ${Math.trunc(ref.attempt)}
              AND n = ${n}) TO STDOUT (FORMAT binary)`,
          );
        } catch (err) {
          // Mid-COPY the connection's state is unknown: it is discarded, not reused.
          client.release(err as Error);
          throw err;
        }
        client.release();
        // Only an expiry sweep deletes a published file; a download caught by it stops short.
        if (found.rows === 0) throw new Error(`Export ${ref.jobId} was removed while it was being read.`);
        return found.data;
      };
      const ask = (n: number) => {
        const p = chunk(n);
        // Handled at once: a read that fails while the previous chunk is being sent would
        // otherwise be an unhandled rejection; it is rethrown when awaited.
        p.catch(() => undefined);
        return p;
      };
      async function* read() {
        // One chunk read ahead: the database fetches the next while the client takes this one.
        let next = chunks > 0 ? ask(0) : null;
        for (let n = 0; next; n++) {
          const data: Buffer[] = await next;
          next = n + 1 < chunks ? ask(n + 1) : null;
          yield* data;
        }
      }
      // Byte mode: the stream reads ahead only while less than its 16 KiB high-water mark is
      // buffered, so about two chunks at a time sit in memory.
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
