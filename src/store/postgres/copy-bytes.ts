import type pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { mapError } from './db.js';

/** The 11-byte signature that starts binary COPY output. */
const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');

/** Bytes arriving in pieces, taken from the front without joining more than a few at a time. */
class Pieces {
  private readonly list: Buffer[] = [];
  size = 0;

  push(b: Buffer): void {
    this.list.push(b);
    this.size += b.length;
  }

  /** Up to `n` bytes from the front, as a view of the first piece (nothing is copied). */
  upTo(n: number): Buffer {
    const first = this.list[0] as Buffer;
    if (first.length <= n) this.list.shift();
    else this.list[0] = first.subarray(n);
    const out = first.length <= n ? first : first.subarray(0, n);
    this.size -= out.length;
    return out;
  }

  /** Exactly `n` bytes (a few, for framing), joined if they straddle pieces. */
  take(n: number): Buffer {
    const parts: Buffer[] = [];
    for (let left = n; left > 0; ) {
      const part = this.upTo(left);
      parts.push(part);
      left -= part.length;
    }
    return parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts, n);
  }
}

/**
 * Reads the output of a one-column, binary COPY … TO STDOUT as it arrives, keeping each value
 * as views of the bytes delivered: no hex text (what a bytea is in a plain result), no string
 * per value and no copy of it, so a megabyte value costs a megabyte, not three, and nothing
 * large lands on the JavaScript heap. Format: signature, flags, header extension; per row a
 * field count, the field's length and bytes; a field count of -1 ends it.
 */
export class CopyValues {
  /** Every value's bytes, in order, as views. */
  readonly data: Buffer[] = [];
  rows = 0;
  private state: 'header' | 'row' | 'field' | 'value' | 'end' = 'header';
  private readonly pieces = new Pieces();
  private left = 0;

  get ended(): boolean {
    return this.state === 'end';
  }

  push(piece: Buffer): void {
    this.pieces.push(piece);
    const { pieces } = this;
    for (;;) {
      if (this.state === 'header') {
        if (pieces.size < SIGNATURE.length + 8) return;
        if (!pieces.take(SIGNATURE.length).equals(SIGNATURE)) throw new Error('Not binary COPY output.');
        pieces.take(4); // flags
        // No server sends a header extension yet; one would need reading, not guessing.
        if (pieces.take(4).readUInt32BE(0) !== 0) throw new Error('Unexpected binary COPY header extension.');
        this.state = 'row';
      } else if (this.state === 'row') {
        if (pieces.size < 2) return;
        const fields = pieces.take(2).readInt16BE(0);
        if (fields === -1) this.state = 'end';
        else if (fields !== 1) throw new Error(`Expected one column, got ${fields}.`);
        else this.state = 'field';
      } else if (this.state === 'field') {
        if (pieces.size < 4) return;
        this.left = pieces.take(4).readInt32BE(0);
        if (this.left < 0) throw new Error('Unexpected NULL value.');
        this.rows += 1;
        this.state = this.left > 0 ? 'value' : 'row';
      } else if (this.state === 'value') {
        if (pieces.size === 0) return;
        const part = pieces.upTo(this.left);
        this.data.push(part);
        this.left -= part.length;
        if (this.left === 0) this.state = 'row';
      } else {
        return;
      }
    }
  }
}

/** Runs `sql`, a one-column binary COPY … TO STDOUT, on `client`: its values, row count and bytes. */
export async function copyBytes(client: pg.PoolClient, sql: string): Promise<CopyValues> {
  const values = new CopyValues();
  try {
    for await (const piece of client.query(copyTo(sql)) as AsyncIterable<Buffer>) values.push(piece);
  } catch (err) {
    return mapError(err);
  }
  if (!values.ended) throw new Error('Binary COPY output ended early.');
  return values;
}
