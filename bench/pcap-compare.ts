/**
 * What users would pick instead: packet capture of the same traffic. nginx (one worker) serves a
 * small JSON file to wrk paced at fixed rates (bench/lua/paced.lua), and at each rate the same
 * traffic is watched in turn by nothing (the baseline), by `socktap run --pid <worker>` exporting
 * to a discarding reader, by tshark decoding HTTP live on `lo`, and by tcpdump writing the raw
 * packets to a file that tshark decodes afterwards. Per tool: its CPU per served request (live,
 * and for tcpdump the deferred decode apart), the exchanges it saw against those nginx served, its
 * own drop counters, and the nginx worker's CPU per request (socktap's tracepoints run inside
 * nginx's syscalls; a packet tap runs in the kernel's network path).
 *
 *   npm run bench:pcap -- --rates 1000,5000 --duration 15
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { packageRoot } from '../agent/capture/native';
import { intFlag, parseFlags, UsageError } from './lib/args';
import { nginxRequests, startAgentProcess, startLineCounter } from './lib/agent-process';
import { benchmarkMain, fix, int } from './lib/alternation';
import { ratioChartSvg, type ChartBar } from './lib/chart-svg';
import { connectionsFor, parsePacedRates } from './lib/pacing';
import { processCpuUs, reapedChildrenCpuUs } from './lib/cpu';
import { machineFacts, type MachineFacts } from './lib/machine';
import { startNginx, type Nginx } from './lib/nginx';
import { childrenOf, sleep, start, statusKiB, type Proc } from './lib/procs';
import { markdownTable, textTable, writeJson, writeSection } from './lib/report';
import { runWrk, type WrkResult } from './lib/wrk';

const SECTION = 'pcap-compare';
/**
 * libpcap hands packets over in blocks (TPACKET_V3) that the kernel retires after a timeout
 * tcpdump and dumpcap set to 1 s: a capture stopped sooner after the traffic loses the last
 * block (tcpdump then reports "0 packets captured" for a short run). Wait longer than that.
 */
const PCAP_SETTLE_MS = 2000;
const START_TIMEOUT_MS = 20_000;
/** Longest wait for tshark's "Capture started." after "Capturing on" (see tsharkSession). */
const TSHARK_STARTED_WAIT_MS = 3000;

export const TOOLS = ['none', 'socktap', 'tshark', 'tcpdump'] as const;
export type Tool = (typeof TOOLS)[number];

const USAGE = `usage: npm run bench:pcap -- [flags]      (or: node dist/bench/pcap-compare.js [flags])

  --rates LIST      request rates per second, comma-separated             [1000,5000]
  --duration S      seconds per wrk run                                  [15]
  --interval MS     pause of each connection after a response; connections = rate x MS / 1000  [10]
  --warmup S        seconds of wrk without capture before the first run   [3]
  --tools LIST      what watches the traffic, in this order per rate      [none,socktap,tshark,tcpdump]
  --out PATH        JSON results; the chart goes next to it (.svg)  [bench/results/pcap-compare.json]
  --docs PATH       Markdown file whose pcap-compare section is rewritten [docs/benchmarks.md]

Needs root (socktap loads BPF programs; tshark and tcpdump open lo), nginx, wrk, tshark (with
dumpcap) and tcpdump: \`npm run setup\` installs them.`;

export interface Config {
  readonly rates: readonly number[];
  readonly durationS: number;
  readonly intervalMs: number;
  readonly warmupS: number;
  readonly tools: readonly Tool[];
  readonly out: string;
  readonly docs: string;
  /** The chart of CPU µs per exchange: `out` with `.svg` for `.json`. */
  readonly svg: string;
}

export function parseConfig(argv: readonly string[], root: string): Config | undefined {
  const v = parseFlags(argv, ['rates', 'duration', 'interval', 'warmup', 'tools', 'out', 'docs']);
  if (v.help) return undefined;
  const intervalMs = intFlag(v, 'interval', 10, 1, 1000);
  const text = typeof v.rates === 'string' ? v.rates : '1000,5000';
  const rates = parsePacedRates(text, intervalMs);
  const toolText = typeof v.tools === 'string' ? v.tools : TOOLS.join(',');
  const tools = toolText.split(',').map((t) => t.trim());
  for (const t of tools) {
    if (!(TOOLS as readonly string[]).includes(t)) throw new UsageError(`--tools must be a comma-separated list of ${TOOLS.join(', ')}, got '${toolText}'`);
  }
  if (new Set(tools).size !== tools.length) throw new UsageError(`--tools must name each tool once, got '${toolText}'`);
  const file = (name: string, dflt: string) => path.resolve(root, typeof v[name] === 'string' ? (v[name] as string) : dflt);
  const out = file('out', 'bench/results/pcap-compare.json');
  return {
    rates,
    durationS: intFlag(v, 'duration', 15, 1, 3600),
    intervalMs,
    warmupS: intFlag(v, 'warmup', 3, 0, 3600),
    tools: tools as Tool[],
    out,
    docs: file('docs', 'docs/benchmarks.md'),
    svg: out.replace(/\.json$/, '') + '.svg',
  };
}

export function rerunCommand(c: Config): string {
  return `npm run bench:pcap -- --rates ${c.rates.join(',')} --duration ${c.durationS} --interval ${c.intervalMs} --warmup ${c.warmupS} --tools ${c.tools.join(',')}`;
}

/** What the machine lacks to run the comparison: printed as its message alone, without a stack. */
export class PrerequisiteError extends Error {
  override readonly name = 'PrerequisiteError';
}

// ---------------------------------------------------------------------------------------------
// The commands, as a user would type them.

/** `-d`: tshark decodes HTTP only on its well-known ports unless told the server's port. */
export function tsharkLiveArgs(port: number | string): string[] {
  return ['-i', 'lo', '-f', `tcp port ${port}`, '-d', `tcp.port==${port},http`, '-Y', 'http.response', '-T', 'fields', '-e', 'frame.number'];
}

export function tcpdumpArgs(port: number | string, file: string): string[] {
  return ['-i', 'lo', '-w', file, '-s', '0', `tcp port ${port}`];
}

export function tsharkReadArgs(port: number | string, file: string): string[] {
  return ['-r', file, '-d', `tcp.port==${port},http`, '-Y', 'http.response', '-T', 'fields', '-e', 'frame.number'];
}

/** A command line for the docs: arguments holding spaces in single quotes. */
export function shellLine(cmd: string, args: readonly string[]): string {
  return [cmd, ...args.map((a) => (/\s/.test(a) ? `'${a}'` : a))].join(' ');
}

/**
 * A capture file with no packets: the pcap global header (little-endian, version 2.4, snapshot
 * length 262144, Ethernet link type, as tcpdump writes for lo). `tshark -r` over it costs its
 * start-up alone, which the decode figure leaves out, as it does for the live tools.
 */
export function emptyPcap(): Buffer {
  const b = Buffer.alloc(24);
  b.writeUInt32LE(0xa1b2c3d4, 0);
  b.writeUInt16LE(2, 4);
  b.writeUInt16LE(4, 6);
  b.writeUInt32LE(262144, 16);
  b.writeUInt32LE(1, 20);
  return b;
}

/** Programs each tool needs, beyond nginx and wrk. */
export function programsFor(tools: readonly Tool[]): string[] {
  const need = ['nginx', 'wrk'];
  if (tools.includes('tshark') || tools.includes('tcpdump')) need.push('tshark');
  if (tools.includes('tshark')) need.push('dumpcap');
  if (tools.includes('tcpdump')) need.push('tcpdump');
  return need;
}

/** The error for programs not found on PATH; undefined when none is missing. */
export function missingProgramsMessage(missing: readonly string[]): string | undefined {
  if (missing.length === 0) return undefined;
  // dumpcap is tshark's capture helper, in the packages tshark depends on.
  const packages = [...new Set(missing.map((p) => (p === 'dumpcap' ? 'tshark' : p)))];
  return `${missing.join(', ')} not found: install ${packages.join(' and ')} with \`npm run setup\``;
}

function checkPrograms(tools: readonly Tool[]): void {
  // `-v` / `--version`: each of these prints its version and exits 0 without touching an interface.
  const flag: Record<string, string> = { nginx: '-v', wrk: '-v', tshark: '-v', dumpcap: '-v', tcpdump: '--version' };
  const missing = programsFor(tools).filter((p) => (spawnSync(p, [flag[p]!], { stdio: 'ignore' }).error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT');
  const msg = missingProgramsMessage(missing);
  if (msg) throw new PrerequisiteError(msg);
}

// ---------------------------------------------------------------------------------------------
// Parsing what the tools print.

/** Non-empty lines: tshark's `-T fields -e frame.number` prints one per decoded HTTP response. */
export function countLines(text: string): number {
  let n = 0;
  for (const line of text.split('\n')) if (line.trim() !== '') n++;
  return n;
}

export interface TsharkExit {
  /** "N packets captured": with `-Y`, the packets that passed the display filter; null if not printed. */
  readonly captured: number | null;
  /** "N packets dropped [from IFACE]", summed over interfaces; tshark prints it only when non-zero. */
  readonly dropped: number;
}

export function parseTsharkExit(stderr: string): TsharkExit {
  const captured = /^(\d+) packets? captured$/m.exec(stderr);
  let dropped = 0;
  for (const m of stderr.matchAll(/^(\d+) packets? dropped(?: from .*)?$/gm)) dropped += Number(m[1]);
  return { captured: captured ? Number(captured[1]) : null, dropped };
}

export interface TcpdumpExit {
  /** Packets written to the file. On `lo` each packet passes the filter twice (out and in); libpcap keeps one. */
  readonly captured: number;
  readonly receivedByFilter: number;
  readonly droppedByKernel: number;
  /** "dropped by interface", printed by some libpcap versions; 0 when absent. */
  readonly droppedByInterface: number;
}

export function parseTcpdumpExit(stderr: string): TcpdumpExit {
  const need = (re: RegExp, what: string): number => {
    const m = re.exec(stderr);
    if (!m) throw new Error(`tcpdump printed no '${what}' line at exit: ${stderr.slice(-1000)}`);
    return Number(m[1]);
  };
  const iface = /^(\d+) packets? dropped by interface$/m.exec(stderr);
  return {
    captured: need(/^(\d+) packets? captured$/m, 'N packets captured'),
    receivedByFilter: need(/^(\d+) packets? received by filter$/m, 'N packets received by filter'),
    droppedByKernel: need(/^(\d+) packets? dropped by kernel$/m, 'N packets dropped by kernel'),
    droppedByInterface: iface ? Number(iface[1]) : 0,
  };
}


function peakRssMiB(pids: readonly number[]): number {
  let kb = 0;
  for (const pid of pids) kb += statusKiB(pid, 'VmHWM') || 0; // NaN: exited
  return kb / 1024;
}

function cpuOf(pids: readonly number[]): number {
  let us = 0;
  for (const pid of pids) {
    try {
      us += processCpuUs(pid);
    } catch {
      // exited
    }
  }
  return us;
}

// ---------------------------------------------------------------------------------------------
// Measuring.

/** One tool watching one rate's traffic. CPU figures are µs over the whole run, per-request ones derive from them. */
export interface ToolRun {
  readonly tool: Tool;
  readonly rate: number;
  readonly connections: number;
  readonly wrk: WrkResult;
  /** nginx's own count (stub_status) of the requests it served during the run. */
  readonly served: number;
  /** Exchanges the tool produced: lines at socktap's sink, HTTP responses tshark decoded. Null for `none`. */
  readonly seen: number | null;
  /** The tool's own loss counters: packets dropped (tshark, tcpdump), EventLost + queue drops (socktap). */
  readonly drops: number | null;
  /** The tool's CPU from wrk's start until it had handled everything (socktap: the sink went quiet; tshark, tcpdump: exit). */
  readonly toolCpuUs: number;
  /** The tool's CPU before wrk started (process start, BPF load, dissector registration), apart. */
  readonly startupCpuUs: number;
  /** tcpdump only: `tshark -r` over the file afterwards, less the same command's CPU over an empty file. */
  readonly decodeCpuUs: number | null;
  /** tcpdump only: `tshark -r` over an empty file (its start-up and exit), apart. */
  readonly decodeStartupCpuUs: number | null;
  readonly fileBytes: number | null;
  /** tcpdump only: packets written to the file. */
  readonly packets: number | null;
  /** Peak RSS of the tool's processes at stop (tshark + dumpcap summed). */
  readonly peakRssMiB: number | null;
  /** From the stop signal to the tool's exit: tshark's backlog shows here. */
  readonly stopMs: number | null;
  readonly nginxCpuUs: number;
  /** Counters the tool printed (socktap's stats line, tshark / tcpdump exit lines). */
  readonly details: Record<string, number | null>;
}

/** A capture running during wrk: `cpuUs()` is sampled when wrk starts, `finish()` stops it once wrk is done. */
interface Session {
  cpuUs(): number;
  finish(cpuAtStartUs: number): Promise<Omit<ToolRun, 'tool' | 'rate' | 'connections' | 'wrk' | 'served' | 'nginxCpuUs' | 'startupCpuUs'>>;
}

interface Context {
  readonly nginx: Nginx;
  readonly dir: string;
}

const scriptPath = () => path.join(packageRoot(), 'bench', 'lua', 'paced.lua');

function paced(nginx: Nginx, connections: number, intervalMs: number, durationS: number) {
  return runWrk({ url: nginx.url, threads: 1, connections, durationS, script: { path: scriptPath(), args: [String(intervalMs)] } });
}

const NONE_RESULT = { seen: null, drops: null, decodeCpuUs: null, decodeStartupCpuUs: null, fileBytes: null, packets: null, peakRssMiB: null, stopMs: null, details: {} };

async function waitFor(proc: Proc, re: RegExp, what: string): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (!re.test(proc.stderr())) {
    if (proc.child.exitCode !== null || proc.child.signalCode !== null || Date.now() > deadline) {
      throw new Error(`${what} did not start capturing (waited for ${re}): ${proc.stderr().slice(-2000)}`);
    }
    await sleep(20);
  }
}

/** Stops a capture tool with SIGINT (its normal end, with its exit report) and returns its whole-life CPU. */
async function stopTool(proc: Proc, name: string): Promise<{ lifeCpuUs: number; stopMs: number }> {
  const c0 = reapedChildrenCpuUs();
  const t0 = performance.now();
  const code = await proc.kill('SIGINT');
  const stopMs = performance.now() - t0;
  if (code !== 0) throw new Error(`${name} exited ${code}: ${proc.stderr().slice(-2000)}`);
  return { lifeCpuUs: reapedChildrenCpuUs() - c0, stopMs };
}

async function socktapSession(ctx: Context): Promise<Session> {
  const socket = path.join(ctx.dir, 'sink.sock');
  const counter = await startLineCounter(socket, `"target":"/${ctx.nginx.fileName}"`);
  const agent = await startAgentProcess(['--pid', String(ctx.nginx.workerPid), '--format', 'none', '--uds', socket, '--stats-interval', '1h']).catch(async (e: unknown) => {
    await counter.close();
    throw e;
  });
  const pid = agent.proc.pid;
  return {
    cpuUs: () => processCpuUs(pid),
    async finish(cpu0) {
      try {
        // Let what is in flight arrive (the reader polls the ring every 50 ms), counting its CPU too.
        for (let last = -1, quiet = 0; quiet < 5; await sleep(100)) {
          quiet = counter.lines() === last ? quiet + 1 : 0;
          last = counter.lines();
        }
        const cpu1 = processCpuUs(pid);
        const rss = peakRssMiB([pid]);
        const t0 = performance.now();
        const stats = await agent.stop();
        const stopMs = performance.now() - t0;
        const lost = (stats.EventLost ?? 0) + (stats.TotalEventsDroppedAtEventQueueLimit ?? 0);
        return { ...NONE_RESULT, seen: counter.lines(), drops: lost, toolCpuUs: cpu1 - cpu0, peakRssMiB: rss, stopMs, details: { ...stats, linesForUrl: counter.matching() } };
      } finally {
        await agent.proc.kill('SIGKILL');
        await counter.close();
      }
    },
  };
}

async function tsharkSession(ctx: Context): Promise<Session> {
  const proc = start('tshark', tsharkLiveArgs(ctx.nginx.port), { stdio: ['ignore', 'pipe', 'pipe'] });
  // "Capturing on" comes before tshark starts dumpcap; "Capture started." once dumpcap has opened the
  // interface and its file. tshark 4.0 logs the latter by default; other versions may not, hence the bound.
  await waitFor(proc, /^Capturing on /m, 'tshark');
  const deadline = Date.now() + TSHARK_STARTED_WAIT_MS;
  while (!/Capture started\./.test(proc.stderr()) && Date.now() < deadline && proc.child.exitCode === null) await sleep(20);
  if (proc.child.exitCode !== null) throw new Error(`tshark exited ${proc.child.exitCode} before capturing: ${proc.stderr().slice(-2000)}`);
  const dumpcap = childrenOf(proc.pid);
  const pids = [proc.pid, ...dumpcap];
  return {
    cpuUs: () => cpuOf(pids),
    async finish(cpu0) {
      try {
        await sleep(PCAP_SETTLE_MS);
        const beforeStop = cpuOf(pids);
        const rss = peakRssMiB(pids);
        const { lifeCpuUs, stopMs } = await stopTool(proc, 'tshark');
        const exit = parseTsharkExit(proc.stderr());
        // The reaped figure holds dumpcap only if tshark waited for it; /proc before the stop is the floor.
        const toolCpuUs = Math.max(lifeCpuUs, beforeStop) - cpu0;
        return { ...NONE_RESULT, seen: countLines(proc.stdout()), drops: exit.dropped, toolCpuUs, peakRssMiB: rss, stopMs, details: { ...exit, dumpcapPids: dumpcap.length, lifeCpuUs, beforeStopCpuUs: beforeStop } };
      } finally {
        await proc.kill('SIGKILL');
      }
    },
  };
}

async function tcpdumpSession(ctx: Context): Promise<Session> {
  const file = path.join(ctx.dir, 'capture.pcap');
  fs.rmSync(file, { force: true });
  const proc = start('tcpdump', tcpdumpArgs(ctx.nginx.port, file), { stdio: ['ignore', 'pipe', 'pipe'] });
  await waitFor(proc, /listening on lo/, 'tcpdump');
  return {
    cpuUs: () => cpuOf([proc.pid]),
    async finish(cpu0) {
      try {
        await sleep(PCAP_SETTLE_MS);
        const beforeStop = cpuOf([proc.pid]);
        const rss = peakRssMiB([proc.pid]);
        const { lifeCpuUs, stopMs } = await stopTool(proc, 'tcpdump');
        const exit = parseTcpdumpExit(proc.stderr());
        const fileBytes = fs.statSync(file).size;
        const decode = await decodeFile(ctx.nginx.port, file);
        const empty = path.join(ctx.dir, 'empty.pcap');
        fs.writeFileSync(empty, emptyPcap());
        const startup = await decodeFile(ctx.nginx.port, empty);
        return {
          seen: decode.responses,
          drops: exit.droppedByKernel + exit.droppedByInterface,
          toolCpuUs: Math.max(lifeCpuUs, beforeStop) - cpu0,
          decodeCpuUs: decode.cpuUs - startup.cpuUs,
          decodeStartupCpuUs: startup.cpuUs,
          fileBytes,
          packets: exit.captured,
          peakRssMiB: rss,
          stopMs,
          details: { ...exit, lifeCpuUs, beforeStopCpuUs: beforeStop },
        };
      } finally {
        await proc.kill('SIGKILL');
        fs.rmSync(file, { force: true });
      }
    },
  };
}

/** `tshark -r` over `file`: HTTP responses decoded and the process's whole-life CPU. */
async function decodeFile(port: number, file: string): Promise<{ responses: number; cpuUs: number }> {
  const c0 = reapedChildrenCpuUs();
  const decoder = start('tshark', tsharkReadArgs(port, file), { stdio: ['ignore', 'pipe', 'pipe'] });
  const code = await decoder.exited;
  const cpuUs = reapedChildrenCpuUs() - c0;
  if (code !== 0) throw new Error(`tshark ${tsharkReadArgs(port, file).join(' ')} exited ${code}: ${decoder.stderr().slice(-2000)}`);
  return { responses: countLines(decoder.stdout()), cpuUs };
}

function startSession(tool: Tool, ctx: Context): Promise<Session> {
  switch (tool) {
    case 'none':
      return Promise.resolve({ cpuUs: () => 0, finish: async () => ({ ...NONE_RESULT, toolCpuUs: 0 }) });
    case 'socktap':
      return socktapSession(ctx);
    case 'tshark':
      return tsharkSession(ctx);
    case 'tcpdump':
      return tcpdumpSession(ctx);
  }
}

async function measure(tool: Tool, rate: number, ctx: Context, c: Config): Promise<ToolRun> {
  const { nginx } = ctx;
  const statusUrl = nginx.statusUrl;
  const connections = connectionsFor(rate, c.intervalMs);
  // Read before the capture starts and after it ended, so no tool sees the status requests.
  const before = await nginxRequests(statusUrl);
  const session = await startSession(tool, ctx);
  const cpu0 = session.cpuUs();
  const ngx0 = processCpuUs(nginx.workerPid);
  const { result } = await paced(nginx, connections, c.intervalMs, c.durationS);
  const ngx1 = processCpuUs(nginx.workerPid);
  const r = await session.finish(cpu0);
  // The status request counts itself.
  const served = (await nginxRequests(statusUrl)) - before - 1;
  if (result.requests === 0 || result.non2xx3xx > 0) throw new Error(`wrk at ${rate}/s with ${tool}: ${result.requests} requests, ${result.non2xx3xx} errors`);
  return { tool, rate, connections, wrk: result, served, startupCpuUs: cpu0, nginxCpuUs: ngx1 - ngx0, ...r };
}

// ---------------------------------------------------------------------------------------------
// Reporting.

export const perRequest = (us: number, served: number): number => us / Math.max(1, served);

const dash = '-';

export const HEADER = ['rate/s', 'tool', 'served', 'seen', 'drops', 'CPU µs/exchange', 'decode after µs/exchange', 'start-up CPU ms', 'peak RSS MiB', 'file bytes/exchange', 'nginx µs/req'];

export function rows(runs: readonly ToolRun[]): string[][] {
  return runs.map((r) => [
    int(r.rate),
    r.tool,
    int(r.served),
    r.seen === null ? dash : int(r.seen),
    r.drops === null ? dash : int(r.drops),
    r.tool === 'none' ? dash : fix(perRequest(r.toolCpuUs, r.served)),
    r.decodeCpuUs === null ? dash : fix(perRequest(r.decodeCpuUs, r.served)),
    r.tool === 'none' ? dash : r.decodeStartupCpuUs === null ? fix(r.startupCpuUs / 1000, 0) : `${fix(r.startupCpuUs / 1000, 0)} + ${fix(r.decodeStartupCpuUs / 1000, 0)}`,
    r.peakRssMiB === null ? dash : fix(r.peakRssMiB, 0),
    r.fileBytes === null ? dash : int(r.fileBytes / Math.max(1, r.served)),
    fix(perRequest(r.nginxCpuUs, r.served)),
  ]);
}

function seenText(r: ToolRun): string {
  if (r.seen === null) return '';
  const missing = r.served - r.seen;
  const seen = missing === 0 ? `all ${int(r.served)} exchanges seen` : `${int(r.seen)} of ${int(r.served)} exchanges seen`;
  return `${seen}, ${int(r.drops ?? 0)} ${r.tool === 'socktap' ? 'events lost or dropped' : 'packets dropped'}`;
}

/** One sentence per rate: each tool's CPU per exchange and what it saw; nginx's CPU per request with each. */
export function verdicts(runs: readonly ToolRun[]): string[] {
  const rates = [...new Set(runs.map((r) => r.rate))];
  return rates.map((rate) => {
    const at = runs.filter((r) => r.rate === rate);
    const tools = at
      .filter((r) => r.tool !== 'none')
      .map((r) => {
        const cpu = fix(perRequest(r.toolCpuUs, r.served));
        if (r.tool === 'tcpdump') {
          const per = (x: number | null) => (x ?? 0) / Math.max(1, r.served);
          return `tcpdump ${cpu} µs capturing + ${fix(per(r.decodeCpuUs))} µs decoding afterwards (${fix(per(r.packets), 1)} packets, ${int(per(r.fileBytes))} bytes of pcap per exchange), ${seenText(r)}`;
        }
        return `${r.tool} ${cpu} µs, ${seenText(r)}`;
      });
    const nginx = at.map((r) => `${r.tool} ${fix(perRequest(r.nginxCpuUs, r.served))}`).join(', ');
    return `${int(rate)}/s: ${[...tools, `nginx µs/request ${nginx}`].join('; ')}`;
  });
}

/** An axis end and step for values up to `max`: 1, 2 or 5 times a power of ten, five to ten steps. */
export function niceAxis(max: number): { axisMax: number; tickStep: number } {
  if (!(max > 0) || !Number.isFinite(max)) return { axisMax: 1, tickStep: 0.2 };
  const raw = max / 5;
  const pow = 10 ** Math.floor(Math.log10(raw));
  const tickStep = [1, 2, 5, 10].map((m) => m * pow).find((s) => s >= raw)!;
  return { axisMax: Math.ceil(max / tickStep - 1e-9) * tickStep, tickStep };
}

/** A rate as a chart label has room for it: 5000 -> "5k/s", 250 -> "250/s". */
export function shortRate(rate: number): string {
  return rate >= 1000 && rate % 1000 === 0 ? `${rate / 1000}k/s` : `${int(rate)}/s`;
}

/** Bars of the chart: one per tool and rate; tcpdump twice (capture alone, and with the decode afterwards). */
export function chartBars(runs: readonly ToolRun[]): ChartBar[] {
  const bars: ChartBar[] = [];
  const bar = (label: string, v: number) => bars.push({ label, min: v, median: v, max: v });
  for (const r of runs) {
    if (r.tool === 'none') continue;
    const live = perRequest(r.toolCpuUs, r.served);
    bar(`${r.tool} ${shortRate(r.rate)}`, live);
    if (r.tool === 'tcpdump') bar(`tcpdump+decode ${shortRate(r.rate)}`, live + perRequest(r.decodeCpuUs ?? 0, r.served));
  }
  return bars;
}

export function chartSvg(runs: readonly ToolRun[]): string {
  const bars = chartBars(runs);
  const { axisMax, tickStep } = niceAxis(Math.max(0, ...bars.map((b) => b.max)) * 1.05);
  return ratioChartSvg(bars, {
    title: 'CPU per HTTP exchange: socktap vs packet capture',
    axisLabel: 'µs of the tool’s CPU per request nginx served (user + system)',
    axisMax,
    tickStep,
    format: (v) => `${v.toFixed(v < 10 ? 1 : 0)} µs`,
    tickFormat: (v) => `${v.toFixed(tickStep < 1 ? 1 : 0)} µs`,
  });
}

export interface Versions {
  readonly tshark: string;
  readonly tcpdump: string;
  readonly libpcap: string;
}

/** The version lines of tshark and tcpdump from their `-v` / `--version` output. */
export function parseVersions(tsharkV: string, tcpdumpV: string): Versions {
  const tshark = /^TShark \(Wireshark\) (\S+?)\.?(?: |$)/m.exec(tsharkV);
  const tcpdump = /^tcpdump version (\S+)/m.exec(tcpdumpV);
  const libpcap = /^libpcap version (\S+)/m.exec(tcpdumpV);
  return { tshark: tshark ? `tshark ${tshark[1]}` : 'tshark unknown', tcpdump: tcpdump ? `tcpdump ${tcpdump[1]}` : 'tcpdump unknown', libpcap: libpcap ? `libpcap ${libpcap[1]}` : 'libpcap unknown' };
}

function versions(): Versions {
  const out = (cmd: string, args: string[]) => {
    const r = spawnSync(cmd, args, { encoding: 'utf8' });
    return `${r.stdout ?? ''}\n${r.stderr ?? ''}`;
  };
  return parseVersions(out('tshark', ['-v']), out('tcpdump', ['--version']));
}

function markdown(c: Config, m: MachineFacts, v: Versions, nginx: Nginx, runs: readonly ToolRun[]): string {
  const chartLink = path.relative(path.dirname(c.docs), c.svg).split(path.sep).join('/');
  return `## Packet capture of the same traffic (tshark, tcpdump)

What users would pick instead of socktap: capturing the packets. nginx (1 worker, access log off) serves a
${nginx.bodyBytes}-byte JSON file to wrk on loopback, paced by \`bench/lua/paced.lua\` (each connection waits ${c.intervalMs} ms after
every response; connections are kept alive). At each rate the same ${c.durationS} s of traffic is watched in turn by:

- \`none\`: nothing, the baseline for nginx's own CPU;
- \`socktap\`: \`socktap run --pid <worker> --format none --uds <socket>\`, exporting every exchange as a JSON line to a
  reader in the harness that counts and discards them;
- \`tshark\`: \`${shellLine('tshark', tsharkLiveArgs('<port>'))}\`, decoding HTTP live
  on \`lo\` (tshark starts \`dumpcap\`, which captures into a temporary file that tshark reads and dissects);
- \`tcpdump\`: \`${shellLine('tcpdump', tcpdumpArgs('<port>', 'FILE'))}\` (the capture alone), then
  \`${shellLine('tshark', tsharkReadArgs('<port>', 'FILE'))}\` once it stopped.

"served" is nginx's own count (\`stub_status\`, read before the capture started and after it stopped). "seen" is what the
tool produced: lines at socktap's sink, HTTP responses tshark decoded. CPU per exchange is user + system time
(/proc; for tshark, tshark plus dumpcap) from wrk's start until the tool had handled everything (socktap: its sink went
quiet; tshark and tcpdump: their exit after SIGINT, which includes decoding any backlog), divided by the requests nginx
served. Start-up (process start, BPF load, dissector registration) is apart; for tcpdump it reads "capture +
decode", the decode's being the same \`tshark -r\` over a capture file with no packets, which the decode figure
leaves out. Drops are the tools' own counters: the "packets dropped" tshark and tcpdump
print at exit, socktap's \`EventLost\` plus queue drops. nginx µs/request is the worker's CPU over the wrk run.

**Result:** ${verdicts(runs).join('; ')}.

${markdownTable(HEADER, rows(runs))}

![CPU µs per exchange per tool](${chartLink})

What this compares, and what it does not:

- Where the cost lands. socktap's tracepoints run inside nginx's own system calls, so part of its cost is in nginx's
  µs/request (compare with \`none\`); its agent process then parses and exports. A packet capture's kernel side (its
  filter, and the copy of each packet to its socket) runs in the network path, on loopback mostly inside the sending
  process's system calls, so what it costs there shows in nginx's µs/request too; the decoding runs in tshark's own
  processes.
- What is seen. A packet capture needs the interface and a filter on addresses and ports: it sees every process that
  talks on that port, and it reassembles TCP from the packets itself: a packet dropped before the capture read it is a
  gap in the stream. socktap selects processes (here \`--pid\`) and reads the bytes each passed to its system calls. On a
  TLS port a packet capture sees ciphertext; socktap reads plaintext at the OpenSSL calls (see the TLS capture section).
- What comes out. tshark here prints one frame number per HTTP response, the least output that still gives a line per
  decoded response; socktap emits the full exchange record (request and response, headers, body) as JSON.
  tcpdump defers all decoding: live it only captures, the file grows by the bytes per exchange in the table, and the
  decode is paid afterwards.

Machine: kernel \`${m.kernel}\`, ${m.cpuModel}, nproc ${m.nproc}, ${m.memGiB} GiB, node ${m.node}, ${m.nginx}, ${m.wrk}, ${v.tshark}, ${v.tcpdump} (${v.libpcap}); run ${m.date}.

Rerun: \`sudo ${rerunCommand(c)}\` (JSON: \`${path.relative(packageRoot(), c.out)}\`, chart: \`${path.relative(packageRoot(), c.svg)}\`).`;
}

function progress(r: ToolRun): string {
  const cpu = r.tool === 'none' ? '' : ` ${fix(perRequest(r.toolCpuUs, r.served))} µs/exchange${r.decodeCpuUs === null ? '' : ` + ${fix(perRequest(r.decodeCpuUs, r.served))} µs decoding after`},`;
  const seen = r.seen === null ? '' : ` seen ${int(r.seen)}/${int(r.served)}, drops ${int(r.drops ?? 0)},`;
  return `${int(r.rate)}/s ${r.tool.padEnd(7)} ${int(r.wrk.requestsPerSec)} req/s done,${cpu}${seen} nginx ${fix(perRequest(r.nginxCpuUs, r.served))} µs/req`;
}

async function main(): Promise<void> {
  const root = packageRoot();
  const c = parseConfig(process.argv.slice(2), root);
  if (!c) {
    console.log(USAGE);
    return;
  }
  if (process.getuid?.() !== 0) throw new PrerequisiteError('pcap-compare needs root: socktap loads BPF programs, dumpcap and tcpdump open lo; run it with sudo');
  checkPrograms(c.tools);
  // Both spawn helpers (getconf) once, before any reaped-children sample.
  processCpuUs(process.pid);
  reapedChildrenCpuUs();
  const machine = machineFacts();
  const v = versions();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'socktap-bench-pcap-'));
  process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  const nginx = await startNginx();
  const ctx: Context = { nginx, dir };
  try {
    console.log(`nginx worker ${nginx.workerPid} serving ${nginx.url} (${nginx.bodyBytes} bytes); pacing ${c.intervalMs} ms per connection; ${v.tshark}, ${v.tcpdump}`);
    if (c.warmupS > 0) {
      await paced(nginx, connectionsFor(c.rates[0]!, c.intervalMs), c.intervalMs, c.warmupS);
      console.log(`warm-up done (${c.warmupS} s at ${c.rates[0]}/s, no capture)`);
    }
    const runs: ToolRun[] = [];
    for (const rate of c.rates) {
      for (const tool of c.tools) {
        await sleep(500);
        const r = await measure(tool, rate, ctx, c);
        runs.push(r);
        console.log(progress(r));
      }
    }
    console.log(`\n${textTable(HEADER, rows(runs))}\n\n${verdicts(runs).join('\n')}`);
    writeJson(c.out, { benchmark: SECTION, command: rerunCommand(c), machine: { ...machine, ...v }, config: { ...c, bodyBytes: nginx.bodyBytes }, runs });
    fs.writeFileSync(c.svg, chartSvg(runs));
    writeSection(c.docs, '# socktap benchmarks', SECTION, markdown(c, machine, v, nginx, runs));
    const rel = (p: string) => path.relative(process.cwd(), p);
    console.log(`wrote ${rel(c.out)}, ${rel(c.svg)} and the ${SECTION} section of ${rel(c.docs)}`);
  } finally {
    await nginx.stop();
  }
}

if (require.main === module) benchmarkMain(main, USAGE, (e) => (e instanceof PrerequisiteError ? `error: ${e.message}` : e));
