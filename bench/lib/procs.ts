/**
 * Child processes and ports, for benchmarks and tests alike: every child started here is ended
 * when the parent exits, with a signal that suits it.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';

/** Running children and the signal that ends each when the parent exits. */
const children = new Map<ChildProcess, NodeJS.Signals>();
process.on('exit', () => {
  for (const [c, sig] of children) c.kill(sig);
});

export interface Proc {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly stdout: () => string;
  readonly stderr: () => string;
  /** Resolves with the exit code or signal name. */
  readonly exited: Promise<number | string>;
  /** Sends `signal` (default SIGTERM) if the process still runs; resolves when it has exited. */
  kill(signal?: NodeJS.Signals): Promise<number | string>;
}

export interface StartOptions extends SpawnOptions {
  /**
   * Ends the child if the parent exits first. SIGKILL suits a leaf process; a process manager
   * needs a signal it handles (an nginx master killed by SIGKILL leaves its worker running,
   * SIGTERM makes it stop the worker too). @default 'SIGKILL'
   */
  readonly exitSignal?: NodeJS.Signals;
}

/** Spawns a process whose stdout and stderr are collected. */
export function start(cmd: string, args: string[], opts: StartOptions = {}): Proc {
  const { exitSignal = 'SIGKILL', ...spawnOpts } = opts;
  const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], ...spawnOpts });
  if (child.pid === undefined) throw new Error(`cannot start ${cmd}`);
  children.set(child, exitSignal);
  let out = '';
  let err = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
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
    stdout: () => out,
    stderr: () => err,
    exited,
    kill(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** Runs a process to completion; rejects with its stderr when it fails. */
export async function run(cmd: string, args: string[], opts: StartOptions = {}): Promise<{ stdout: string; stderr: string; pid: number }> {
  const p = start(cmd, args, opts);
  p.child.stdin?.end();
  const code = await p.exited;
  if (code !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${code}: ${p.stderr()}`);
  return { stdout: p.stdout(), stderr: p.stderr(), pid: p.pid };
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

/** Resolves once something accepts TCP connections on host:port (it connects to find out). */
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

/**
 * Resolves once a socket listens on `port`, read from /proc/net without connecting, so a capture
 * running meanwhile sees no probe connection.
 */
export async function waitListening(port: number, family: 'ipv4' | 'ipv6' = 'ipv4', timeoutMs = 10_000): Promise<void> {
  const file = family === 'ipv4' ? '/proc/net/tcp' : '/proc/net/tcp6';
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const listening = fs
      .readFileSync(file, 'utf8')
      .split('\n')
      .slice(1)
      .some((line) => {
        const cols = line.trim().split(/\s+/);
        return cols.length > 3 && cols[1].endsWith(`:${hexPort}`) && cols[3] === '0A'; // 0A: LISTEN
      });
    if (listening) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on port ${port} (${family}) after ${timeoutMs} ms`);
    await sleep(25);
  }
}

/**
 * Calls `visit` with every process's /proc/<pid>/stat line and its fields after comm (`rest[0]`
 * is field 3, the state; `rest[1]` field 4, the parent pid): comm may hold spaces and
 * parentheses, so the line is split after its last `)`. Processes that exit meanwhile are skipped.
 */
export function eachProcessStat(visit: (pid: number, rest: string[], stat: string) => void): void {
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue; // exited while we looked
    }
    visit(Number(name), stat.slice(stat.lastIndexOf(')') + 2).split(' '), stat);
  }
}

/** Pids whose parent is `ppid`, from /proc (no pgrep dependency). */
export function childrenOf(ppid: number): number[] {
  const out: number[] = [];
  eachProcessStat((pid, rest) => {
    if (Number(rest[1]) === ppid) out.push(pid);
  });
  return out;
}

/** `VmRSS` / `VmHWM` of a process from /proc/<pid>/status, KiB (NaN once it exited). */
export function statusKiB(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  try {
    const m = new RegExp(`${field}:\\s+(\\d+)`).exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : NaN;
  } catch {
    return NaN;
  }
}
