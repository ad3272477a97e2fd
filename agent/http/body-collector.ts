/**
 * Keeps the first `maxKeep` bytes of a body and counts all of it. Body bytes must outlive the
 * caller's chunk (the exchange is emitted later), so they are copied, once: straight into a
 * buffer of the final size when the length is known, else piece by piece. Bytes past the limit
 * are counted and never touched.
 */
export interface CollectedBody {
  readonly body: Buffer;
  /** Bytes of the body that passed, kept or not, lost ones included. */
  readonly size: number;
  /** The kept bytes are not the whole body (limit reached or bytes lost). */
  readonly truncated: boolean;
}

const EMPTY = Buffer.alloc(0);

export class BodyCollector {
  size = 0;
  private kept = 0;
  /** Bytes were lost: nothing after the hole can be kept contiguously. */
  private holed = false;
  private fixed: Buffer | null = null;
  /** Made at the first piece: most bodies have a known length or none at all. */
  private pieces: Buffer[] | null = null;

  /** `expected`: the body length when framing says it (Content-Length), to copy only once. */
  constructor(
    private readonly maxKeep: number,
    private readonly expected = -1,
  ) {}

  get keptBytes(): number {
    return this.kept;
  }

  add(buf: Buffer, start: number, end: number): void {
    const n = end - start;
    this.size += n;
    const take = this.holed ? 0 : Math.min(n, this.maxKeep - this.kept);
    if (take <= 0) return;
    if (this.expected >= 0) {
      this.fixed ??= Buffer.allocUnsafe(Math.min(this.expected, this.maxKeep));
      buf.copy(this.fixed, this.kept, start, start + take);
    } else {
      (this.pieces ??= []).push(Buffer.from(buf.subarray(start, start + take)));
    }
    this.kept += take;
  }

  /** `len` bytes of the body were lost in transit. */
  addHole(len: number): void {
    this.size += len;
    this.holed = true;
  }

  finish(): CollectedBody {
    let body: Buffer;
    if (this.kept === 0) body = EMPTY;
    else if (this.fixed !== null) body = this.kept === this.fixed.length ? this.fixed : this.fixed.subarray(0, this.kept);
    else body = this.pieces!.length === 1 ? this.pieces![0]! : Buffer.concat(this.pieces!, this.kept);
    this.fixed = null;
    this.pieces = null;
    return { body, size: this.size, truncated: this.holed || this.kept < this.size };
  }
}
