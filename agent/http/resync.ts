/**
 * Finding the next start line after a gap, a parse error or a mid-stream start. The search is
 * line based: a start line ends with a line end, so each complete line is checked for a start
 * line that ends it (a request line may follow body bytes with no separator, as in
 * `{"id":1}GET /x HTTP/1.1`; a status line may too). Only the current partial line is kept
 * across chunks, and at most `window` bytes of it (a longer start line is not plausible: it
 * could not fit in maxHeaderBytes), so skipping binary data costs no memory.
 *
 * Heuristics, because bytes in the middle of a body can look like anything:
 * - request: the line must end in ` HTTP/1.0` / ` HTTP/1.1`. A whole line that is a request line
 *   is one (any token method). Otherwise the method is the run of uppercase letters, `-`, `_`
 *   before ` target`, cut to the longest known method it ends with (`ABCGET` -> `GET`), if any.
 * - response: the first `HTTP/1.x SP 3DIGIT ...` that runs to the end of the line.
 */
import { ByteAccumulator } from './byte-accumulator';
import { isStartLine, isTargetByte, KNOWN_METHODS, VERSION_PREFIX } from './start-line';
import type { HttpDirection } from './types';

const CR = 0x0d;
const LF = 0x0a;
const SP = 0x20;
/** Enough chunk timestamps for any real line; past it, bytes take an earlier chunk's timestamp. */
const MAX_TS_MARKS = 64;

function isMethodRunByte(b: number): boolean {
  return (b >= 0x41 && b <= 0x5a) || b === 0x2d || b === 0x5f;
}

function findRequestLine(line: Buffer, atLineStart: boolean): number {
  let end = line.length - 1; // the LF
  if (end > 0 && line[end - 1] === CR) end--;
  const v = end - 8; // where "HTTP/1.x" must start
  if (v < 4 || line[v - 1] !== SP || line.compare(VERSION_PREFIX, 0, 7, v, v + 7) !== 0) return -1;
  const targetEnd = v - 1;
  let t = targetEnd;
  while (t > 0 && isTargetByte(line[t - 1])) t--;
  if (t === targetEnd || t === 0 || line[t - 1] !== SP) return -1;
  const methodEnd = t - 1;
  if (atLineStart && isStartLine('request', line, 0, line.length)) return 0;
  let m = methodEnd;
  while (m > 0 && isMethodRunByte(line[m - 1])) m--;
  if (m === methodEnd) return -1;
  const run = line.toString('latin1', m, methodEnd);
  let best = 0;
  for (const known of KNOWN_METHODS) if (known.length > best && run.endsWith(known)) best = known.length;
  const p = best > 0 ? methodEnd - best : m;
  return isStartLine('request', line, p, line.length) ? p : -1;
}

/** `line` is a view of one line so that indexOf cannot run on into the rest of the chunk. */
function findStatusLine(line: Buffer): number {
  for (let q = line.indexOf(VERSION_PREFIX); q !== -1; q = line.indexOf(VERSION_PREFIX, q + 1)) {
    if (isStartLine('response', line, q, line.length)) return q;
  }
  return -1;
}

/**
 * Where a start line that ends `line` (a complete line, LF included) begins, or -1.
 * `atLineStart`: `line` starts right after a line end, not at an arbitrary byte.
 */
export function findStartLine(direction: HttpDirection, line: Buffer, atLineStart: boolean): number {
  return direction === 'request' ? findRequestLine(line, atLineStart) : findStatusLine(line);
}

export class Resync {
  /** Captured bytes passed over so far (all searches of this direction). */
  skipped = 0;
  /** After `feed` found one: the start line (a view, valid until the next call) and its first byte's timestamp. */
  found: Buffer | null = null;
  foundNs = 0n;
  private readonly carry = new ByteAccumulator();
  /** Bytes of the current line appended so far, including those the window dropped. */
  private lineLength = 0;
  /** Timestamp of the chunk each part of the current line came from: [offset in line, ts]. */
  private marks: Array<[number, bigint]> = [];
  private atLineStart = false;

  constructor(
    private readonly direction: HttpDirection,
    private readonly window: number,
  ) {}

  /** Starts a search at an arbitrary byte. */
  begin(): void {
    this.clearLine();
    this.atLineStart = false;
    this.found = null;
  }

  /** Bytes held across chunks. */
  get heldBytes(): number {
    return this.carry.length;
  }

  /** Bytes were lost: the current line is not one line any more. */
  breakLine(): void {
    this.dropLine();
    this.atLineStart = false;
  }

  /** Scans `buf` from `from`; returns the index after a start line found (see `found`), or `buf.length`. */
  feed(buf: Buffer, from: number, ts: bigint): number {
    this.found = null;
    let i = from;
    while (i < buf.length) {
      const lf = buf.indexOf(LF, i);
      if (lf === -1) {
        this.hold(buf, i, buf.length, ts);
        return buf.length;
      }
      let line: Buffer;
      let lineStart = this.atLineStart;
      let fromCarry = false;
      if (this.carry.length === 0) {
        const s = Math.max(i, lf + 1 - this.window);
        if (s > i) {
          this.skipped += s - i;
          lineStart = false;
        }
        line = buf.subarray(s, lf + 1);
      } else {
        this.hold(buf, i, lf + 1, ts);
        lineStart = this.atLineStart;
        line = this.carry.view();
        fromCarry = true;
      }
      const p = findStartLine(this.direction, line, lineStart);
      if (p >= 0) {
        this.skipped += p;
        this.found = line.subarray(p);
        this.foundNs = fromCarry ? this.tsAt(this.lineLength - line.length + p) : ts;
        // The carry is cleared by the next begin(), after the owner copied `found`.
        return lf + 1;
      }
      this.skipped += line.length;
      this.clearLine();
      this.atLineStart = true;
      i = lf + 1;
    }
    return i;
  }

  /** Gives up the search (stream end); the partial line counts as skipped. */
  end(): void {
    this.dropLine();
  }

  private hold(buf: Buffer, from: number, to: number, ts: bigint): void {
    const last = this.marks[this.marks.length - 1];
    if (last === undefined || last[1] !== ts) this.marks.push([this.lineLength, ts]);
    const dropped = this.carry.appendWindow(buf, from, to, this.window);
    this.lineLength += to - from;
    if (dropped > 0) {
      this.skipped += dropped;
      this.atLineStart = false;
      const first = this.lineLength - this.carry.length;
      let k = 0;
      while (k + 1 < this.marks.length && this.marks[k + 1][0] <= first) k++;
      if (k > 0) this.marks.splice(0, k);
    }
    if (this.marks.length > MAX_TS_MARKS) this.marks.splice(1, 1);
  }

  /** Timestamp of the chunk that held byte `offset` of the current line. */
  private tsAt(offset: number): bigint {
    let ts = this.marks[0]?.[1] ?? 0n;
    for (const [at, t] of this.marks) {
      if (at > offset) break;
      ts = t;
    }
    return ts;
  }

  private dropLine(): void {
    this.skipped += this.carry.length;
    this.clearLine();
  }

  private clearLine(): void {
    this.carry.clear();
    this.lineLength = 0;
    this.marks = [];
  }
}
