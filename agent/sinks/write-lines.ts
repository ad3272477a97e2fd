/**
 * Writing a batch of records as lines to a stream, resolving once the stream has taken the bytes.
 * One write per batch: a batch is either wholly handed over or fails, which is what keeps lines
 * whole on a socket.
 *
 * Lines are encoded one by one into a reused buffer instead of being joined into one string:
 * a joined string is a rope of thousands of pieces that the write must first flatten and then
 * encode, which costs more than serializing the records did.
 */
import type { Writable } from 'node:stream';
import type { ExchangeRecord } from '../pipeline/record';
import { JsonLineWriter } from '../pipeline/record-json';

export class LineEncoder {
  private readonly json = new JsonLineWriter(1 << 20);
  private readonly text: ((r: ExchangeRecord) => string) | undefined;

  /** `format`: a record to text (one line, no newline); default the JSON line, written byte by byte. */
  constructor(format?: (r: ExchangeRecord) => string) {
    this.text = format;
  }

  /**
   * The batch as lines, in a view of this encoder's buffer: valid until the next `encode`, so
   * write it and wait for the write to finish before encoding the next batch.
   */
  encode(batch: readonly ExchangeRecord[]): Buffer {
    const w = this.json;
    w.reset();
    if (this.text === undefined) {
      for (const r of batch) w.line(r);
    } else {
      for (const r of batch) w.text(this.text(r) + '\n');
    }
    return w.bytes();
  }
}

/** Writes `chunk` and resolves when the stream accepted it; rejects with the write's error. */
export function writeChunk(stream: Writable, chunk: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    stream.write(chunk, (err) => (err ? reject(err) : resolve()));
  });
}
