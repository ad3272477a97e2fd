/**
 * Header fields: parsed straight from the head's bytes (no intermediate strings per line), and
 * the few lookups framing needs. Field names keep their case; lookups compare lowercased names.
 */
import type { HttpParseErrorCode } from './error-codes';
import { TCHAR } from './start-line';
import type { HttpHeaders } from './types';

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

/**
 * Parses the field lines of `block` from `from` up to the empty line, appending to `out`, and
 * returns the index after that empty line (`block.length` when there is none): for a block the
 * scanner delimited that is its end, and a head parser answers RESCAN when it is not.
 * `ranges` (when given) gets each field's four offsets (HeadBytes); an obs-fold that joins a
 * value empties and stops them, so they describe `out` only if there are four per field.
 * `text` is `block` decoded as latin1 (one char per byte, so offsets agree): bytes are scanned
 * in the buffer, strings are cut from the one decoded string, which costs one native call per
 * head instead of two per field.
 * An obs-fold line (leading SP/HTAB) continues the previous field, joined with one space; one
 * before any field is ignored, as RFC 9112 §2.2 allows. Whitespace between a name and its colon
 * is tolerated; a line without a colon or with a name that is not a token is an error, which
 * also keeps text a resync ran into from passing as a head.
 */
export function parseFields(block: Buffer, text: string, from: number, out: HttpHeaders, ranges: number[] | null = null): number | HttpParseErrorCode {
  const tchar = TCHAR;
  let i = from;
  while (i < block.length) {
    // On the string: a builtin, cheaper than Buffer#indexOf's native call for short lines.
    let lf = text.indexOf('\n', i);
    if (lf === -1) lf = block.length;
    let end = lf;
    if (end > i && block[end - 1] === CR) end--;
    if (end === i) return lf + 1;
    let vs: number;
    let nameEnd = i;
    const folded = block[i] === SP || block[i] === HTAB;
    if (folded) {
      vs = i;
    } else {
      while (nameEnd < end && tchar[block[nameEnd]] === 1) nameEnd++;
      let c = nameEnd;
      while (c < end && (block[c] === SP || block[c] === HTAB)) c++;
      if (nameEnd === i || c === end || block[c] !== COLON) return 'bad_header';
      vs = c + 1;
    }
    let ve = end;
    while (vs < ve && (block[vs] === SP || block[vs] === HTAB)) vs++;
    while (ve > vs && (block[ve - 1] === SP || block[ve - 1] === HTAB)) ve--;
    const value = text.slice(vs, ve);
    if (!folded) {
      out.push([text.slice(i, nameEnd), value]);
      if (ranges !== null) ranges.push(i, nameEnd, vs, ve);
    } else {
      const last = out[out.length - 1];
      if (last !== undefined && value !== '') {
        last[1] = last[1] === '' ? value : `${last[1]} ${value}`;
        // The joined value is in no one range: emptied, the ranges no longer match the fields.
        if (ranges !== null) ranges.length = 0;
        ranges = null;
      }
    }
    i = lf + 1;
  }
  return block.length;
}

/**
 * Whether `name` equals `lowerName` (lower-case ASCII) ignoring ASCII case. Compared in place:
 * framing asks this for every field of every message, and a lower-cased copy of each name would
 * be a string made per field per lookup.
 */
export function nameIs(name: string, lowerName: string): boolean {
  const n = name.length;
  if (n !== lowerName.length) return false;
  for (let i = 0; i < n; i++) {
    const c = name.charCodeAt(i);
    const l = lowerName.charCodeAt(i);
    // Only A-Z may differ from their lower-case form (0x20 apart); anything else must be equal.
    if (c !== l && !(l >= 0x61 && l <= 0x7a && c === l - 0x20)) return false;
  }
  return true;
}

/** Values of every field named `lowerName`, in order. */
export function fieldValues(headers: HttpHeaders, lowerName: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < headers.length; i++) if (nameIs(headers[i][0], lowerName)) out.push(headers[i][1]);
  return out;
}

export function hasField(headers: HttpHeaders, lowerName: string): boolean {
  for (let i = 0; i < headers.length; i++) if (nameIs(headers[i][0], lowerName)) return true;
  return false;
}

/** The comma-separated elements of every field named `lowerName`, trimmed and lowercased. */
export function fieldTokens(headers: HttpHeaders, lowerName: string): string[] {
  const out: string[] = [];
  for (const value of fieldValues(headers, lowerName)) {
    for (const part of value.split(',')) {
      const t = trimOws(part).toLowerCase();
      if (t !== '') out.push(t);
    }
  }
  return out;
}
