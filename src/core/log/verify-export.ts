import { verifyEvent } from '../event/seal.js';
import { parseDateTime } from '../interval.js';
import { type Checkpoint, openCheckpoint } from './checkpoint.js';
import { CompactRange } from './compact.js';
import { type ExportGap, type ExportProof, gapSubtrees, inRange } from './export-proof.js';
import { HASH_BYTES, leafHash } from './merkle.js';
import type { Verifier } from './note.js';

/** Why a file does not verify; `seq` names the first failing event when there is one. */
export class ProofFailure extends Error {
  constructor(
    message: string,
    readonly seq?: number,
  ) {
    super(message);
    this.name = 'ProofFailure';
  }
}

export interface ExportSummary {
  events: number;
  tenant: string;
  checkpoint: Checkpoint;
  /** What the file is proven to hold all of, in words; null when it proves inclusion only. */
  complete: string | null;
}

/**
 * Checks a proof-carrying export as it streams past: each event's hash from its content, the
 * lines in the export's order (oldest first: occurred_at, then seq), every leaf of the tree
 * accounted for once (an event, a witness, or a gap's subtrees), the root they give against
 * the signed checkpoint, and, when the proof names a range, that no event of it is missing.
 * Leaves are taken in seq order as soon as they can be: an event that arrives before its
 * turn (one back-dated by its sender) waits, so memory stays small for a log whose seqs
 * mostly follow time.
 */
export class ExportVerifier {
  private readonly tree = new CompactRange();
  private readonly checkpoint: Checkpoint;
  private readonly tenant: string;
  private readonly witnesses: Map<number, Record<string, unknown>>;
  /** Leaves of events that came before their turn, by seq. */
  private readonly early = new Map<number, Buffer>();
  private gap = 0;
  private witnessed = 0;
  private events = 0;
  private first = Infinity;
  private last = 0;
  private previous: { at: number; seq: number } | null = null;

  constructor(
    private readonly proof: ExportProof,
    verifier: Verifier,
  ) {
    const origin = /^[^\n]*/.exec(proof.checkpoint)?.[0] ?? '';
    const prefix = `${verifier.name}/`;
    if (!origin.startsWith(prefix))
      throw new ProofFailure(`the checkpoint is not of the log named ${verifier.name}`);
    this.tenant = origin.slice(prefix.length);
    const checkpoint = openCheckpoint(proof.checkpoint, verifier, this.tenant);
    if (!checkpoint) throw new ProofFailure(`the checkpoint is not signed by ${verifier.text}`);
    this.checkpoint = checkpoint;
    if (this.checkpoint.size !== proof.tree_size)
      throw new ProofFailure(
        `the proof is for a tree of ${proof.tree_size}, the checkpoint for ${this.checkpoint.size}`,
      );
    this.witnesses = new Map();
    for (const witness of proof.witnesses) {
      const seq = witness.seq;
      if (!Number.isSafeInteger(seq)) throw new ProofFailure('a witness has no seq');
      this.witnesses.set(seq as number, witness);
    }
  }

  /** Checks the next line's event; `line` is its number in the file, for messages. */
  event(text: string, line: number): void {
    let event: Record<string, unknown>;
    try {
      event = JSON.parse(text);
    } catch {
      throw new ProofFailure(`line ${line} is not JSON`);
    }
    const seq = event?.seq;
    if (!Number.isSafeInteger(seq) || (seq as number) < 1) throw new ProofFailure(`line ${line} has no seq`);
    const n = seq as number;
    const name = `seq ${n}${typeof event.id === 'string' ? ` (id ${event.id})` : ''}`;
    const at = typeof event.occurred_at === 'string' ? parseDateTime(event.occurred_at) : null;
    if (at === null) throw new ProofFailure(`${name} has no valid occurred_at`, n);
    const before = this.previous;
    if (before && (at < before.at || (at === before.at && n <= before.seq)))
      throw new ProofFailure(`${name} comes after seq ${before.seq}: lines are out of order`, n);
    this.previous = { at, seq: n };
    if (n > this.proof.tree_size)
      throw new ProofFailure(`${name} is beyond the checkpoint's tree of ${this.proof.tree_size}`, n);
    if (event.tenant !== this.tenant)
      throw new ProofFailure(`${name} is not an event of tenant ${this.tenant}`, n);
    if (!verifyEvent(event))
      throw new ProofFailure(`${name} was altered: its content does not give its hash`, n);
    if (this.proof.range && !inRange(this.proof.range, n, event.occurred_at))
      throw new ProofFailure(`${name} is outside the export's range`, n);
    if (n <= this.tree.size || this.early.has(n))
      throw new ProofFailure(`${name} is not among the events the proof was made for`, n);
    this.early.set(n, leafHash(Buffer.from(event.hash as string, 'hex')));
    this.first = Math.min(this.first, n);
    this.last = Math.max(this.last, n);
    this.events += 1;
    this.advance();
  }

  /** Checks what follows the last event and the root; throws ProofFailure, else sums up. */
  finish(): ExportSummary {
    this.advance();
    if (this.tree.size < this.proof.tree_size) {
      const seq = this.tree.size + 1;
      throw new ProofFailure(`seq ${seq} is missing`, seq);
    }
    if (this.early.size > 0) {
      let seq = Infinity;
      for (const s of this.early.keys()) seq = Math.min(seq, s);
      throw new ProofFailure(`seq ${seq} is not among the events the proof was made for`, seq);
    }
    if (this.gap < this.proof.gaps.length)
      throw new ProofFailure('the proof has gaps past the end of the tree');
    if (this.witnessed < this.witnesses.size)
      throw new ProofFailure('the proof has a witness for a seq that is in the file or beyond the tree');
    if (!this.tree.root().equals(this.checkpoint.root))
      throw new ProofFailure(
        "the events and the proof do not give the checkpoint's root: an event was altered with a matching hash, or the proof was",
      );
    return {
      events: this.events,
      tenant: this.tenant,
      checkpoint: this.checkpoint,
      complete: this.completeness(),
    };
  }

  /**
   * Adds to the tree every leaf that is next in seq order and at hand: an event that arrived,
   * a witness, a gap's subtrees. A gap is taken when the tree reaches it; an event that turns
   * out to lie inside one is left over and named by finish.
   */
  private advance(): void {
    while (this.tree.size < this.proof.tree_size) {
      const seq = this.tree.size + 1;
      const leaf = this.early.get(seq);
      if (leaf) {
        this.early.delete(seq);
        this.tree.push(0, leaf);
        continue;
      }
      const witness = this.witnesses.get(seq);
      if (witness !== undefined) {
        if (!verifyEvent(witness))
          throw new ProofFailure(
            `the witness of seq ${seq} was altered: its content does not give its hash`,
            seq,
          );
        if (this.proof.range && inRange(this.proof.range, seq, witness.occurred_at))
          throw new ProofFailure(`seq ${seq} is in the export's range but not in the file`, seq);
        this.tree.push(0, leafHash(Buffer.from(witness.hash as string, 'hex')));
        this.witnessed += 1;
        continue;
      }
      const gap = this.proof.gaps[this.gap];
      if (gap === undefined || gap.from_seq !== seq) return;
      if (gap.to_seq > this.proof.tree_size)
        throw new ProofFailure(`the proof's gap ${gap.from_seq}-${gap.to_seq} is beyond the tree`);
      this.pushGap(gap);
      this.gap += 1;
    }
  }

  private pushGap(gap: ExportGap): void {
    const subtrees = gapSubtrees(gap.from_seq, gap.to_seq);
    if (subtrees.length !== gap.hashes.length)
      throw new ProofFailure(
        `the proof's gap ${gap.from_seq}-${gap.to_seq} has ${gap.hashes.length} hashes, not ${subtrees.length}`,
      );
    subtrees.forEach(({ level }, i) => {
      const hash = Buffer.from(gap.hashes[i] as string, 'base64');
      if (hash.length !== HASH_BYTES)
        throw new ProofFailure(`the proof's gap ${gap.from_seq}-${gap.to_seq} has a malformed hash`);
      this.tree.push(level, hash);
    });
  }

  /**
   * Whether the range is whole. Without a time range every seq of it must be an event; with
   * one, the events must be one run of seqs whose neighbours inside the seq bounds are
   * witnesses (already shown to fall outside the range by fill).
   */
  private completeness(): string | null {
    const range = this.proof.range;
    if (!range) return null;
    const max = Math.min(range.max_seq, this.proof.tree_size);
    const timed = range.from !== undefined || range.to !== undefined;
    if (!timed) {
      this.noGapWithin(range.min_seq, max);
      return `every event of seqs ${range.min_seq}-${max}`;
    }
    if (this.events === 0) return null;
    this.noGapWithin(Math.max(range.min_seq, this.first - 1), Math.min(max, this.last + 1));
    return `every event of seqs ${this.first}-${this.last}, whose neighbours are outside ${range.from ?? '…'} – ${range.to ?? '…'}`;
  }

  private noGapWithin(lo: number, hi: number): void {
    for (const gap of this.proof.gaps) {
      if (gap.to_seq < lo || gap.from_seq > hi) continue;
      const seq = Math.max(gap.from_seq, lo);
      throw new ProofFailure(
        `seq ${seq} is in the export's range but neither in the file nor shown to be outside it`,
        seq,
      );
    }
  }
}
