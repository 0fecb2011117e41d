import { setImmediate as yieldLoop } from 'node:timers/promises';
import { contentHash } from '../../core/event/seal.js';
import { appendLeaves, type Edge, EMPTY_EDGE, edgeRoot } from '../../core/log/append.js';
import { openCheckpoint } from '../../core/log/checkpoint.js';
import { leafHash, rootHash } from '../../core/log/merkle.js';
import type { Verifier } from '../../core/log/note.js';
import { hashAt, TILE_WIDTH, tileKey, tileNodes, tilesNeeded } from '../../core/log/tiles.js';
import type { LogStore, StoredCheckpoint } from '../../store/types.js';
import type { IntegrityFailure } from './integrity.js';

export interface SelfCheckDeps {
  log: LogStore;
  verifier: Verifier;
  /** Every tenant, to check the log of each. */
  tenants(): Promise<string[]>;
  onFailure(failure: IntegrityFailure): Promise<void>;
}

/** Events read and rehashed per step; the event loop gets a turn between steps. */
const CHUNK = 4_096;

/**
 * The server re-verifying its own log, against each tenant's latest signed checkpoint: the note
 * is signed by the log's key and says what the row says; the stored tiles give its root; and
 * the root rebuilt from the stored events, each rehashed from its content, is that root too.
 * An edited, removed, reordered or inserted event, or an edited tile, fails one of these.
 */
export class SelfCheck {
  constructor(private readonly deps: SelfCheckDeps) {}

  /** One pass over every tenant; how many failed. */
  async pass(): Promise<number> {
    let failed = 0;
    for (const tenant of await this.deps.tenants()) {
      if (!(await this.check(tenant))) failed++;
    }
    return failed;
  }

  /** Checks one tenant's log; false (after reporting it) when it fails. */
  async check(tenant: string): Promise<boolean> {
    const { log, onFailure } = this.deps;
    const checkpoint = await log.latest(tenant);
    if (!checkpoint) return true;
    const failure =
      this.signatureFailure(tenant, checkpoint) ??
      (await this.tilesFailure(tenant, checkpoint)) ??
      (await this.eventsFailure(tenant, checkpoint));
    if (failure) await onFailure({ tenant, ...failure });
    return failure === null;
  }

  private signatureFailure(tenant: string, cp: StoredCheckpoint): Omit<IntegrityFailure, 'tenant'> | null {
    const signed = openCheckpoint(cp.note, this.deps.verifier, tenant);
    const agrees = signed?.size === cp.size && signed.root.equals(cp.root);
    return agrees
      ? null
      : { what: `the checkpoint of size ${cp.size} is not signed by the log's key as stored` };
  }

  private async tilesFailure(
    tenant: string,
    cp: StoredCheckpoint,
  ): Promise<Omit<IntegrityFailure, 'tenant'> | null> {
    const compute = (node: Parameters<typeof rootHash>[1]) => rootHash(cp.size, node);
    const tiles = await this.deps.log.tiles(tenant, tilesNeeded(compute));
    let root: Buffer | null = null;
    try {
      root = compute(tileNodes(tiles));
    } catch {
      // A tile the root needs is gone or cut short.
    }
    return root?.equals(cp.root)
      ? null
      : { what: `the stored tiles no longer give the root signed at size ${cp.size}` };
  }

  private async eventsFailure(
    tenant: string,
    cp: StoredCheckpoint,
  ): Promise<Omit<IntegrityFailure, 'tenant'> | null> {
    const { log } = this.deps;
    let edge: Edge = EMPTY_EDGE;
    for (let from = 1; from <= cp.size; from += CHUNK) {
      const to = Math.min(cp.size, from + CHUNK - 1);
      const rows = await log.sealed(tenant, from, to);
      const leaves: Buffer[] = [];
      let expected = from;
      for (const row of rows) {
        if (row.seq !== expected) {
          return row.seq < expected
            ? { seq: row.seq, what: `event ${row.seq} is stored more than once` }
            : { seq: expected, what: `event ${expected} is missing from the store` };
        }
        let hash: string;
        try {
          hash = contentHash(JSON.parse(row.body) as Record<string, unknown>);
        } catch {
          return { seq: row.seq, what: `event ${row.seq} is no longer valid JSON` };
        }
        leaves.push(leafHash(Buffer.from(hash, 'hex')));
        expected++;
      }
      if (expected <= to) return { seq: expected, what: `event ${expected} is missing from the store` };
      const altered = await this.firstAltered(tenant, from, leaves);
      if (altered !== null)
        return { seq: altered, what: `event ${altered} no longer matches its leaf in the log` };
      edge = appendLeaves(edge, leaves).edge;
      await yieldLoop();
    }
    return edgeRoot(edge).equals(cp.root)
      ? null
      : { what: `the stored events no longer give the root signed at size ${cp.size}` };
  }

  /** The first seq from `from` whose recomputed leaf differs from the stored level-0 tile; null if none. */
  private async firstAltered(tenant: string, from: number, leaves: Buffer[]): Promise<number | null> {
    const first = Math.floor((from - 1) / TILE_WIDTH);
    const last = Math.floor((from - 1 + leaves.length - 1) / TILE_WIDTH);
    const ids = Array.from({ length: last - first + 1 }, (_, i) => ({ level: 0, index: first + i }));
    const tiles = await this.deps.log.tiles(tenant, ids);
    for (let i = 0; i < leaves.length; i++) {
      const index = from - 1 + i;
      const tile = tiles.get(tileKey(0, Math.floor(index / TILE_WIDTH)));
      const stored =
        tile && tile.length >= ((index % TILE_WIDTH) + 1) * 32 ? hashAt(tile, index % TILE_WIDTH) : null;
      if (!stored?.equals(leaves[i] as Buffer)) return index + 1;
    }
    return null;
  }
}
