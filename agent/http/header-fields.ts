/**
 * A header (or trailer) section as parsed: a copy of its bytes and four offsets per field into
 * them (name start, name end, value start, value end). Strings are made only when something
 * asks for one. The agent's hot path never does: framing reads Content-Length from the bytes,
 * redaction compares names in place and the JSON line copies the bytes, so a field costs four
 * numbers instead of an array and two strings (most of what the parser used to allocate per
 * exchange). Field names keep their case; lookups take lower-case names and ignore ASCII case.
 *
 * Values are latin1: one char per byte, so nothing is lost (`Buffer.from(v, 'latin1')` gives the
 * bytes back). A value that is not one range of the bytes (an obs-fold joined lines, or the
 * record replaced it, as redaction does) is held as a string in `overrides`.
 */
import { FIELD_RANGES, parseFieldRanges, trimOws } from './headers';
import type { HttpParseErrorCode } from './error-codes';

/** Header fields as name/value pairs: the shape tests, records and the other sinks read. */
export type HeaderPairs = ReadonlyArray<readonly [name: string, value: string]>;

export class HeaderFields implements Iterable<[string, string]> {
  private constructor(
    /** The section's bytes (a copy: it outlives the capture batch). */
    readonly bytes: Buffer,
    /** Four offsets per field into `bytes`, in wire order. */
    readonly ranges: readonly number[],
    /** By field index, a value that is not its range (joined obs-fold lines, a redaction); null when none. */
    private readonly overrides: ReadonlyArray<string | undefined> | null,
  ) {}

  /** Parses the field lines of `block` from `from` up to its first empty line (see `parseFieldRanges`). */
  static parse(block: Buffer, from: number): HeaderFields | HttpParseErrorCode {
    const end = parseFieldRanges(block, from);
    return typeof end === 'string' ? end : HeaderFields.found(block, 0);
  }

  /**
   * The fields `parseFieldRanges` just found (in FIELD_RANGES) in a buffer that `block` is a
   * view of from offset `shift` (the block scanner's chunk; 0: the block itself).
   */
  static found(block: Buffer, shift: number): HeaderFields {
    // Copied at their exact size: pushed onto a fresh array they would grow (and be copied) on
    // the way, which was most of what a head's fields allocated.
    const list = FIELD_RANGES;
    const ranges = list.at.slice(0, list.n);
    let folds = false;
    for (let k = 0; k < ranges.length; k += 4) {
      // An obs-fold line's marker (-1 for its name start) stays a marker.
      if (ranges[k] === -1) folds = true;
      else ranges[k]! -= shift;
      ranges[k + 1]! -= shift;
      ranges[k + 2]! -= shift;
      ranges[k + 3]! -= shift;
    }
    const bytes = Buffer.from(block);
    return folds ? HeaderFields.joined(bytes, ranges) : new HeaderFields(bytes, ranges, null);
  }

  /**
   * Joins each continuation's value to the field before it with one space (RFC 9112 §5.2 lets a
   * recipient replace an obs-fold by SP); a continuation before any field, or an empty one, is
   * ignored. Rare: only old or odd senders fold.
   */
  private static joined(bytes: Buffer, marked: readonly number[]): HeaderFields {
    const ranges: number[] = [];
    const overrides: Array<string | undefined> = [];
    for (let k = 0; k < marked.length; k += 4) {
      const field = (ranges.length >> 2) - 1;
      if (marked[k] !== -1) {
        ranges.push(marked[k]!, marked[k + 1]!, marked[k + 2]!, marked[k + 3]!);
        continue;
      }
      const more = bytes.toString('latin1', marked[k + 2]!, marked[k + 3]!);
      if (field < 0 || more === '') continue;
      const value = overrides[field] ?? bytes.toString('latin1', ranges[4 * field + 2]!, ranges[4 * field + 3]!);
      overrides[field] = value === '' ? more : `${value} ${more}`;
    }
    overrides.length = ranges.length >> 2;
    return new HeaderFields(bytes, ranges, overrides);
  }

  /** Fields from pairs (tests, hand-made exchanges). Throws RangeError for a character above U+00FF. */
  static of(pairs: HeaderPairs): HeaderFields {
    const ranges: number[] = [];
    let text = '';
    for (const [name, value] of pairs) {
      ranges.push(text.length, text.length + name.length, text.length + name.length, text.length + name.length + value.length);
      text += name + value;
    }
    for (let i = 0; i < text.length; i++) {
      if (text.charCodeAt(i) > 0xff) throw new RangeError(`header fields must be latin1 text, got U+${text.charCodeAt(i).toString(16).toUpperCase()} in ${JSON.stringify(text)}`);
    }
    return new HeaderFields(Buffer.from(text, 'latin1'), ranges, null);
  }

  static readonly EMPTY = HeaderFields.of([]);

  get length(): number {
    return this.ranges.length >> 2;
  }

  name(i: number): string {
    return this.bytes.toString('latin1', this.ranges[4 * i]!, this.ranges[4 * i + 1]!);
  }

  value(i: number): string {
    return this.overrides?.[i] ?? this.bytes.toString('latin1', this.ranges[4 * i + 2]!, this.ranges[4 * i + 3]!);
  }

  /** Whether field `i`'s value is its byte range (no override): a writer may copy the bytes. */
  valueIsRange(i: number): boolean {
    return this.overrides === null || this.overrides[i] === undefined;
  }

  /** Whether field `i`'s name is `lowerName` (lower-case ASCII), ignoring ASCII case; compared in place. */
  nameIs(i: number, lowerName: string): boolean {
    const r = this.ranges;
    const b = this.bytes;
    let p = r[4 * i]!;
    const n = lowerName.length;
    if (r[4 * i + 1]! - p !== n) return false;
    for (let k = 0; k < n; k++, p++) {
      const c = b[p]!;
      const l = lowerName.charCodeAt(k);
      // Only A-Z may differ from their lower-case form (0x20 apart); anything else must be equal.
      if (c !== l && !(l >= 0x61 && l <= 0x7a && c === l - 0x20)) return false;
    }
    return true;
  }

  /** Index of the first field named `lowerName` at or after `from`, or -1. */
  indexOf(lowerName: string, from = 0): number {
    const n = this.length;
    for (let i = from; i < n; i++) if (this.nameIs(i, lowerName)) return i;
    return -1;
  }

  has(lowerName: string): boolean {
    return this.indexOf(lowerName) !== -1;
  }

  /** Values of every field named `lowerName`, in order. */
  values(lowerName: string): string[] {
    const out: string[] = [];
    for (let i = this.indexOf(lowerName); i !== -1; i = this.indexOf(lowerName, i + 1)) out.push(this.value(i));
    return out;
  }

  /** The comma-separated elements of every field named `lowerName`, trimmed and lowercased. */
  tokens(lowerName: string): string[] {
    const out: string[] = [];
    for (const value of this.values(lowerName)) {
      for (const part of value.split(',')) {
        const t = trimOws(part).toLowerCase();
        if (t !== '') out.push(t);
      }
    }
    return out;
  }

  /**
   * Value of field `i` as a whole number of 1 to 15 ASCII digits (below 2^53, so exact), read
   * from its bytes; -1 when it is anything else (a comma list included), -2 when it is not a
   * range (the caller reads the string then).
   */
  decimal(i: number): number {
    if (!this.valueIsRange(i)) return -2;
    const b = this.bytes;
    const from = this.ranges[4 * i + 2]!;
    const to = this.ranges[4 * i + 3]!;
    if (to === from || to - from > 15) return -1;
    let n = 0;
    for (let p = from; p < to; p++) {
      const d = b[p]! - 0x30;
      if (d < 0 || d > 9) return -1;
      n = n * 10 + d;
    }
    return n;
  }

  /** The same fields with the values at `indices` replaced by `value` (redaction). */
  replacing(indices: readonly number[], value: string): HeaderFields {
    const overrides = this.overrides === null ? new Array<string | undefined>(this.length) : this.overrides.slice();
    for (const i of indices) overrides[i] = value;
    return new HeaderFields(this.bytes, this.ranges, overrides);
  }

  /** Characters in all names and values: a bound writers reserve room by. */
  textLength(): number {
    const r = this.ranges;
    let n = 0;
    for (let k = 0; k < r.length; k += 4) n += r[k + 1]! - r[k]! + r[k + 3]! - r[k + 2]!;
    if (this.overrides !== null) {
      for (let i = 0; i < this.overrides.length; i++) {
        const o = this.overrides[i];
        if (o !== undefined) n += o.length - (r[4 * i + 3]! - r[4 * i + 2]!);
      }
    }
    return n;
  }

  toArray(): Array<[string, string]> {
    const out: Array<[string, string]> = [];
    for (let i = 0; i < this.length; i++) out.push([this.name(i), this.value(i)]);
    return out;
  }

  *[Symbol.iterator](): Iterator<[string, string]> {
    for (let i = 0; i < this.length; i++) yield [this.name(i), this.value(i)];
  }

  /** JSON.stringify writes the pairs, as the exchange record's `headers`. */
  toJSON(): Array<[string, string]> {
    return this.toArray();
  }
}

/** Characters in the names and values of `h`, whichever form it has. */
export function headerTextLength(h: HeaderFields | HeaderPairs): number {
  if (h instanceof HeaderFields) return h.textLength();
  let n = 0;
  for (let i = 0; i < h.length; i++) n += h[i]![0].length + h[i]![1].length;
  return n;
}
