/** Whole lines read from a socket, appended to `into` as they complete (a partial tail waits). */
import type { Socket } from 'node:net';

export function collectLines(socket: Socket, into: string[] = []): string[] {
  let buf = '';
  socket.setEncoding('utf8');
  socket.on('data', (d: string) => {
    buf += d;
    const parts = buf.split('\n');
    buf = parts.pop()!;
    into.push(...parts);
  });
  return into;
}
