/** Child processes and ports for benchmarks: every child started here is killed when the harness exits. */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';

/** Running children and the signal that ends each when the harness exits. */
const children = new Map<ChildProcess, NodeJS.Signals>();
process.on('exit', () => {
  for (const [c, sig] of children) c.kill(sig);
});

export interface Child {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly stderr: () => string;
  /** Resolves with the exit code or signal name. */
  readonly exited: Promise<number | string>;
  stop(signal?: NodeJS.Signals): Promise<number | string>;
}

/**
 * `exitSignal` ends the child if the harness exits first. SIGKILL suits a leaf process; a
 * process manager needs a signal it handles (an nginx master killed by SIGKILL leaves its worker
 * running, SIGTERM makes it stop the worker too).
 */
export function startChild(cmd: string, args: string[], exitSignal: NodeJS.Signals = 'SIGKILL'): Child {
  const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  if (child.pid === undefined) throw new Error(`cannot start ${cmd}`);
  children.set(child, exitSignal);
  let err = '';
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | string>((resolve) =>
    child.once('exit', (code, sig) => {
      children.delete(child);
      resolve(code ?? sig ?? -1);
    }),
  );
  return {
    child,
    pid: child.pid,
    stderr: () => err,
    exited,
    stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** A free TCP port on a loopback address. */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, host, () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Resolves once something accepts TCP connections on host:port. */
export async function waitForPort(port: number, host = '127.0.0.1', timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect({ port, host });
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on ${host}:${port} after ${timeoutMs} ms`);
    await sleep(50);
  }
}

/** Pids whose parent is `ppid`, from /proc (no pgrep dependency). */
export function childrenOf(ppid: number): number[] {
  const out: number[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue; // exited while we looked
    }
    // Field 4 is the parent pid; comm (field 2) may hold spaces and parentheses, so split after it.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(rest[1]) === ppid) out.push(Number(name));
  }
  return out;
}
