/**
 * Writing a batch of records as JSON lines to a stream, resolving once the stream has taken the
 * bytes (flushed to the kernel or buffered within its highWaterMark). One write per batch: a
 * batch is either wholly handed over or fails, which is what keeps lines whole on a socket.
 */
import type { Writable } from 'node:stream';
import type { ExchangeRecord } from '../pipeline/record';
import { toJsonLine } from '../pipeline/record-json';

export function linesOf(batch: readonly ExchangeRecord[], format: (r: ExchangeRecord) => string = toJsonLine): string {
  let text = '';
  for (const r of batch) text += format(r) + '\n';
  return text;
}

/** Writes `text` and resolves when the stream accepted it; rejects with the write's error. */
export function writeText(stream: Writable, text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    stream.write(text, (err) => (err ? reject(err) : resolve()));
  });
}
