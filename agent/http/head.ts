/** A complete head (start line and fields), parsed from a block the scanner delimited. */
import { RESCAN } from './block-scanner';
import type { HttpParseErrorCode } from './error-codes';
import { parseFields } from './headers';
import type { HeadBytes, HttpHeaders, HttpVersion } from './types';

export interface RequestHead {
  readonly method: string;
  readonly target: string;
  readonly version: HttpVersion;
  readonly headers: HttpHeaders;
  readonly headBytes: HeadBytes | undefined;
}

export interface ResponseHead {
  readonly version: HttpVersion;
  readonly status: number;
  readonly reason: string;
  readonly headers: HttpHeaders;
  readonly headBytes: HeadBytes | undefined;
}

const LF = 0x0a;
const CR = 0x0d;
const SP = 0x20;

/** End of the first line (before its CR LF / LF) and the start of the next. */
function firstLine(block: Buffer): [end: number, next: number] {
  // A loop, not Buffer#indexOf: a start line is a few dozen bytes, less than a native call costs.
  let lf = 0;
  while (lf < block.length && block[lf] !== LF) lf++;
  return [lf > 0 && block[lf - 1] === CR ? lf - 1 : lf, lf + 1];
}

/** Parses the fields into `headers` and `ranges`; RESCAN when the block goes on past its first empty line. */
function fields(block: Buffer, text: string, next: number, headers: HttpHeaders, ranges: number[]): HttpParseErrorCode | typeof RESCAN | null {
  const end = parseFields(block, text, next, headers, ranges);
  if (typeof end === 'string') return end;
  return end === block.length ? null : RESCAN;
}

/** The ranges describe the fields (no obs-fold joined a value): keep a copy of the bytes with them. */
function headBytesOf(block: Buffer, headers: HttpHeaders, ranges: number[]): HeadBytes | undefined {
  return ranges.length === 4 * headers.length ? { bytes: Buffer.from(block), ranges } : undefined;
}

/**
 * Both head parsers take a block whose first line already passed the start-line grammar
 * (scanner or resync), and answer RESCAN when the block's first empty line is not its end (the
 * scanner's whole-head search can guess wrong; see BlockScanner).
 */
export function parseRequestHead(block: Buffer): RequestHead | HttpParseErrorCode | typeof RESCAN {
  const [end, next] = firstLine(block);
  const text = block.toString('latin1');
  const headers: HttpHeaders = [];
  const ranges: number[] = [];
  const err = fields(block, text, next, headers, ranges);
  if (err !== null) return err;
  const sp1 = block.indexOf(SP);
  const sp2 = block.lastIndexOf(SP, end - 1);
  return {
    method: text.slice(0, sp1),
    target: text.slice(sp1 + 1, sp2),
    version: block[end - 1] === 0x31 ? '1.1' : '1.0',
    headers,
    headBytes: headBytesOf(block, headers, ranges),
  };
}

/** The start line is `HTTP/1.x NNN[ reason]`. */
export function parseResponseHead(block: Buffer): ResponseHead | HttpParseErrorCode | typeof RESCAN {
  const [end, next] = firstLine(block);
  const text = block.toString('latin1');
  const headers: HttpHeaders = [];
  const ranges: number[] = [];
  const err = fields(block, text, next, headers, ranges);
  if (err !== null) return err;
  return {
    version: block[7] === 0x31 ? '1.1' : '1.0',
    status: (block[9] - 0x30) * 100 + (block[10] - 0x30) * 10 + (block[11] - 0x30),
    reason: end > 13 ? text.slice(13, end) : '',
    headers,
    headBytes: headBytesOf(block, headers, ranges),
  };
}
