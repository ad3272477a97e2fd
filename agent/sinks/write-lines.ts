/**
 * Writing a chunk of whole lines to a stream, resolving once the stream has taken the bytes.
 * One write per chunk: it is either wholly handed over or fails, which is what keeps lines whole
 * on a socket.
 */
import type { Writable } from 'node:stream';

/** Writes `chunk` and resolves when the stream accepted it; rejects with the write's error. */
export function writeChunk(stream: Writable, chunk: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    stream.write(chunk, (err) => (err ? reject(err) : resolve()));
  });
}
