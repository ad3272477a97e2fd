/** A complete head (start line and fields), parsed from a block the scanner delimited. */
import type { HttpParseErrorCode } from './error-codes';
import { HeaderFields } from './header-fields';
import type { HttpVersion } from './types';

export interface RequestHead {
  readonly method: string;
  readonly target: string;
  readonly version: HttpVersion;
  readonly headers: HeaderFields;
}

export interface ResponseHead {
  readonly version: HttpVersion;
  readonly status: number;
  readonly reason: string;
  readonly headers: HeaderFields;
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

/**
 * The head's fields: those the block scanner found while delimiting it (`fieldsAt`: the block's
 * offset in its chunk, see BlockScanner.fieldsAt), else parsed here. Either way they end at the
 * block's first empty line, which is where the scanner ends every block.
 */
function fields(block: Buffer, next: number, fieldsAt: number): HeaderFields | HttpParseErrorCode {
  return fieldsAt >= 0 ? HeaderFields.found(block, fieldsAt) : HeaderFields.parse(block, next);
}

/** The request methods most requests use, as constants: no string is cut for them. */
const METHODS = ['GET', 'POST', 'PUT', 'HEAD', 'DELETE', 'PATCH', 'OPTIONS'];

/** `block[0, end)` as latin1 text, a known method when it is one. */
function method(block: Buffer, end: number): string {
  for (const m of METHODS) {
    if (m.length !== end) continue;
    let k = 0;
    while (k < end && block[k] === m.charCodeAt(k)) k++;
    if (k === end) return m;
  }
  return block.toString('latin1', 0, end);
}

/** Both head parsers take a block whose first line already passed the start-line grammar (scanner or resync). */
export function parseRequestHead(block: Buffer, fieldsAt = -1): RequestHead | HttpParseErrorCode {
  const [end, next] = firstLine(block);
  const headers = fields(block, next, fieldsAt);
  if (!(headers instanceof HeaderFields)) return headers;
  // The start line passed the grammar: one SP after the method, one before the version.
  let sp1 = 0;
  while (block[sp1] !== SP) sp1++;
  let sp2 = end - 1;
  while (block[sp2] !== SP) sp2--;
  return {
    method: method(block, sp1),
    target: block.toString('latin1', sp1 + 1, sp2),
    version: block[end - 1] === 0x31 ? '1.1' : '1.0',
    headers,
  };
}

/** The reason phrase, `block[13, end)`: "OK" as a constant, the commonest by far. */
function reason(block: Buffer, end: number): string {
  return end === 15 && block[13] === 0x4f && block[14] === 0x4b ? 'OK' : block.toString('latin1', 13, end);
}

/** The start line is `HTTP/1.x NNN[ reason]`. */
export function parseResponseHead(block: Buffer, fieldsAt = -1): ResponseHead | HttpParseErrorCode {
  const [end, next] = firstLine(block);
  const headers = fields(block, next, fieldsAt);
  if (!(headers instanceof HeaderFields)) return headers;
  return {
    version: block[7] === 0x31 ? '1.1' : '1.0',
    status: (block[9] - 0x30) * 100 + (block[10] - 0x30) * 10 + (block[11] - 0x30),
    reason: end > 13 ? reason(block, end) : '',
    headers,
  };
}
