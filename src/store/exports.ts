import type { Readable, Writable } from 'node:stream';

/**
 * One export file. Each attempt at a job writes its own file, so a worker that lost its lease
 * (and does not know it yet) can never write into, or publish over, the file of the worker
 * that took the job over.
 */
export interface ExportFileRef {
  tenant: string;
  jobId: string;
  attempt: number;
  /** The file's format, e.g. `csv`: an engine may use it to name the file. */
  format: string;
}

export interface ExportFileWriter {
  /** Takes the file's bytes; honours backpressure (write() returning false means wait for 'drain'). */
  readonly stream: Writable;
  /**
   * Ends the stream, makes the file durable and publishes it atomically: before, open() sees
   * nothing. Resolves to the file's size in bytes.
   */
  commit(): Promise<number>;
  /** Stops writing and deletes what was written. */
  abort(): Promise<void>;
}

export interface ExportDownload {
  stream: Readable;
  size: number;
}

/**
 * Where export files are kept, chosen by the engine (each decides where every node can reach
 * them): SQLite in a local directory, PostgreSQL in the database itself.
 */
export interface ExportFiles {
  create(ref: ExportFileRef): Promise<ExportFileWriter>;
  /** A committed file to stream, or null when there is none (never an uncommitted one). */
  open(ref: ExportFileRef): Promise<ExportDownload | null>;
  /** Deletes one attempt's file, committed or partial. */
  removeAttempt(ref: ExportFileRef): Promise<void>;
  /** Deletes every file of a job: each attempt up to `attempts`, committed or partial. */
  remove(ref: Omit<ExportFileRef, 'attempt'>, attempts: number): Promise<void>;
}
