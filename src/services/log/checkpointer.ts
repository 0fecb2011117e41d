import { appendLeaves, type Edge, edgeRoot, edgeTiles } from '../../core/log/append.js';
import { checkpointText, originOf } from '../../core/log/checkpoint.js';
import { HASH_BYTES, leafHash } from '../../core/log/merkle.js';
import { type Signer, signNote } from '../../core/log/note.js';
import { tileKey } from '../../core/log/tiles.js';
import type { LogStore, StoredCheckpoint } from '../../store/types.js';
import type { IntegrityFailure } from './integrity.js';

export interface CheckpointerDeps {
  log: LogStore;
  signer: Signer;
  clock: () => number;
  /** Called when the stored log no longer agrees with itself; nothing is signed then. */
  onFailure(failure: IntegrityFailure): Promise<void>;
}

/** Leaves read and hashed per checkpoint at most: a tenant far behind is caught up in steps. */
const BATCH = 100_000;

/** The hashes of an event hash's 32 bytes; null when the stored text is not 64 hex digits. */
const entryOf = (hash: string): Buffer | null =>
  /^[0-9a-f]{64}$/.test(hash) ? Buffer.from(hash, 'hex') : null;

/** The edge of a tenant's tree at `size`, read from its stored tiles (a wider tile is cut back). */
export async function readEdge(log: LogStore, tenant: string, size: number): Promise<Edge> {
  const ids = edgeTiles(size);
  const stored = await log.tiles(tenant, ids);
  return {
    size,
    tiles: ids.map((t) =>
      (stored.get(tileKey(t.level, t.index)) ?? Buffer.alloc(0)).subarray(0, t.width * HASH_BYTES),
    ),
  };
}

/**
 * Signs checkpoints: each tenant whose events are ahead of its log gets the new events' hashes
 * appended and a new checkpoint signed. Every committed event is read from the store, so the
 * next checkpoint covers everything acknowledged before it ran, whichever node wrote it.
 */
export class Checkpointer {
  constructor(private readonly deps: CheckpointerDeps) {}

  /** One round over the tenants that are behind; how many checkpoints it signed. */
  async round(tenantsPerRound = 100): Promise<number> {
    let signed = 0;
    for (const { tenant, lastSeq } of await this.deps.log.behind(tenantsPerRound)) {
      while ((await this.extend(tenant, lastSeq)) !== null) signed++;
    }
    return signed;
  }

  /**
   * Extends the tenant's log by up to BATCH leaves towards `upTo` and signs the checkpoint;
   * null when there was nothing to do, another node went first, or the log failed a check.
   */
  async extend(tenant: string, upTo: number): Promise<StoredCheckpoint | null> {
    const { log, signer, clock, onFailure } = this.deps;
    const latest = await log.latest(tenant);
    const from = latest?.size ?? 0;
    if (upTo <= from) return null;
    const edge = await readEdge(log, tenant, from);
    // The tiles must still give the signed root: appending to altered tiles would sign them.
    if (latest && !edgeRoot(edge).equals(latest.root)) {
      await onFailure({
        tenant,
        what: `the stored tiles no longer give the root signed at size ${from}`,
      });
      return null;
    }
    const to = Math.min(upTo, from + BATCH);
    const rows = await log.leaves(tenant, from + 1, to);
    const leaves: Buffer[] = [];
    for (let seq = from + 1; seq <= to; seq++) {
      const row = rows[seq - from - 1];
      const entry = row?.seq === seq ? entryOf(row.hash) : null;
      if (!entry) {
        const what =
          row?.seq === seq ? `event ${seq} has no valid hash` : `event ${seq} is missing from the store`;
        await onFailure({ tenant, seq, what });
        return null;
      }
      leaves.push(leafHash(entry));
    }
    const next = appendLeaves(edge, leaves);
    const text = checkpointText({ origin: originOf(signer.name, tenant), size: to, root: next.root });
    const checkpoint = { size: to, root: next.root, note: signNote(text, signer), created_at: clock() };
    return (await log.extend(tenant, from, next.writes, checkpoint)) === 'extended' ? checkpoint : null;
  }
}
