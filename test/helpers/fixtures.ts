/** Drivers for the Node fixtures in test/fixtures: the echo server and the scripted raw client. */
import path from 'node:path';
import { fixtures, start, type Proc } from './procs';

/** Waits until the process printed a line starting with `prefix`; returns that line. */
export async function waitLine(p: Proc, prefix: string, timeoutMs = 10000, after = 0): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const lines = p.stdout().split('\n');
    const hit = lines.slice(after).find((l) => l.startsWith(prefix));
    if (hit !== undefined) return hit;
    if (Date.now() > deadline) {
      throw new Error(`pid ${p.pid}: no line starting with '${prefix}' after ${timeoutMs} ms; stdout=${p.stdout()} stderr=${p.stderr()}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

export interface EchoServer {
  proc: Proc;
  port: number;
  /** Socket-level totals, printed once every connection closed. */
  stats(): Promise<{ requests: number; connections: number; bytesRead: number; bytesWritten: number }>;
}

export async function startEchoServer(host = '127.0.0.1'): Promise<EchoServer> {
  const proc = start(process.execPath, [path.join(fixtures, 'echo-server.js'), '0', host]);
  const port = Number((await waitLine(proc, 'listening ')).split(' ')[1]);
  return {
    proc,
    port,
    async stats() {
      const before = proc.stdout().split('\n').length - 1;
      proc.child.stdin!.write('stats\n');
      return JSON.parse(await waitLine(proc, '{', 15000, before));
    },
  };
}

/** The scripted client (test/fixtures/raw-client.js): one command per call, answered by a line. */
export class RawClient {
  readonly proc: Proc;
  private seen = 0;

  constructor() {
    this.proc = start(process.execPath, [path.join(fixtures, 'raw-client.js')]);
  }

  get pid(): number {
    return this.proc.pid;
  }

  async cmd(line: string, answer: string, timeoutMs = 15000): Promise<string> {
    this.proc.child.stdin!.write(line + '\n');
    const lines = () => this.proc.stdout().split('\n');
    const got = await waitLine(this.proc, answer, timeoutMs, this.seen);
    this.seen = lines().length - 1;
    return got;
  }

  async exit(): Promise<void> {
    this.proc.child.stdin!.write('exit\n');
    await this.proc.exited;
  }
}

/** The deterministic bytes GET /bytes/N answers with (same formula as echo-server.js). */
export function pattern(n: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + 7) & 0xff;
  return b;
}
