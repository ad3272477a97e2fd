/**
 * socktap as users run it: `socktap run` in its own process, exporting to a unix socket that a
 * discarding reader in the harness drains. The reader counts complete lines (and those for the
 * benchmark's URL), so "exchanges at the sink" is counted where the records arrive.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { packageRoot } from '../../agent/capture/native';
import { start, sleep, type Proc } from './procs';

export interface LineCounter {
  /** Complete lines received. */
  lines(): number;
  /** Lines containing `needle` (e.g. `"target":"/body.json"`). */
  matching(): number;
  close(): Promise<void>;
}

/** Listens at `socketPath`, reads and discards JSON lines, counting them. */
export async function startLineCounter(socketPath: string, needle: string): Promise<LineCounter> {
  fs.rmSync(socketPath, { force: true });
  let lines = 0;
  let matching = 0;
  const conns = new Set<net.Socket>();
  const server = net.createServer((c) => {
    conns.add(c);
    let tail = '';
    c.setEncoding('latin1');
    c.on('data', (chunk: string) => {
      const text = tail + chunk;
      let from = 0;
      for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', from)) {
        lines++;
        const at = text.indexOf(needle, from);
        if (at >= 0 && at < nl) matching++;
        from = nl + 1;
      }
      tail = text.slice(from);
    });
    c.on('close', () => conns.delete(c));
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  return {
    lines: () => lines,
    matching: () => matching,
    close: async () => {
      for (const c of conns) c.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export interface AgentProcess {
  readonly proc: Proc;
  /** Sends SIGINT, waits for the exit, returns the counters of the final stats line. */
  stop(): Promise<Record<string, number>>;
}

/** Starts `socktap run` with `args`; resolves once it logged that it captures. */
export async function startAgentProcess(args: string[]): Promise<AgentProcess> {
  const bin = path.join(packageRoot(), 'bin', 'socktap.js');
  const proc = start(process.execPath, [bin, 'run', ...args]);
  const deadline = Date.now() + 20_000;
  while (!/msg="capturing /.test(proc.stderr())) {
    if (proc.child.exitCode !== null || Date.now() > deadline) {
      throw new Error(`socktap run did not start capturing: ${proc.stderr()}`);
    }
    await sleep(20);
  }
  return {
    proc,
    async stop() {
      const code = await proc.kill('SIGINT');
      if (code !== 0) throw new Error(`socktap run exited ${code}: ${proc.stderr()}`);
      return finalStats(proc.stderr());
    },
  };
}

/** The counters of the last `stats {...}` line in the agent's stderr. */
export function finalStats(stderr: string): Record<string, number> {
  const lines = stderr.split('\n').filter((l) => l.includes('msg="stats {'));
  const last = lines.at(-1);
  if (!last) throw new Error(`no stats line in the agent's output: ${stderr.slice(-2000)}`);
  const json = /msg="stats (\{.*\})"/.exec(last)![1]!.replace(/\\"/g, '"');
  return JSON.parse(json) as Record<string, number>;
}

/** nginx's own request count (stub_status), the reference for "every exchange arrived". */
export async function nginxRequests(statusUrl: string): Promise<number> {
  const text = await (await fetch(statusUrl)).text();
  const m = /\n\s*(\d+)\s+(\d+)\s+(\d+)\s*\n/.exec(text);
  if (!m) throw new Error(`unexpected stub_status output: ${text}`);
  return Number(m[3]);
}
