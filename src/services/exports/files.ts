import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { mkdir, open, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import type { ExportFormat } from './writer.js';

/**
 * One export file. Each attempt at a job writes its own file, so a worker that lost its lease
 * (and does not know it yet) can never write into, or rename over, the file of the worker
 * that took the job over.
 */
export interface ExportFileRef {
  tenant: string;
  jobId: string;
  attempt: number;
  format: ExportFormat;
}

export interface ExportFileWriter {
  readonly stream: Writable;
  /** Ends the stream, makes the file durable and publishes it under its final name. */
  commit(): Promise<void>;
  /** Stops writing and deletes the partial file. */
  abort(): Promise<void>;
}

export interface ExportDownload {
  stream: Readable;
  size: number;
}

/**
 * Where export files are kept. The embedded engine uses a local directory; a multi-node
 * deployment swaps in shared storage behind the same four calls.
 */
export interface ExportFiles {
  create(ref: ExportFileRef): Promise<ExportFileWriter>;
  /** A finished file to stream, or null when there is none. */
  open(ref: ExportFileRef): Promise<ExportDownload | null>;
  /** Deletes one attempt's file, finished or partial. */
  removeAttempt(ref: ExportFileRef): Promise<void>;
  /** Deletes every file of a job: each attempt up to `attempts`, finished or partial. */
  remove(ref: Omit<ExportFileRef, 'attempt'>, attempts: number): Promise<void>;
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

/** Files under `<dir>/<tenant>/<jobId>.<attempt>.<ext>`, written as `….part` then renamed. */
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
