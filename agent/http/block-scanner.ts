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
import { FIELD_RANGES, parseFieldRanges } from './headers';
import type { StartLineMatcher } from './start-line';

const CR = 0x0d;
const LF = 0x0a;
const EMPTY = Buffer.alloc(0);

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
  /**
   * The block's offset in the chunk whose field lines `parseFieldRanges` found while delimiting
   * it (FIELD_RANGES hold them until the next parse), or -1: the head parser parses them.
   */
  fieldsAt = -1;

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
    this.startLine?.reset();
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
    this.fieldsAt = -1;
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
        if (this.total === 0) {
          const end = this.wholeHeadEnd(buf, p, limit);
          if (end !== -1) {
            this.succeed(buf, from, end);
            this.fieldsAt = from;
            return end;
          }
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
   * The end of a head that starts in this chunk and ends in it, found by the field parser, which
   * finds the field lines on the way (the head parser then takes them instead of walking the head
   * a second time). `p`: after the start line's LF; `limit`: maxBytes from the block's start,
   * or the chunk's end. A head it cannot delimit (a field line it rejects, no empty line before
   * `limit`, more field lines than maxLines) is left to the byte loop below, which decides every
   * error where it is; the head parser then finds the fields (and their errors) itself.
   */
  private wholeHeadEnd(buf: Buffer, p: number, limit: number): number {
    const end = parseFieldRanges(buf, p, limit);
    // One offset quadruple per field line, obs-fold lines included: the lines the loop counts.
    return typeof end === 'number' && FIELD_RANGES.n >> 2 <= this.maxLines ? end : -1;
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
