/** Messages between the CSV renderer (csv-renderer.ts) and its thread (csv-thread.ts). */
export interface CsvRequest {
  id: number;
  /** The page's NDJSON, in the first `length` bytes. */
  ndjson: ArrayBuffer;
  length: number;
  /** An answer's buffer, given back to be reused. */
  spare?: ArrayBuffer;
}
/** A page to render, or the last message: the thread exits once the pages before it are answered. */
export type CsvMessage = CsvRequest | { close: true };
/** Answers give the request's buffer back. */
export type CsvResponse =
  | { id: number; csv: ArrayBuffer; length: number; ndjson: ArrayBuffer }
  | { id: number; error: string; ndjson: ArrayBuffer };

/** A buffer from `pool` that holds `length` bytes, or a new one with some room to grow. */
export function fitting(pool: ArrayBuffer[], length: number): ArrayBuffer {
  const i = pool.findIndex((b) => b.byteLength >= length);
  if (i >= 0) return pool.splice(i, 1)[0] as ArrayBuffer;
  return new ArrayBuffer(Math.ceil(length * 1.25));
}
