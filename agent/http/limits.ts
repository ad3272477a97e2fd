/**
 * Parser options, their defaults (applied here and nowhere else) and validation. The limits
 * bound what one connection can hold: about maxHeaderBytes + maxBodyBytes per direction, plus
 * the bodies of at most maxPendingRequests requests awaiting responses.
 */
import { SocktapError } from '../util/errors';

export interface HttpParserOptions {
  /**
   * Bytes of a start line plus header section (and of a chunked trailer section); a larger
   * head is dropped (`header_too_large`). Also the longest line a resync can recognise.
   * @default 65536
   */
  readonly maxHeaderBytes?: number;
  /** Header lines per message (and trailer lines per trailer section). @default 256 */
  readonly maxHeaders?: number;
  /** Body bytes kept per message; the rest is counted in `bodySize`, not kept. @default 65536 */
  readonly maxBodyBytes?: number;
  /** Bound on the output of content decoding, against decompression bombs. @default 8388608 */
  readonly maxDecodedBytes?: number;
  /** Requests awaiting a response before the oldest is given up (`overflow`). @default 64 */
  readonly maxPendingRequests?: number;
  /** Decode gzip, deflate and br content-encodings of bodies that were kept whole. @default false */
  readonly decode?: boolean;
}

export type HttpParserLimits = { readonly [K in keyof HttpParserOptions]-?: NonNullable<HttpParserOptions[K]> };

export const DEFAULT_HTTP_PARSER_LIMITS: HttpParserLimits = Object.freeze({
  maxHeaderBytes: 64 * 1024,
  maxHeaders: 256,
  maxBodyBytes: 64 * 1024,
  maxDecodedBytes: 8 * 1024 * 1024,
  maxPendingRequests: 64,
  decode: false,
});

/**
 * A chunk-size line (hex size plus extensions) longer than this is not HTTP: real extensions
 * are a few bytes, and without a bound a binary stream could be held forever as "one line".
 */
export const MAX_CHUNK_SIZE_LINE_BYTES = 4096;

/** 2^53 - 1 fits 13 hex digits; more cannot be a real chunk and would lose precision. */
export const MAX_CHUNK_SIZE_HEX_DIGITS = 13;

function checkInt(name: string, v: number | undefined, lo: number, hi: number): void {
  if (v === undefined) return;
  if (!Number.isInteger(v) || v < lo || v > hi) {
    throw new SocktapError('SOCKTAP_INVALID_ARGUMENT', `${name} must be an integer in [${lo}, ${hi}], got ${v}`);
  }
}

/** Limits this module made: passed through as they are, so an owner of many parsers resolves once and they share one object. */
const RESOLVED = new WeakSet<object>([DEFAULT_HTTP_PARSER_LIMITS]);

/** Validates options at the boundary (one message form) and applies the defaults. */
export function resolveHttpParserOptions(o: HttpParserOptions = {}): HttpParserLimits {
  if (RESOLVED.has(o)) return o as HttpParserLimits;
  checkInt('maxHeaderBytes', o.maxHeaderBytes, 64, 16 << 20);
  checkInt('maxHeaders', o.maxHeaders, 1, 65536);
  checkInt('maxBodyBytes', o.maxBodyBytes, 0, 1 << 30);
  checkInt('maxDecodedBytes', o.maxDecodedBytes, 1, 1 << 30);
  checkInt('maxPendingRequests', o.maxPendingRequests, 1, 65536);
  if (o.decode !== undefined && typeof o.decode !== 'boolean') {
    throw new SocktapError('SOCKTAP_INVALID_ARGUMENT', `decode must be a boolean, got ${String(o.decode)}`);
  }
  const d = DEFAULT_HTTP_PARSER_LIMITS;
  const limits: HttpParserLimits = Object.freeze({
    maxHeaderBytes: o.maxHeaderBytes ?? d.maxHeaderBytes,
    maxHeaders: o.maxHeaders ?? d.maxHeaders,
    maxBodyBytes: o.maxBodyBytes ?? d.maxBodyBytes,
    maxDecodedBytes: o.maxDecodedBytes ?? d.maxDecodedBytes,
    maxPendingRequests: o.maxPendingRequests ?? d.maxPendingRequests,
    decode: o.decode ?? d.decode,
  });
  RESOLVED.add(limits);
  return limits;
}
