/**
 * Which side of a connection picked up mid-stream (role 'unknown') is the client: judged from
 * the first bytes of a direction. A stream that starts with a request line carries requests;
 * one that starts with `HTTP/1.` carries responses.
 */

export type StreamStart = 'request' | 'response' | 'other' | 'undecided';

/** A request line: token method, SP, target without spaces, SP, HTTP/1.0 or 1.1, line end. */
const REQUEST_LINE = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+ [^\s]+ HTTP\/1\.[01]\r?\n/;
/** What a request line can look like before its end arrived (same pieces, each maybe cut). */
const REQUEST_LINE_PREFIX = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+( ([^\s]+( (H(T(T(P(\/(1(\.([01](\r)?)?)?)?)?)?)?)?)?)?)?)?$/;
const RESPONSE_START = 'HTTP/1.';
/** Longest request line waited for; a longer first line is not judged a request. */
const MAX_REQUEST_LINE = 8192;

/** Classifies the first bytes of a direction; 'undecided' until enough have arrived. */
export function classifyStart(head: Buffer): StreamStart {
  if (head.length === 0) return 'undecided';
  const text = head.subarray(0, Math.min(head.length, MAX_REQUEST_LINE)).toString('latin1');
  if (text.startsWith(RESPONSE_START)) return 'response';
  if (REQUEST_LINE.test(text)) return 'request';
  if (RESPONSE_START.startsWith(text)) return 'undecided';
  if (REQUEST_LINE_PREFIX.test(text) && head.length < MAX_REQUEST_LINE) return 'undecided';
  return 'other';
}
