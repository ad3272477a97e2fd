/**
 * Content-Encoding decoding (gzip, deflate, br) with zlib's synchronous API: bodies here are at
 * most maxBodyBytes, so a sync call is short and keeps the parser free of callbacks. The output
 * is bounded by `maxOutputLength` (zlib stops and throws instead of growing), which is what makes
 * a decompression bomb cost at most maxDecodedBytes, transiently.
 */
import * as zlib from 'node:zlib';
import type { HeaderFields } from './header-fields';

export type DecodeResult =
  | { readonly ok: true; readonly data: Buffer }
  | { readonly ok: false; readonly code: 'decode_failed' | 'decode_too_large' };

const SUPPORTED = new Set(['gzip', 'x-gzip', 'deflate', 'br']);

/**
 * The content codings to undo, in the order they were applied, or null when there is nothing
 * we can decode (none, only `identity`, or one we do not support: such a body stays raw).
 */
export function contentCodings(headers: HeaderFields): string[] | null {
  if (!headers.has('content-encoding')) return null;
  const codings = headers.tokens('content-encoding').filter((c) => c !== 'identity');
  if (codings.length === 0 || !codings.every((c) => SUPPORTED.has(c))) return null;
  return codings;
}

function decodeOne(coding: string, data: Buffer, maxOutputLength: number): Buffer {
  switch (coding) {
    case 'gzip':
    case 'x-gzip':
      return zlib.gunzipSync(data, { maxOutputLength });
    case 'br':
      return zlib.brotliDecompressSync(data, { maxOutputLength });
    default:
      // "deflate" means zlib-wrapped (RFC 9110 §8.4.1.2), but some servers send raw deflate.
      try {
        return zlib.inflateSync(data, { maxOutputLength });
      } catch (err) {
        if (isTooLarge(err)) throw err;
        return zlib.inflateRawSync(data, { maxOutputLength });
      }
  }
}

function isTooLarge(err: unknown): boolean {
  return (err as { code?: unknown } | null)?.code === 'ERR_BUFFER_TOO_LARGE';
}

/** Undoes `codings` (applied in that order) on a whole body. */
export function decodeContent(raw: Buffer, codings: readonly string[], maxOutputLength: number): DecodeResult {
  let data = raw;
  try {
    for (let i = codings.length - 1; i >= 0; i--) data = decodeOne(codings[i], data, maxOutputLength);
  } catch (err) {
    return { ok: false, code: isTooLarge(err) ? 'decode_too_large' : 'decode_failed' };
  }
  return { ok: true, data };
}
