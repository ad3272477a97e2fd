/**
 * Orders the slices of one direction of one connection by stream position. Slices from
 * different CPUs can arrive out of order; the ring buffer can lose some (counted in the kernel);
 * a slice can cover more bytes than it carries (sendfile, per-call cap). Consumers see a
 * contiguous sequence of data and holes of known size, never a silent skip.
 *
 * Memory is bounded: out-of-order slices are held up to `maxBufferedBytes`; past that, the
 * missing range before the earliest held slice is declared a hole (the bytes were lost).
 */
export type StreamPiece =
  | { readonly kind: 'data'; readonly pos: number; readonly data: Buffer }
  | { readonly kind: 'hole'; readonly pos: number; readonly len: number; readonly reason: HoleReason };

/** `uncaptured`: the kernel reported the length but not the bytes. `lost`: a slice never came. */
export type HoleReason = 'uncaptured' | 'lost';

interface Held {
  pos: number;
  len: number;
  data: Buffer;
}

/**
 * Where a stream delivers its pieces, told which stream they come from. An object rather than a
 * callback: a connection receives for both of its streams itself, with no closure (and context)
 * per stream, which at 10,000 idle connections is memory (agent RSS target).
 */
export interface PieceReceiver {
  piece(piece: StreamPiece, from: OrderedStream): void;
}

export interface OrderedStreamOptions {
  /** Bytes of out-of-order slices held before a missing range is declared lost. */
  maxBufferedBytes?: number;
}

export class OrderedStream {
  /** Position of the next byte to deliver. */
  next = 0;
  /** Out-of-order slices by position; null while there are none (the usual case: no array per stream). */
  private held: Held[] | null = null;
  private heldBytes = 0;
  private readonly maxBufferedBytes: number;

  constructor(
    private readonly receiver: PieceReceiver,
    opts: OrderedStreamOptions = {},
  ) {
    this.maxBufferedBytes = opts.maxBufferedBytes ?? 4 << 20;
  }

  /** Bytes held out of order right now. */
  get bufferedBytes(): number {
    return this.heldBytes;
  }

  /**
   * Adds a slice covering [pos, pos + len) whose first `data.length` bytes were captured.
   * The caller must copy `data` if it is a view of a buffer that will be reused.
   */
  push(pos: number, len: number, data: Buffer): void {
    if (len <= 0 || pos + len <= this.next) return; // empty, or already delivered
    if (pos > this.next) {
      this.hold({ pos, len, data });
      return;
    }
    this.emit(pos, len, data);
    this.drain();
  }

  /** Declares everything up to the earliest held slice lost and delivers what follows. */
  flush(): void {
    while (this.held !== null) {
      const first = this.held[0]!;
      if (first.pos > this.next) {
        this.deliver({ kind: 'hole', pos: this.next, len: first.pos - this.next, reason: 'lost' });
        this.next = first.pos;
      }
      this.drain();
    }
  }

  /** Declares [next, end) lost: the connection closed with this final length. */
  end(finalLength: number): void {
    this.flush();
    if (finalLength > this.next) {
      this.deliver({ kind: 'hole', pos: this.next, len: finalLength - this.next, reason: 'lost' });
      this.next = finalLength;
    }
  }

  private deliver(piece: StreamPiece): void {
    this.receiver.piece(piece, this);
  }

  private emit(pos: number, len: number, data: Buffer): void {
    // Part of the slice may already have been delivered (overlap): skip that part.
    const skip = this.next - pos;
    const captured = data.length;
    if (skip < captured) this.deliver({ kind: 'data', pos: this.next, data: skip > 0 ? data.subarray(skip) : data });
    const holeStart = Math.max(pos + captured, this.next);
    if (pos + len > holeStart) {
      this.deliver({ kind: 'hole', pos: holeStart, len: pos + len - holeStart, reason: 'uncaptured' });
    }
    this.next = pos + len;
  }

  private hold(h: Held): void {
    const held = (this.held ??= []);
    // Insert sorted by position; slices usually arrive almost in order, so scan from the end.
    let i = held.length;
    while (i > 0 && held[i - 1]!.pos > h.pos) i--;
    held.splice(i, 0, h);
    this.heldBytes += h.data.length;
    if (this.heldBytes > this.maxBufferedBytes) this.flush();
  }

  private drain(): void {
    const held = this.held;
    if (held === null) return;
    while (held.length > 0 && held[0]!.pos <= this.next) {
      const h = held.shift()!;
      this.heldBytes -= h.data.length;
      if (h.pos + h.len > this.next) this.emit(h.pos, h.len, h.data);
    }
    if (held.length === 0) this.held = null;
  }
}
