/**
 * Field lines: found in the head's bytes as offsets (HeaderFields holds them and makes strings
 * on demand), and the optional-whitespace rule values are trimmed by.
 */
import type { HttpParseErrorCode } from './error-codes';
import { TCHAR } from './start-line';

const LF = 0x0a;
const CR = 0x0d;
const SP = 0x20;
const HTAB = 0x09;
const COLON = 0x3a;

/** Strips optional whitespace (SP / HTAB) only; String.trim would also eat latin1 NBSP (0xA0). */
export function trimOws(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && (s.charCodeAt(a) === SP || s.charCodeAt(a) === HTAB)) a++;
  while (b > a && (s.charCodeAt(b - 1) === SP || s.charCodeAt(b - 1) === HTAB)) b--;
  return a === 0 && b === s.length ? s : s.slice(a, b);
}

/** Offsets written by `parseFieldRanges`: `n` of them, at the start of `at`. */
export interface RangeList {
  readonly at: number[];
  n: number;
}

/**
 * Where `parseFieldRanges` writes: one list for every parse (one at a time, on the agent's one
 * thread), read right after by whoever asked for the parse (HeaderFields, or a head parser for
 * the fields the block scanner found) and copied at its exact size.
 */
export const FIELD_RANGES: RangeList = { at: [], n: 0 };

/**
 * Finds the field lines of `block` from `from` up to the first empty line, before `to`, writing
 * four offsets per line into FIELD_RANGES (name start, name end, value start, value end; the
 * value without its surrounding whitespace). Returns the index after that empty line, or -1 when
 * no empty line ends before `to` (a line without its LF is not looked at). For a block the
 * scanner delimited that index is its end. No strings are made here (HeaderFields makes them on demand).
 * An obs-fold line (leading SP/HTAB) is written with a name start of -1: it continues the field
 * before it (HeaderFields joins it). Whitespace between a name and its colon is tolerated; a
 * line without a colon or with a name that is not a token is an error, which also keeps text a
 * resync ran into from passing as a head.
 */
export function parseFieldRanges(block: Buffer, from: number, to = block.length): number | HttpParseErrorCode {
  const tchar = TCHAR;
  const ranges = FIELD_RANGES;
  const at = ranges.at;
  let k = 0;
  ranges.n = 0;
  const n = to;
  let i = from;
  // Each byte is read once on the way: the name (tokens), then from the value to the LF. The LF
  // is looked for only where a line is judged, so a cut line is "not looked at" (-1) before it
  // could be an error.
  while (i < n) {
    const first = block[i]!;
    if (first === LF) return i + 1;
    if (first === CR && i + 1 < n && block[i + 1] === LF) return i + 2;
    const folded = first === SP || first === HTAB;
    let nameEnd = i;
    let vs = i;
    if (!folded) {
      while (nameEnd < n && tchar[block[nameEnd]!] === 1) nameEnd++;
      let c = nameEnd;
      while (c < n && (block[c] === SP || block[c] === HTAB)) c++;
      if (nameEnd === i || c === n || block[c] !== COLON) return lineEnd(block, c, n) < 0 ? -1 : 'bad_header';
      vs = c + 1;
    }
    const lf = lineEnd(block, vs, n);
    if (lf < 0) return -1;
    let ve = lf > vs && block[lf - 1] === CR ? lf - 1 : lf;
    while (vs < ve && (block[vs] === SP || block[vs] === HTAB)) vs++;
    while (ve > vs && (block[ve - 1] === SP || block[ve - 1] === HTAB)) ve--;
    at[k] = folded ? -1 : i;
    at[k + 1] = nameEnd;
    at[k + 2] = vs;
    at[k + 3] = ve;
    k += 4;
    ranges.n = k;
    i = lf + 1;
  }
  return -1;
}

/**
 * The index of the first LF in `block[from, to)`, or -1. A loop, not Buffer#indexOf: a field
 * line is a few dozen bytes, less than a native call costs.
 */
function lineEnd(block: Buffer, from: number, to: number): number {
  for (let i = from; i < to; i++) if (block[i] === LF) return i;
  return -1;
}
