/**
 * Which side of a connection picked up mid-stream (role 'unknown') is the client: judged from
 * the first bytes of a direction with the parser's own start-line matcher, so "looks like a
 * request line" means the same here as in the parser. A stream that starts with a request line
 * carries requests; one that starts with a status line carries responses.
 */
import { StartLineMatcher } from '../http/start-line';

export type StreamStart = 'request' | 'response' | 'other' | 'undecided';

/** Longest first line waited for; a longer one is not judged a start line. */
const MAX_START_LINE = 8192;

/** Classifies the first bytes of a direction; 'undecided' until enough have arrived. */
export function classifyStart(head: Buffer): StreamStart {
  if (head.length === 0) return 'undecided';
  const end = Math.min(head.length, MAX_START_LINE);
  let waiting = false;
  for (const side of ['request', 'response'] as const) {
    const m = new StartLineMatcher(side);
    m.feed(head, 0, end);
    if (m.result === 'done') return side;
    if (m.result === 'more') waiting = true;
  }
  return waiting && head.length < MAX_START_LINE ? 'undecided' : 'other';
}
