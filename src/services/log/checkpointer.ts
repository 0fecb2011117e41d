import { appendLeaves, type Edge, edgeRoot, edgeTiles } from '../../core/log/append.js';
import { checkpointText, originOf } from '../../core/log/checkpoint.js';
import { HASH_BYTES, leafHash } from '../../core/log/merkle.js';
import { type Signer, signNote } from '../../core/log/note.js';
import { tileKey } from '../../core/log/tiles.js';
import type { LogExtension, LogStore, StoredCheckpoint } from '../../store/types.js';
import type { IntegrityFailure } from './integrity.js';

export interface CheckpointerDeps {
  log: LogStore;
  signer: Signer;
  clock: () => number;
  /** Called when the stored log no longer agrees with itself; nothing is signed then. */
  onFailure(failure: IntegrityFailure): Promise<void>;
}

/** Leaves read and hashed per store call at most: tenants far behind are caught up in steps. */
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

  /**
   * One round over the tenants that are behind; how many checkpoints it signed. Each step
   * signs the next checkpoint of every tenant still behind, up to BATCH leaves in all, and
   * records them in one store call (one transaction), so a round waits for the database once,
   * not once per tenant; tenants further behind take steps more.
   */
  async round(tenantsPerRound = 100): Promise<number> {
    let signed = 0;
    let behind: { tenant: string; lastSeq: number }[] = await this.deps.log.behind(tenantsPerRound);
    while (behind.length > 0) {
      const steps: { extension: LogExtension; upTo: number }[] = [];
      const later: typeof behind = [];
      let budget = BATCH;
      for (const b of behind) {
        if (budget <= 0) {
          later.push(b);
          continue;
        }
        const extension = await this.next(b.tenant, b.lastSeq, budget);
        if (!extension) continue;
        budget -= extension.checkpoint.size - extension.from;
        steps.push({ extension, upTo: b.lastSeq });
      }
      const outcomes = steps.length > 0 ? await this.deps.log.extend(steps.map((s) => s.extension)) : [];
      behind = later;
      steps.forEach(({ extension: { tenant, checkpoint }, upTo }, i) => {
        if (outcomes[i] !== 'extended') return;
        signed++;
        if (checkpoint.size < upTo) behind.push({ tenant, lastSeq: upTo });
      });
    }
    return signed;
  }

  /**
   * Extends the tenant's log by up to BATCH leaves towards `upTo` and signs the checkpoint;
   * null when there was nothing to do, another node went first, or the log failed a check.
   */
  async extend(tenant: string, upTo: number): Promise<StoredCheckpoint | null> {
    const extension = await this.next(tenant, upTo, BATCH);
    if (!extension) return null;
    const [outcome] = await this.deps.log.extend([extension]);
    return outcome === 'extended' ? extension.checkpoint : null;
  }

  /**
   * The tenant's next checkpoint, up to `most` leaves towards `upTo`, signed, with the tiles it
   * changes; null when there is nothing to do or the log failed a check.
   */
  private async next(tenant: string, upTo: number, most: number): Promise<LogExtension | null> {
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
    const to = Math.min(upTo, from + most);
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
    return { tenant, from, tiles: next.writes, checkpoint };
  }
}
