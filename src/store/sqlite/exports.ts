import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { mkdir, open, rename, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { finished } from 'node:stream/promises';
import type { ExportFileRef, ExportFiles } from '../exports.js';

/**
 * The default export directory of a SQLite database: `exports` beside its file. An in-memory
 * database has no folder; its exports go where the default database would.
 */
export function defaultExportDir(dbPath: string): string {
  return join(dbPath === ':memory:' ? 'data' : dirname(dbPath), 'exports');
}

const isMissing = (err: unknown) => (err as NodeJS.ErrnoException).code === 'ENOENT';

async function unlinkIfPresent(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (err) {
    if (!isMissing(err)) throw err;
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
      // flush: the data is fsynced before the file is closed, so the rename publishes a durable file.
      const stream = createWriteStream(part, { flush: true });
      await once(stream, 'open');
      return {
        stream,
        async commit() {
          stream.end();
          await finished(stream);
          await rename(part, target);
          await syncDir(folder(ref.tenant));
        },
        async abort() {
          stream.destroy();
          await finished(stream).catch(() => {
            // Destroyed on purpose, or already failed: the file is deleted either way.
          });
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
        return { stream: handle.createReadStream(), size };
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
