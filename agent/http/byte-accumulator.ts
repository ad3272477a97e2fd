/**
 * The bytes of a head or a line that spans chunks. The caller's buffers are valid only during
 * a push, so what must wait for the next chunk is copied here; what completes inside one chunk
 * is never copied (the parsers read it in place). Memory is returned on `clear()`, so an idle
 * connection holds nothing.
 */
export class ByteAccumulator {
  private buf: Buffer | null = null;
  private start = 0;
  private len = 0;

  get length(): number {
    return this.len;
  }

  /** Copies `src[from, to)` to the end. */
  append(src: Buffer, from: number, to: number): void {
    const n = to - from;
    if (n <= 0) return;
    this.reserve(n);
    src.copy(this.buf as Buffer, this.start + this.len, from, to);
    this.len += n;
  }

  /**
   * Appends `src[from, to)` but keeps only the last `window` bytes, and returns how many bytes
   * fell off the front. The result is the same however the input was split into chunks.
   */
  appendWindow(src: Buffer, from: number, to: number, window: number): number {
    const n = to - from;
    if (n >= window) {
      const dropped = this.len + n - window;
      this.clear();
      this.append(src, to - window, to);
      return dropped;
    }
    const dropped = Math.max(0, this.len + n - window);
    this.dropFront(dropped);
    this.append(src, from, to);
    return dropped;
  }

  /** Forgets the first `n` bytes without moving the rest (compaction happens on growth). */
  dropFront(n: number): void {
    if (n >= this.len) {
      this.clear();
      return;
    }
    this.start += n;
    this.len -= n;
  }

  /** A view of the held bytes, valid until the next append or clear. */
  view(): Buffer {
    return this.buf === null ? Buffer.alloc(0) : this.buf.subarray(this.start, this.start + this.len);
  }

  clear(): void {
    this.buf = null;
    this.start = 0;
    this.len = 0;
  }

  private reserve(n: number): void {
    const need = this.len + n;
    if (this.buf !== null && this.start + need <= this.buf.length) return;
    if (this.buf !== null && need <= this.buf.length && this.start >= this.len) {
      // Compact in place: at least as many bytes were dropped as are kept, so moving them is
      // paid for by the appends that filled the space (amortised O(1) per byte).
      this.buf.copy(this.buf, 0, this.start, this.start + this.len);
      this.start = 0;
      return;
    }
    const grown = Buffer.allocUnsafe(Math.max(need, 2 * this.len, 256));
    if (this.buf !== null) this.buf.copy(grown, 0, this.start, this.start + this.len);
    this.buf = grown;
    this.start = 0;
  }
}
