import { type ErrorCode, TrailkeepError } from '../../core/errors.js';
import type { AppendResult } from '../../core/event/idempotency.js';
import type { ExtendOutcome, LogExtension } from '../log.js';
import type { AppendGroup } from '../types.js';
import type { StreamWriteOp } from './stream-writes.js';

/** Messages between the store (writer.ts) and its writer thread (writer-thread.ts). */
export interface AppendRequest {
  type: 'append';
  id: number;
  groups: AppendGroup[];
  receivedAt: number;
  createTenants: boolean;
}

/** LogStore.extend: a checkpoint round's extensions, each recorded if it still extends its tenant's latest. */
export interface ExtendRequest {
  type: 'extend';
  id: number;
  /** Their tiles' hashes arrive as Uint8Array (structured clone keeps no Buffer), which SQLite binds alike. */
  extensions: LogExtension[];
}

/** One of the streams' writes (stream-writes.ts), by name, with its arguments. */
export interface StreamRequest {
  type: 'streams';
  id: number;
  op: StreamWriteOp;
  args: unknown[];
}

/** What the thread commits: each request in its own savepoint of one group commit. */
export type WriterRequest = AppendRequest | ExtendRequest | StreamRequest;

export type WriterMessage = WriterRequest | { type: 'close' };

/** An error as it crosses the thread boundary: structured clone keeps no class. */
export interface WireError {
  message: string;
  trailkeep?: { code: ErrorCode; details?: TrailkeepError['details'] };
  /** SQLite's result code (`SQLITE_BUSY`, …) for driver errors. */
  code?: string;
}

export type WriterResponse =
  | { id: number; results: AppendResult[][] }
  | { id: number; outcomes: ExtendOutcome[] }
  | { id: number; value: unknown }
  | { id: number; error: WireError };

export function toWire(err: unknown): WireError {
  if (err instanceof TrailkeepError) {
    return {
      message: err.message,
      trailkeep: { code: err.code, ...(err.details === undefined ? {} : { details: err.details }) },
    };
  }
  const e = err instanceof Error ? err : new Error(String(err));
  const code = (e as { code?: unknown }).code;
  return { message: e.message, ...(typeof code === 'string' ? { code } : {}) };
}

export function fromWire(w: WireError): Error {
  if (w.trailkeep) return new TrailkeepError(w.trailkeep.code, w.message, w.trailkeep.details);
  return Object.assign(new Error(w.message), w.code === undefined ? {} : { code: w.code });
}
