import type { FileHandle } from 'node:fs/promises';
import { mkdir, open, rename, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { chunkWriter } from '../chunk-writer.js';
import type { ExportFileRef, ExportFiles } from '../exports.js';

/**
 * The default export directory of a SQLite database: `exports` beside its file. An in-memory
 * database has no folder; its exports go where the default database would.
 */
export function defaultExportDir(dbPath: string): string {
  return join(dbPath === ':memory:' ? 'data' : dirname(dbPath), 'exports');
}

/**
 * Bytes per write and per read. Writing: one chunk is written by the thread pool while the
 * export renders into the other (chunk-writer.ts). Reading: a download moves in reads of this
 * size rather than 64 KiB ones, with far fewer trips through the event loop. Memory stays at
 * two chunks per export being written and about one per download.
 */
const CHUNK_BYTES = 1024 * 1024;

const isMissing = (err: unknown) => (err as NodeJS.ErrnoException).code === 'ENOENT';

async function unlinkIfPresent(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (err) {
    if (!isMissing(err)) throw err;
  }
}

async function writeAll(file: FileHandle, data: Buffer): Promise<void> {
  for (let at = 0; at < data.length; ) {
    at += (await file.write(data, at, data.length - at)).bytesWritten;
  }
}

/** Makes a rename durable: the directory entry must reach the disk too. */
async function syncDir(dir: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch {
    // Some platforms (Windows) cannot open or fsync a directory; the file itself is synced.
  } finally {
    await handle?.close();
  }
}

/**
 * The embedded engine's export storage: files under `<dir>/<tenant>/<jobId>.<attempt>.<ext>`,
 * written as `….part`, fsynced, then renamed. Only nodes that share `dir` (one machine, or a
 * shared file system) can serve each other's exports, which is all a SQLite file allows anyway.
 */
export function localExportFiles(dir: string): ExportFiles {
  const folder = (tenant: string) => join(dir, tenant);
  const finalPath = (r: Omit<ExportFileRef, 'attempt'>, attempt: number) =>
    join(folder(r.tenant), `${r.jobId}.${attempt}.${r.format}`);

  return {
    async create(ref) {
      await mkdir(folder(ref.tenant), { recursive: true });
      const target = finalPath(ref, ref.attempt);
      const part = `${target}.part`;
      const file = await open(part, 'w');
      let size = 0;
      const out = chunkWriter(CHUNK_BYTES, async (data) => {
        await writeAll(file, data);
        size += data.length;
      });
      return {
        stream: out.stream,
        async commit() {
          try {
            await out.end();
            // Synced before the rename, so the rename publishes a durable file.
            await file.sync();
          } finally {
            await file.close();
          }
          await rename(part, target);
          await syncDir(folder(ref.tenant));
          return size;
        },
        async abort() {
          await out.stop();
          await file.close();
          await unlinkIfPresent(part);
        },
      };
    },

    async open(ref) {
      let handle: FileHandle;
      try {
        handle = await open(finalPath(ref, ref.attempt), 'r');
      } catch (err) {
        if (isMissing(err)) return null;
        throw err;
      }
      // Reading through the open handle keeps the file readable even if a sweep unlinks it now.
      try {
        const { size } = await handle.stat();
        return { stream: handle.createReadStream({ highWaterMark: CHUNK_BYTES }), size };
      } catch (err) {
        await handle.close();
        throw err;
      }
    },

    async removeAttempt(ref) {
      const target = finalPath(ref, ref.attempt);
      await unlinkIfPresent(`${target}.part`);
      await unlinkIfPresent(target);
    },

    async remove(ref, attempts) {
      for (let attempt = 1; attempt <= attempts; attempt++) {
        await this.removeAttempt({ ...ref, attempt });
      }
    },
  };
}
