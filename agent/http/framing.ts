/**
 * Where a message body ends (RFC 9112 §6.3), decided once per head. This is the one place the
 * no-body rules live: HEAD responses, 1xx, 204, 304; CONNECT; 101 and 2xx-to-CONNECT end HTTP on
 * the connection. Transfer-Encoding wins over Content-Length.
 */
import type { HttpParseErrorCode } from './error-codes';
import type { RequestHead, ResponseHead } from './head';
import type { HeaderFields } from './header-fields';
import { trimOws } from './headers';

export type Framing =
  | { readonly kind: 'none' }
  | { readonly kind: 'length'; readonly length: number }
  | { readonly kind: 'chunked' }
  /** Until the connection closes. */
  | { readonly kind: 'eof' }
  /** No body, and the bytes after the head are another protocol. */
  | { readonly kind: 'tunnel' };

export const NO_BODY: Framing = Object.freeze({ kind: 'none' });
const CHUNKED: Framing = Object.freeze({ kind: 'chunked' });
const UNTIL_EOF: Framing = Object.freeze({ kind: 'eof' });
const TUNNEL: Framing = Object.freeze({ kind: 'tunnel' });

/** 1 to 15 ASCII digits (below 2^53, so exact) as a number; -1 for anything else. */
function decimal(s: string): number {
  if (s.length === 0 || s.length > 15) return -1;
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const d = s.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

/**
 * The Content-Length, null when absent. Duplicates (separate fields or a comma list) are fine
 * when they agree, since proxies repeat it; disagreeing values make the length unknowable.
 */
export function contentLength(headers: HeaderFields): number | null | 'bad_content_length' {
  // Once per message: read from the field's bytes; only a comma list (or a joined obs-fold) is a string.
  let length: number | null = null;
  for (let i = headers.indexOf('content-length'); i !== -1; i = headers.indexOf('content-length', i + 1)) {
    const n = headers.decimal(i);
    if (n >= 0) {
      length = agreeing(length, n);
      if (length === -1) return 'bad_content_length';
      continue;
    }
    for (const part of headers.value(i).split(',')) {
      length = agreeing(length, decimal(trimOws(part)));
      if (length === -1) return 'bad_content_length';
    }
  }
  return length;
}

/** `n` if it is a length and agrees with the one seen so far (null: none yet), else -1. */
function agreeing(seen: number | null, n: number): number {
  return n < 0 || (seen !== null && n !== seen) ? -1 : n;
}

function lengthFraming(headers: HeaderFields): Framing | HttpParseErrorCode | null {
  const length = contentLength(headers);
  if (length === null || typeof length === 'string') return length;
  return length === 0 ? NO_BODY : { kind: 'length', length };
}

export function requestFraming(head: RequestHead): Framing | HttpParseErrorCode {
  // RFC 9110 §9.3.6: a CONNECT request has no content, whatever its fields say.
  if (head.method === 'CONNECT') return NO_BODY;
  if (head.headers.has('transfer-encoding')) {
    const codings = head.headers.tokens('transfer-encoding');
    // A request body not ending in chunked has no knowable end (RFC 9112 §6.3 rule 4).
    return codings[codings.length - 1] === 'chunked' ? CHUNKED : 'bad_transfer_encoding';
  }
  return lengthFraming(head.headers) ?? NO_BODY;
}

/** `method`: of the request this answers; undefined when unknown (treated like GET). */
export function responseFraming(head: ResponseHead, method: string | undefined): Framing | HttpParseErrorCode {
  const s = head.status;
  if (s === 101) return TUNNEL;
  if (method === 'CONNECT' && s >= 200 && s < 300) return TUNNEL;
  if (method === 'HEAD' || (s >= 100 && s < 200) || s === 204 || s === 304) return NO_BODY;
  if (head.headers.has('transfer-encoding')) {
    const codings = head.headers.tokens('transfer-encoding');
    return codings[codings.length - 1] === 'chunked' ? CHUNKED : UNTIL_EOF;
  }
  return lengthFraming(head.headers) ?? UNTIL_EOF;
}
