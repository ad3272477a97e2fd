/**
 * The discarding end of a unix-socket sink: listens at a path (replacing a stale socket file),
 * splits what every connection sends into lines and hands each complete line to `onLine`, keeping
 * nothing else. Every harness's reader (counting, timing, tallying) is one of these with its own
 * `onLine`.
 */
import fs from 'node:fs';
import net from 'node:net';

export interface LineServer {
  close(): Promise<void>;
}

/**
 * `onLine(text, from, to, arrivalMs)`: the line is `text.slice(from, to)` (no newline), latin1-
 * decoded; `arrivalMs` is when its chunk arrived (performance time origin + now, ms). Slicing is
 * left to the callback: most only look at a few bytes of the line.
 */
export type OnLine = (text: string, from: number, to: number, arrivalMs: number) => void;

export async function startLineServer(socketPath: string, onLine: OnLine): Promise<LineServer> {
  fs.rmSync(socketPath, { force: true });
  const conns = new Set<net.Socket>();
  const server = net.createServer((c) => {
    conns.add(c);
    let tail = '';
    c.setEncoding('latin1');
    c.on('data', (chunk: string) => {
      const now = performance.timeOrigin + performance.now();
      const text = tail + chunk;
      let from = 0;
      for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', from)) {
        onLine(text, from, nl, now);
        from = nl + 1;
      }
      tail = text.slice(from);
    });
    c.on('close', () => conns.delete(c));
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  return {
    close: async () => {
      for (const c of conns) c.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      fs.rmSync(socketPath, { force: true });
    },
  };
}
