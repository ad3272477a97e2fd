/**
 * The grammar of start lines, as one byte-at-a-time matcher shared by the head parser (which
 * rejects garbage at its first wrong byte instead of buffering up to maxHeaderBytes of it) and
 * by resync (which checks candidate lines with the same rules):
 *   request-line = method SP request-target SP "HTTP/1." ("0" / "1") [CR] LF
 *   status-line  = "HTTP/1." ("0" / "1") SP 3DIGIT [SP reason-phrase] [CR] LF
 * Lenient where real peers are sloppy: bare LF, a missing reason phrase. Strict where leniency
 * would let binary data pass for HTTP: one SP between parts, no control bytes.
 */
import type { HttpDirection } from './types';

/** 1 for the bytes of a token (RFC 9110 §5.6.2: method and field names). */
export const TCHAR = new Uint8Array(256);
for (const c of "!#$%&'*+-.^_`|~") TCHAR[c.charCodeAt(0)] = 1;
for (let c = 0x30; c <= 0x39; c++) TCHAR[c] = 1;
for (let c = 0x41; c <= 0x5a; c++) TCHAR[c] = 1;
for (let c = 0x61; c <= 0x7a; c++) TCHAR[c] = 1;

/** request-target bytes: visible ASCII and obs-text; no SP, no controls. */
export function isTargetByte(b: number): boolean {
  return (b > 0x20 && b < 0x7f) || b >= 0x80;
}

/** reason-phrase bytes: HTAB, SP, visible ASCII, obs-text. */
function isReasonByte(b: number): boolean {
  return b === 0x09 || (b >= 0x20 && b !== 0x7f);
}

export const VERSION_PREFIX = Buffer.from('HTTP/1.', 'latin1');
const SP = 0x20;
const CR = 0x0d;
const LF = 0x0a;

// Matcher states (request, then response).
const R_METHOD = 0;
const R_TARGET = 1;
const R_VERSION = 2;
const R_MINOR = 3;
const R_END = 4;
const S_VERSION = 10;
const S_MINOR = 11;
const S_SP = 12;
const S_CODE = 13;
const S_AFTER_CODE = 14;
const S_REASON = 15;
/** Saw CR; only LF may follow. */
const LINE_LF = 20;

export type MatchResult = 'more' | 'done' | 'bad';

export class StartLineMatcher {
  result: MatchResult = 'more';
  private state: number;
  /** Bytes matched in the current state (method/target length, prefix index, digits). */
  private n = 0;
  private readonly initial: number;

  constructor(private readonly direction: HttpDirection) {
    this.initial = direction === 'request' ? R_METHOD : S_VERSION;
    this.state = this.initial;
  }

  reset(): void {
    this.state = this.initial;
    this.n = 0;
    this.result = 'more';
  }

  /**
   * Consumes `buf[from, to)` until the line ends or a byte cannot belong to it. Returns the
   * index after the LF ('done'), of the offending byte ('bad'), or `to` ('more').
   */
  feed(buf: Buffer, from: number, to: number): number {
    // Almost every line arrives whole and valid: matched with loops over locals first. Anything
    // else (a line cut by the chunk's end, a bad byte) goes through the byte machine from the
    // start, which alone decides 'more' and where 'bad' is.
    if (this.state === this.initial && this.n === 0) {
      const end = this.direction === 'request' ? wholeRequestLine(buf, from, to) : wholeStatusLine(buf, from, to);
      if (end > 0) {
        this.result = 'done';
        return end;
      }
    }
    for (let i = from; i < to; i++) {
      if (!this.step(buf[i])) {
        this.result = 'bad';
        return i;
      }
      if (this.result === 'done') return i + 1;
    }
    return to;
  }

  private step(b: number): boolean {
    switch (this.state) {
      case R_METHOD:
        if (TCHAR[b] === 1) return this.count();
        return b === SP && this.n > 0 && this.go(R_TARGET);
      case R_TARGET:
        if (isTargetByte(b)) return this.count();
        return b === SP && this.n > 0 && this.go(R_VERSION);
      case R_VERSION:
      case S_VERSION:
        if (b !== VERSION_PREFIX[this.n]) return false;
        if (++this.n === VERSION_PREFIX.length) this.go(this.state === R_VERSION ? R_MINOR : S_MINOR);
        return true;
      case R_MINOR:
        return (b === 0x30 || b === 0x31) && this.go(R_END);
      case S_MINOR:
        return (b === 0x30 || b === 0x31) && this.go(S_SP);
      case S_SP:
        return b === SP && this.go(S_CODE);
      case S_CODE:
        if (b < 0x30 || b > 0x39) return false;
        if (++this.n === 3) this.go(S_AFTER_CODE);
        return true;
      case S_AFTER_CODE:
        if (b === SP) return this.go(S_REASON);
        return this.lineEnd(b);
      case S_REASON:
        if (isReasonByte(b)) return true;
        return this.lineEnd(b);
      case R_END:
        return this.lineEnd(b);
      case LINE_LF:
        if (b !== LF) return false;
        this.result = 'done';
        return true;
      default:
        return false;
    }
  }

  private lineEnd(b: number): boolean {
    if (b === CR) return this.go(LINE_LF);
    if (b !== LF) return false;
    this.result = 'done';
    return true;
  }

  private count(): true {
    this.n++;
    return true;
  }

  private go(state: number): true {
    this.state = state;
    this.n = 0;
    return true;
  }
}

/** After the line end at `i` (CR LF or LF, within `to`), or -1. */
function lineEndAt(buf: Buffer, i: number, to: number): number {
  if (i < to && buf[i] === LF) return i + 1;
  return i + 1 < to && buf[i] === CR && buf[i + 1] === LF ? i + 2 : -1;
}

/** `HTTP/1.0` or `HTTP/1.1` at `i`, within `to`. */
function versionAt(buf: Buffer, i: number, to: number): boolean {
  if (i + 8 > to) return false;
  for (let k = 0; k < 7; k++) if (buf[i + k] !== VERSION_PREFIX[k]) return false;
  return buf[i + 7] === 0x30 || buf[i + 7] === 0x31;
}

/** A whole, valid request line at `from` (the grammar above): the index after its LF, else -1. */
function wholeRequestLine(buf: Buffer, from: number, to: number): number {
  let i = from;
  while (i < to && TCHAR[buf[i]] === 1) i++;
  if (i === from || i >= to || buf[i] !== SP) return -1;
  const target = ++i;
  while (i < to && isTargetByte(buf[i])) i++;
  if (i === target || i >= to || buf[i] !== SP) return -1;
  return versionAt(buf, i + 1, to) ? lineEndAt(buf, i + 9, to) : -1;
}

/** A whole, valid status line at `from`: the index after its LF, else -1. */
function wholeStatusLine(buf: Buffer, from: number, to: number): number {
  if (!versionAt(buf, from, to) || from + 12 > to || buf[from + 8] !== SP) return -1;
  for (let k = 9; k < 12; k++) if (buf[from + k] < 0x30 || buf[from + k] > 0x39) return -1;
  let i = from + 12;
  if (i < to && buf[i] === SP) {
    i++;
    while (i < to && isReasonByte(buf[i])) i++;
  }
  return lineEndAt(buf, i, to);
}

/** True when `buf[from, to)` is exactly one start line, line end included. */
export function isStartLine(direction: HttpDirection, buf: Buffer, from: number, to: number): boolean {
  const m = new StartLineMatcher(direction);
  return m.feed(buf, from, to) === to && m.result === 'done';
}

/**
 * Methods a resync may cut out of the end of an uppercase run that does not start a line
 * (`...ABCGET / HTTP/1.1` after a body with no separator), so that the tail of body text is not
 * taken for part of an extension method.
 */
export const KNOWN_METHODS: readonly string[] = [
  'GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH', 'QUERY',
  'PROPFIND', 'PROPPATCH', 'MKCOL', 'COPY', 'MOVE', 'LOCK', 'UNLOCK', 'SEARCH', 'REPORT',
  'MKACTIVITY', 'CHECKOUT', 'MERGE', 'M-SEARCH', 'NOTIFY', 'SUBSCRIBE', 'UNSUBSCRIBE', 'PURGE',
  'LINK', 'UNLINK', 'BIND', 'REBIND', 'UNBIND', 'ACL', 'MKCALENDAR', 'SOURCE',
];
