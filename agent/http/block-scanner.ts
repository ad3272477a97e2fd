/**
 * Finds the end of a header block (a head: start line plus fields, or a chunked trailer section)
 * in a stream fed in arbitrary chunks, within `maxBytes` and `maxLines`. A block that completes
 * inside one chunk is returned as a view of that chunk (no copy); one that spans chunks is
 * copied as it goes, and never beyond `maxBytes`.
 *
 * Errors are decided at a byte position that does not depend on how the input was split, so a
 * stream parses the same whatever the chunking: `header_too_large` at the first byte past
 * `maxBytes`, `too_many_headers` after the line that exceeds `maxLines`, `bad_start_line` at the
 * first byte the start-line grammar rejects.
 */
import { ByteAccumulator } from './byte-accumulator';
import type { HttpParseErrorCode } from './error-codes';
import type { StartLineMatcher } from './start-line';

const CR = 0x0d;
const LF = 0x0a;
const EMPTY = Buffer.alloc(0);
/** A start line's or field's LF followed by an empty CR LF line: how nearly every head ends. */
const LF_CR_LF = Buffer.from('\n\r\n', 'latin1');
/** Bytes past its bound a whole-head search may look at before a view bounds it (a view costs a few dozen ns). */
const SEARCH_SLACK = 1024;

/**
 * Returned by a head parser for a block whose first empty line is not its end: the scanner's
 * whole-head search (below) guessed the end wrong, and the head must be scanned byte by byte.
 */
export const RESCAN = 'rescan';

export type BlockStatus = 'more' | 'done' | HttpParseErrorCode;

export class BlockScanner {
  status: BlockStatus = 'more';
  /** The complete block, line ends included; valid until the next `begin`/`release`. */
  block: Buffer = EMPTY;
  private readonly acc = new ByteAccumulator();
  private total = 0;
  /** Completed non-empty lines, the start line included. */
  private lines = 0;
  /** Bytes of the current line seen in earlier chunks, and whether the last of them was CR. */
  private lineBytes = 0;
  private lastCr = false;
  /** Set by `rescan`: this block is scanned byte by byte, without the whole-head search. */
  private exact = false;

  /** `startLine`: the grammar the first line must follow (heads); null for trailer sections. */
  constructor(
    private readonly maxBytes: number,
    private readonly maxLines: number,
    private readonly startLine: StartLineMatcher | null,
  ) {}

  begin(): void {
    this.release();
    this.status = 'more';
    this.total = 0;
    this.lines = 0;
    this.lineBytes = 0;
    this.lastCr = false;
    this.exact = false;
    this.startLine?.reset();
  }

  /**
   * Starts the block over, byte by byte: its head parser answered RESCAN. Feed it the same chunk
   * from the same position again (the whole-head search only runs on a block that starts in the
   * chunk it is fed, so nothing of it is held).
   */
  rescan(): void {
    this.begin();
    this.exact = true;
  }

  /** Begins a head whose start line (line end included) was already found by a resync. */
  beginAfterLine(line: Buffer): void {
    this.begin();
    this.acc.append(line, 0, line.length);
    this.total = line.length;
    this.lines = 1;
  }

  /** After an error: bytes of the block scanned up to the error, all of them dropped. */
  droppedBytes = 0;

  /** Bytes held across chunks. */
  get heldBytes(): number {
    return this.acc.length;
  }

  /** Drops what is held (after a block was used, or on error). */
  release(): void {
    this.acc.clear();
    this.block = EMPTY;
  }

  /**
   * Scans `buf` from `from`. Returns the index after the block ('done'), the error position
   * (an error code), or `buf.length` ('more').
   */
  feed(buf: Buffer, from: number): number {
    const limit = Math.min(buf.length, from + (this.maxBytes - this.total));
    const headerLineBase = this.startLine === null ? 0 : 1;
    let i = from;
    while (i < limit) {
      if (this.lines === 0 && this.startLine !== null) {
        const p = this.startLine.feed(buf, i, limit);
        if (this.startLine.result === 'bad') return this.fail('bad_start_line', from, p);
        if (this.startLine.result === 'more') {
          i = limit;
          break;
        }
        this.lines = 1;
        if (this.total === 0 && !this.exact) {
          const end = this.wholeHeadEnd(buf, from, p, limit);
          if (end !== -1) return this.succeed(buf, from, end);
        }
        i = p;
        continue;
      }
      // A byte loop, not indexOf per line: lines are short and a native call costs more. Only
      // LF is looked for byte by byte; a line's length is the distance from where it started
      // (before `i` when it began in an earlier chunk), and the byte before an LF is read back.
      const start = i;
      let lineStart = i - this.lineBytes;
      for (; i < limit; i++) {
        if (buf[i] !== LF) continue;
        const len = i - lineStart;
        if (len === 0 || (len === 1 && (i > start ? buf[i - 1] === CR : this.lastCr))) return this.succeed(buf, from, i + 1);
        lineStart = i + 1;
        this.lines++;
        if (this.lines - headerLineBase > this.maxLines) return this.fail('too_many_headers', from, i + 1);
      }
      // Read only for a one-byte line's byte in an earlier chunk: the current line's last byte.
      if (i > start && i > lineStart) this.lastCr = buf[i - 1] === CR;
      this.lineBytes = i - lineStart;
    }
    if (i < buf.length) return this.fail('header_too_large', from, i);
    this.acc.append(buf, from, buf.length);
    this.total += buf.length - from;
    return buf.length;
  }

  /**
   * The end of a head that starts in this chunk and ends in it with CR LF CR LF (or LF CR LF):
   * one native search instead of the byte loop, which costs ~1 ns a byte (a 245-byte nginx head:
   * ~100 ns against ~300 ns). Only a guess: a bare LF LF before the match would end the head
   * earlier, and the head parser, which walks every line anyway, answers RESCAN for such a
   * block. A block too short to hold more than `maxLines` lines (each one at least a byte and
   * its LF) cannot fail the line limit, so the limit is not counted here; a longer one, or one
   * past `maxBytes`, is left to the loop, which decides those errors where they are.
   * `from`: the block's first byte; `p`: after the start line's LF.
   */
  private wholeHeadEnd(buf: Buffer, from: number, p: number, limit: number): number {
    // The loop fails a block once its lines, start line included, reach maxLines + 2; that needs
    // 2 * (maxLines + 2) bytes and the empty line's LF.
    const bound = Math.min(limit, from + 2 * this.maxLines + 4);
    // Buffer#indexOf has no end: far past the bound (a big chunk, and heads without CR LF CR LF
    // pipelined in it), search a view, so that no head costs a search of the rest of its chunk.
    const at = buf.length - bound > SEARCH_SLACK ? buf.subarray(0, bound).indexOf(LF_CR_LF, p - 1) : buf.indexOf(LF_CR_LF, p - 1);
    return at !== -1 && at + 3 <= bound ? at + 3 : -1;
  }

  private succeed(buf: Buffer, from: number, end: number): number {
    this.status = 'done';
    this.lineBytes = 0;
    this.lastCr = false;
    this.total += end - from;
    if (this.acc.length === 0) {
      this.block = buf.subarray(from, end);
    } else {
      this.acc.append(buf, from, end);
      this.block = this.acc.view();
    }
    return end;
  }

  private fail(code: HttpParseErrorCode, from: number, at: number): number {
    this.status = code;
    this.droppedBytes = this.total + (at - from);
    this.release();
    return at;
  }
}
