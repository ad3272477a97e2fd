/**
 * Runs wrk and parses its text report. wrk prints rounded, unit-suffixed figures ("426.22us",
 * "74.79k", "178.09MB"); the parser turns them back into plain numbers (µs, counts, bytes) and
 * fails loudly when a line it needs is missing, so a changed wrk never yields a silent zero.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';

export interface WrkResult {
  readonly threads: number;
  readonly connections: number;
  readonly requests: number;
  /** The run's length as wrk reports it ("in 10.00s"). */
  readonly durationS: number;
  readonly bytesRead: number;
  readonly requestsPerSec: number;
  readonly latencyUs: { readonly avg: number; readonly stdev: number; readonly max: number };
  /** Present with `--latency`: percentile ("50", "99") -> µs. */
  readonly latencyPercentilesUs: Readonly<Record<string, number>>;
  readonly non2xx3xx: number;
  readonly socketErrors: { readonly connect: number; readonly read: number; readonly write: number; readonly timeout: number };
}

const TIME_US: Record<string, number> = { us: 1, ms: 1e3, s: 1e6, m: 60e6, h: 3600e6 };
const SIZE: Record<string, number> = { B: 1, KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3, TB: 1024 ** 4 };
const COUNT: Record<string, number> = { '': 1, k: 1e3, M: 1e6, G: 1e9 };

function unit(text: string, table: Record<string, number>, what: string): number {
  const m = /^(-?[\d.]+)([a-zA-Z]*)$/.exec(text.trim());
  if (!m || !(m[2] in table)) throw new Error(`wrk ${what} must look like <number><${Object.keys(table).join('|')}>, got '${text}'`);
  return Number(m[1]) * table[m[2]];
}

/** "426.22us" -> 426.22, "2.30ms" -> 2300, "10.00s" -> 1e7, "1.00m" -> 6e7 (µs). */
export const parseTimeUs = (text: string): number => unit(text, TIME_US, 'time');
/** "178.09MB" -> bytes (wrk uses powers of 1024). */
export const parseSize = (text: string): number => unit(text, SIZE, 'size');
/** "74.79k" -> 74790. */
export const parseCount = (text: string): number => unit(text, COUNT, 'count');

function need(text: string, re: RegExp, what: string): RegExpExecArray {
  const m = re.exec(text);
  if (!m) throw new Error(`wrk output has no ${what} line:\n${text}`);
  return m;
}

export function parseWrkOutput(text: string): WrkResult {
  const shape = need(text, /(\d+) threads and (\d+) connections/, "'N threads and M connections'");
  const lat = need(text, /^\s*Latency\s+(\S+)\s+(\S+)\s+(\S+)/m, "'Latency avg stdev max'");
  const total = need(text, /(\d+) requests in (\S+), (\S+) read/, "'N requests in T, S read'");
  const rps = need(text, /^Requests\/sec:\s+([\d.]+)/m, "'Requests/sec:'");
  const percentiles: Record<string, number> = {};
  const dist = /Latency Distribution\n((?:\s+[\d.]+%\s+\S+\n?)+)/.exec(text);
  if (dist) {
    for (const m of dist[1].matchAll(/([\d.]+)%\s+(\S+)/g)) percentiles[m[1]] = parseTimeUs(m[2]);
  }
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(text);
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(text);
  return {
    threads: Number(shape[1]),
    connections: Number(shape[2]),
    requests: Number(total[1]),
    durationS: parseTimeUs(total[2]) / 1e6,
    bytesRead: parseSize(total[3]),
    requestsPerSec: Number(rps[1]),
    latencyUs: { avg: parseTimeUs(lat[1]), stdev: parseTimeUs(lat[2]), max: parseTimeUs(lat[3]) },
    latencyPercentilesUs: percentiles,
    non2xx3xx: non2xx ? Number(non2xx[1]) : 0,
    socketErrors: sock
      ? { connect: Number(sock[1]), read: Number(sock[2]), write: Number(sock[3]), timeout: Number(sock[4]) }
      : { connect: 0, read: 0, write: 0, timeout: 0 },
  };
}

export interface WrkOptions {
  readonly url: string;
  readonly threads: number;
  readonly connections: number;
  readonly durationS: number;
  /** A Lua script (`-s`) and its arguments (after `--`), e.g. the pacing script of fixed-rate runs. */
  readonly script?: { readonly path: string; readonly args: readonly string[] };
}

export interface WrkRun {
  readonly result: WrkResult;
  /** Wall time from spawn to exit, ms (includes wrk's connection set-up). */
  readonly wallMs: number;
  readonly output: string;
}

/**
 * Runs wrk as a child process without blocking the event loop: the harness keeps consuming
 * tracer batches while wrk runs, exactly as an agent would.
 */
export function runWrk(o: WrkOptions): Promise<WrkRun> {
  // wrk reports a script it cannot open and then runs without it: a paced run would go flat out.
  if (o.script && !fs.existsSync(o.script.path)) {
    return Promise.reject(new Error(`wrk script ${o.script.path} not found: run the benchmark from the socktap package (bench/lua is part of it)`));
  }
  const args = ['-t', String(o.threads), '-c', String(o.connections), '-d', `${o.durationS}s`, '--latency'];
  if (o.script) args.push('-s', o.script.path);
  args.push(o.url);
  if (o.script) args.push('--', ...o.script.args);
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn('wrk', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.once('error', (e) => reject(new Error(`cannot run wrk (${e.message}): run \`npm run setup\` to install it`)));
    child.once('exit', (code, sig) => {
      const wallMs = performance.now() - t0;
      if (code !== 0) return reject(new Error(`wrk ${args.join(' ')} exited ${code ?? sig}: ${err || out}`));
      try {
        resolve({ result: parseWrkOutput(out), wallMs, output: out });
      } catch (e) {
        reject(e);
      }
    });
  });
}
