import type { Db } from './db.js';

/**
 * Events by block of rowids (2^BLOCK_BITS each): the earliest and latest occurred_at stored in
 * each block (`event_blocks`, migration 4). Rowids follow arrival and events never leave, so a
 * block's bounds only widen. Across every tenant: a bound, not a count.
 */
export const BLOCK_BITS = 12;

export interface Block {
  block: number;
  lo: number;
  hi: number;
}

/** Widens the blocks' bounds to take in events appended in one transaction. */
export function blockRecorder(db: Db) {
  const widen = db.prepare(
    `INSERT INTO event_blocks (block, min_at, max_at) VALUES (?, ?, ?)
     ON CONFLICT (block) DO UPDATE SET min_at = min(min_at, excluded.min_at), max_at = max(max_at, excluded.max_at)`,
  );
  return () => {
    const seen = new Map<number, [number, number]>();
    return {
      /** One event, by its rowid and time. */
      add(rowid: number, at: number): void {
        const block = rowid >> BLOCK_BITS;
        const b = seen.get(block);
        if (!b) seen.set(block, [at, at]);
        else {
          if (at < b[0]) b[0] = at;
          if (at > b[1]) b[1] = at;
        }
      },
      /** Writes the widened bounds: one statement per block touched. */
      flush(): void {
        for (const [block, [lo, hi]] of seen) widen.run(block, lo, hi);
      },
    };
  };
}
