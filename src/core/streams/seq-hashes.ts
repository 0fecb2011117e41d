/** Seqs per page: a page holds their hashes as raw bytes and one presence byte each. */
const PAGE = 4096;
const HASH_BYTES = 32;
const HEX_HASH = /^[0-9a-f]{64}$/;

interface Page {
  present: Uint8Array;
  hashes: Uint8Array;
}

/**
 * The hash of each seq a receiver holds, for millions of seqs: 33 bytes a seq in pages made as
 * seqs arrive, instead of a map of strings (several times that). Seqs of one tenant are dense,
 * so pages are nearly full; a stray huge seq costs one page.
 */
export class SeqHashes {
  private readonly pages = new Map<number, Page>();
  private count = 0;

  get size(): number {
    return this.count;
  }

  /**
   * Records `hash` for `seq`: `new` the first time, `same` for a duplicate, `different` when
   * the seq was held with another hash (which is kept), `invalid` when `hash` is not 64 hex digits.
   */
  set(seq: number, hash: string): 'new' | 'same' | 'different' | 'invalid' {
    if (!HEX_HASH.test(hash)) return 'invalid';
    const index = Math.floor(seq / PAGE);
    let page = this.pages.get(index);
    if (!page) {
      page = { present: new Uint8Array(PAGE), hashes: new Uint8Array(PAGE * HASH_BYTES) };
      this.pages.set(index, page);
    }
    const slot = seq % PAGE;
    const bytes = Buffer.from(hash, 'hex');
    const held = page.hashes.subarray(slot * HASH_BYTES, (slot + 1) * HASH_BYTES);
    if (page.present[slot]) return Buffer.compare(bytes, held) === 0 ? 'same' : 'different';
    held.set(bytes);
    page.present[slot] = 1;
    this.count += 1;
    return 'new';
  }

  /** The runs of consecutive seqs held, in order, as inclusive [from, to]. */
  *runs(): Generator<[number, number]> {
    let run: [number, number] | null = null;
    for (const index of [...this.pages.keys()].sort((a, b) => a - b)) {
      const present = (this.pages.get(index) as Page).present;
      for (let slot = 0; slot < PAGE; slot++) {
        if (!present[slot]) continue;
        const seq = index * PAGE + slot;
        if (run && run[1] === seq - 1) run[1] = seq;
        else {
          if (run) yield run;
          run = [seq, seq];
        }
      }
    }
    if (run) yield run;
  }
}
