/**
 * A reusable, growable byte buffer that text is encoded into directly (UTF-8): a page of an
 * export is rendered without joining it into one large string first, and the same memory
 * serves page after page instead of a new buffer per page for the collector to free.
 */
export class ByteBuffer {
  private buffer: Buffer;
  private used = 0;

  constructor(size = 256 * 1024) {
    this.buffer = Buffer.allocUnsafe(size);
  }

  clear(): void {
    this.used = 0;
  }

  text(s: string): void {
    // A UTF-16 code unit never takes more than 3 bytes in UTF-8.
    this.reserve(s.length * 3);
    this.used += this.buffer.write(s, this.used);
  }

  bytes(b: Uint8Array): void {
    this.reserve(b.length);
    this.buffer.set(b, this.used);
    this.used += b.length;
  }

  byte(b: number): void {
    this.reserve(1);
    this.buffer[this.used++] = b;
  }

  /** The bytes so far; valid until the next change. */
  view(): Buffer {
    return this.buffer.subarray(0, this.used);
  }

  private reserve(bytes: number): void {
    if (this.used + bytes <= this.buffer.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(2 * this.buffer.length, this.used + bytes));
    this.buffer.copy(bigger, 0, 0, this.used);
    this.buffer = bigger;
  }
}
