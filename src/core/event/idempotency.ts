import { TrailkeepError } from '../errors.js';
import type { PreparedEvent } from './prepare.js';

/** What an append answers per event. */
export interface AppendResult {
  id: string;
  seq: number;
  hash: string;
  /** The same id and content was stored before: nothing new was written. */
  duplicate: boolean;
}

/** An event already stored under an id, as the idempotency check needs it. */
export interface StoredId {
  seq: number;
  hash: string;
  digest: string;
}

/**
 * The idempotency rule, for every engine: an id stored before with the same digest is a
 * duplicate (answered with the stored seq and hash), with another digest a `conflict` that
 * rejects the batch; repeats inside the batch collapse onto their first occurrence.
 * `fresh` lists the indexes to store, in order; the engine fills `results` for them and then
 * calls `complete()` for the repeats.
 */
export function planAppend(events: PreparedEvent[], stored: (id: string) => StoredId | undefined) {
  const results: AppendResult[] = new Array(events.length);
  const fresh: number[] = [];
  const first = new Map<string, number>();
  events.forEach((e, i) => {
    const earlier = first.get(e.id);
    const prior = earlier === undefined ? stored(e.id) : undefined;
    const digest = earlier === undefined ? prior?.digest : events[earlier]?.digest;
    if (digest !== undefined && digest !== e.digest) {
      throw new TrailkeepError('conflict', `Event id ${e.id} exists with different content.`, { id: e.id });
    }
    if (prior) results[i] = { id: e.id, seq: prior.seq, hash: prior.hash, duplicate: true };
    else if (earlier === undefined) {
      first.set(e.id, i);
      fresh.push(i);
    }
  });
  return {
    fresh,
    results,
    /** Points each in-batch repeat at the copy stored for its first occurrence. */
    complete(): AppendResult[] {
      events.forEach((e, i) => {
        if (!results[i])
          results[i] = { ...(results[first.get(e.id) as number] as AppendResult), duplicate: true };
      });
      return results;
    },
  };
}
