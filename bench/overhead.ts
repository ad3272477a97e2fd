/**
 * Overhead at saturation: what each layer of a capture costs a busy server, against floors that
 * tell the machine's cost apart from socktap's.
 *
 * nginx (one worker) serves a small JSON file to wrk on loopback. Every round runs wrk once per
 * variant, the order rotated each round so no variant always runs first:
 *
 *   none          no agent
 *   empty         empty BPF programs on socktap's 30 syscall tracepoints: the hook mechanism
 *   copy          a minimal C consumer (bench/floor): every payload copied through the ring
 *                 buffer with batched wakeups, read every 50 ms and discarded: the floor of capture
 *   socktap-uds   socktap run --pid <worker> --format none --uds <socket>, to a discarding reader
 *   socktap-otlp  socktap run --pid <worker> --format none --otlp <url>, to a discarding receiver
 *
 * Reported per variant: throughput ratio against the same round's `none` (min / median / max),
 * nginx's CPU per request (tracepoint programs run in the traced syscalls, so in-kernel cost lands
 * there), the consumer process's CPU per request, and losses.
 *
 *   npm run bench:overhead -- --rounds 5 --duration 10      (see bench/README.md)
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { packageRoot } from '../agent/capture/native';
import { intFlag, parseFlags, UsageError } from './lib/args';
import { measureAgent, startLineCounter, type AgentRun } from './lib/agent-process';
import { benchmarkMain, fix, int, pct } from './lib/alternation';
import { ratioChartSvg, type ChartBar } from './lib/chart-svg';
import { busyFraction, processCpuByPid, processCpuUs, systemCpu } from './lib/cpu';
import { machineFacts, type MachineFacts } from './lib/machine';
import { startNginx, type Nginx } from './lib/nginx';
import { startOtlpCounter } from './lib/otlp-counter';
import { sleep, start } from './lib/procs';
import { DOCS_TITLE, markdownTable, textTable, writeJson, writeSection } from './lib/report';
import { measureBaseline, type WrkSettings } from './lib/runs';
import { median, summarize, sum, type Summary } from './lib/stats';
import { runWrk, type WrkResult } from './lib/wrk';

/** DESIGN.md §4: the whole agent's throughput target. */
const TARGET_RATIO = 0.9;
const SECTION = 'overhead';
const FLOOR_BIN = 'bench/floor/.output/floor';
/** The loader drains every 50 ms: three periods after wrk ends, everything captured has been read. */
const FLOOR_DRAIN_MS = 150;
const ATTACH_TIMEOUT_MS = 20_000;

export const VARIANTS = ['none', 'rawtp', 'empty', 'copy', 'socktap-uds', 'socktap-otlp'] as const;
export type Variant = (typeof VARIANTS)[number];

const DESCRIPTION: Record<Variant, string> = {
  none: 'no agent',
  rawtp: 'two empty BPF programs on raw_syscalls sys_enter/sys_exit',
  empty: 'empty BPF programs on the same 30 tracepoints',
  copy: 'minimal C consumer: payload copy, batched wakeups',
  'socktap-uds': 'socktap, unix-socket sink',
  'socktap-otlp': 'socktap, OTLP/HTTP export',
};

const CHART_LABEL: Record<Variant, string> = {
  none: 'no agent',
  rawtp: 'empty raw_syscalls',
  empty: 'empty BPF',
  copy: 'copy floor (C)',
  'socktap-uds': 'socktap → unix socket',
  'socktap-otlp': 'socktap → OTLP',
};

export const USAGE = `usage: npm run bench:overhead -- [flags]      (or: node dist/bench/overhead.js [flags])

  --rounds N        rounds of the ${VARIANTS.length} variants (${VARIANTS.join(', ')}),
                    the order rotated each round                               [5]
  --duration S      seconds per wrk run                                        [10]
  --connections C   wrk connections                                            [32]
  --threads T       wrk threads                                                [1]
  --warmup S        seconds of warm-up, once per variant                       [3]
  --out PATH        JSON results; the chart goes next to it (.svg)  [bench/results/overhead.json]
  --docs PATH       Markdown file whose overhead section is rewritten   [docs/benchmarks.md]

Needs root (or CAP_BPF and CAP_PERFMON), nginx and wrk (npm run setup), and the floor loader
(make -C bench/floor; npm run bench:overhead builds it).`;

export interface Config {
  readonly rounds: number;
  readonly warmupS: number;
  readonly wrk: WrkSettings;
  readonly out: string;
  readonly svg: string;
  readonly docs: string;
}

/** The flags as a Config, or undefined for --help. Paths resolve against `root`. */
export function parseConfig(argv: readonly string[], root: string): Config | undefined {
  const v = parseFlags(argv, ['rounds', 'duration', 'connections', 'threads', 'warmup', 'out', 'docs']);
  if (v.help) return undefined;
  const threads = intFlag(v, 'threads', 1, 1, 256);
  const connections = intFlag(v, 'connections', 32, 1, 100_000);
  if (connections < threads) throw new UsageError(`--connections must be at least --threads (${threads}), got ${connections}`);
  const out = path.resolve(root, typeof v.out === 'string' ? v.out : 'bench/results/overhead.json');
  return {
    rounds: intFlag(v, 'rounds', 5, 1, 1000),
    warmupS: intFlag(v, 'warmup', 3, 0, 3600),
    wrk: { threads, connections, durationS: intFlag(v, 'duration', 10, 1, 3600) },
    out,
    svg: out.replace(/\.json$/, '') + '.svg',
    docs: path.resolve(root, typeof v.docs === 'string' ? v.docs : 'docs/benchmarks.md'),
  };
}

export function rerunCommand(c: Config): string {
  return `npm run bench:overhead -- --rounds ${c.rounds} --duration ${c.wrk.durationS} --connections ${c.wrk.connections} --threads ${c.wrk.threads} --warmup ${c.warmupS}`;
}

/** Round `i` (0-based) runs the variants rotated left by i: over as many rounds as variants, each holds every position once. */
export function roundOrder(i: number): Variant[] {
  const k = i % VARIANTS.length;
  return [...VARIANTS.slice(k), ...VARIANTS.slice(0, k)];
}

class PreflightError extends Error {
  override readonly name = 'PreflightError';
}

/** Effective capabilities include CAP_SYS_ADMIN, or CAP_BPF and CAP_PERFMON. */
function hasBpfCapabilities(): boolean {
  const m = /^CapEff:\s*([0-9a-f]+)$/m.exec(fs.readFileSync('/proc/self/status', 'utf8'));
  if (!m) return false;
  const caps = BigInt(`0x${m[1]}`);
  const has = (bit: number) => (caps >> BigInt(bit)) & 1n;
  return has(21) === 1n || (has(38) === 1n && has(39) === 1n);
}

/** Stops before nginx starts, naming what is missing and how to get it. */
function preflight(root: string): void {
  if (process.geteuid?.() !== 0 && !hasBpfCapabilities()) {
    throw new PreflightError('bench:overhead loads BPF programs: run it as root (sudo npm run bench:overhead), or with CAP_BPF and CAP_PERFMON');
  }
  for (const [cmd, args] of [['nginx', ['-v']], ['wrk', ['-v']]] as const) {
    const r = spawnSync(cmd, [...args], { stdio: 'ignore' });
    if ((r.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') throw new PreflightError(`${cmd} not found: run \`npm run setup\` to install nginx and wrk`);
  }
  if (!fs.existsSync(path.join(root, FLOOR_BIN))) {
    throw new PreflightError(`the floor loader ${FLOOR_BIN} is missing: run \`make -C bench/floor\` (npm run bench:overhead builds it)`);
  }
}

/** The floor loader's final line. */
interface FloorCounts {
  /** Ring-buffer records the loader consumed (one per data syscall copied). */
  readonly records: number;
  /** Payload bytes in them. */
  readonly bytes: number;
  /** Records the ring buffer had no room for. */
  readonly lost: number;
}

export interface VariantRun {
  readonly variant: Variant;
  /** 1-based position in its round. */
  readonly position: number;
  readonly wrk: WrkResult;
  /** nginx worker user + sys per request: tracepoint programs run in its syscalls. */
  readonly nginxCpuUsPerRequest: number;
  /** Share of all CPUs busy during the wrk run. */
  readonly machineBusy: number;
  /**
   * The consumer process (floor loader or socktap), user + sys from /proc, over the wrk run and
   * until what it captured was drained; null for `none`. (The empty floor's loader only sleeps.)
   */
  readonly consumerCpuUs: number | null;
  readonly consumerCpuUsPerRequest: number | null;
  /** The consumer's CPU as a share of one core over the wrk run. */
  readonly consumerCoreShare: number | null;
  /** empty and copy: the loader's counts. */
  readonly floor: FloorCounts | null;
  /** socktap variants: exchanges at the sink against nginx's count, the agent's stats. */
  readonly agent: Omit<AgentRun, 'wrk' | 'nginxCpuUsPerRequest' | 'machineBusy'> | null;
  /** socktap-otlp: export requests the receiver answered 200, and those it refused. */
  readonly otlp: { readonly requests: number; readonly refused: number } | null;
  /**
   * CPU of every other process on the machine (not nginx, the consumer, this harness or wrk;
   * kernel threads left out) over the run, as a share of one core: on a shared machine, whether
   * someone else's load fell into this run.
   */
  readonly otherCpuShare: number;
}

export interface Round {
  readonly round: number;
  readonly order: readonly Variant[];
  readonly runs: readonly VariantRun[];
  /** req/s of each variant / req/s of `none`, this round. */
  readonly ratios: Readonly<Record<Variant, number>>;
}

type Measured = Omit<VariantRun, 'variant' | 'position'>;


/** Samples every process's CPU; `share(ours)` is what the others used since, as a share of one core. */
function otherCpu(): { share(ours: readonly number[]): number } {
  const before = processCpuByPid();
  const t0 = performance.now();
  return {
    share(ours) {
      const after = processCpuByPid();
      const wallUs = (performance.now() - t0) * 1e3;
      const skip = new Set([process.pid, ...ours]);
      let us = 0;
      // Processes that exited meanwhile are missed; those that started count in full.
      for (const [pid, cpu] of after) if (!skip.has(pid)) us += cpu - (before.get(pid) ?? 0);
      return us / wallUs;
    },
  };
}

function parseFloorLine(stdout: string): FloorCounts {
  const last = stdout.trim().split('\n').at(-1) ?? '';
  let v: Partial<FloorCounts>;
  try {
    v = JSON.parse(last) as Partial<FloorCounts>;
  } catch {
    throw new Error(`the floor loader's last line must be its counts as JSON, got '${last}'`);
  }
  for (const k of ['records', 'bytes', 'lost'] as const) {
    if (typeof v[k] !== 'number') throw new Error(`the floor loader's counts must have a numeric '${k}', got '${last}'`);
  }
  return v as FloorCounts;
}

async function measureFloor(nginx: Nginx, w: WrkSettings, mode: 'rawtp' | 'empty' | 'copy'): Promise<Measured> {
  const bin = path.join(packageRoot(), FLOOR_BIN);
  const proc = start(bin, mode === 'copy' ? ['copy', String(nginx.workerPid)] : [mode]);
  try {
    const deadline = Date.now() + ATTACH_TIMEOUT_MS;
    while (!proc.stdout().includes('attached\n')) {
      if (proc.child.exitCode !== null || Date.now() > deadline) throw new Error(`${FLOOR_BIN} ${mode} did not attach: ${proc.stderr() || `exit ${proc.child.exitCode}`}`);
      await sleep(20);
    }
    const others = otherCpu();
    const sys0 = systemCpu();
    const ngx0 = processCpuUs(nginx.workerPid);
    const cpu0 = processCpuUs(proc.pid);
    const t0 = performance.now();
    const { result } = await runWrk({ url: nginx.url, ...w });
    const runUs = (performance.now() - t0) * 1e3;
    const ngx1 = processCpuUs(nginx.workerPid);
    const sys1 = systemCpu();
    const otherCpuShare = others.share([nginx.workerPid, nginx.masterPid, proc.pid]);
    await sleep(FLOOR_DRAIN_MS);
    const cpu1 = processCpuUs(proc.pid);
    const code = await proc.kill('SIGINT');
    if (code !== 0) throw new Error(`${FLOOR_BIN} ${mode} exited ${code}: ${proc.stderr()}`);
    const requests = Math.max(1, result.requests);
    return {
      wrk: result,
      nginxCpuUsPerRequest: (ngx1 - ngx0) / requests,
      machineBusy: busyFraction(sys0, sys1),
      consumerCpuUs: cpu1 - cpu0,
      consumerCpuUsPerRequest: (cpu1 - cpu0) / requests,
      consumerCoreShare: (cpu1 - cpu0) / runUs,
      floor: parseFloorLine(proc.stdout()),
      agent: null,
      otlp: null,
      otherCpuShare,
    };
  } finally {
    await proc.kill('SIGKILL');
  }
}

async function measureSocktap(nginx: Nginx, w: WrkSettings, sink: 'uds' | 'otlp'): Promise<Measured> {
  const socket = path.join(os.tmpdir(), `socktap-bench-overhead-${process.pid}.sock`);
  const otlp = sink === 'otlp' ? await startOtlpCounter(`/${nginx.fileName}`) : undefined;
  // From the agent's start to its exit: a wider window than the wrk run, the agent left out.
  let others: ReturnType<typeof otherCpu> | undefined;
  let agentPid = 0;
  const { run } = await measureAgent({
    nginx,
    wrk: w,
    statusUrl: nginx.statusUrl,
    args: ['--pid', String(nginx.workerPid), '--format', 'none', ...(otlp ? ['--otlp', otlp.url] : ['--uds', socket]), '--stats-interval', '1h'],
    openSink: async () => otlp ?? startLineCounter(socket, `"target":"/${nginx.fileName}"`),
    ready: async (a) => {
      agentPid = a.proc.pid;
      others = otherCpu();
    },
  });
  const otherCpuShare = others!.share([nginx.workerPid, nginx.masterPid, agentPid]);
  const { wrk, nginxCpuUsPerRequest, machineBusy, ...agent } = run;
  return {
    wrk,
    nginxCpuUsPerRequest,
    machineBusy,
    consumerCpuUs: run.agentCpuUs,
    consumerCpuUsPerRequest: run.agentCpuUs / Math.max(1, wrk.requests),
    consumerCoreShare: run.agentCoreShare,
    floor: null,
    agent,
    // measureAgent closed the receiver; its counts stay readable.
    otlp: otlp ? { requests: otlp.requests(), refused: otlp.refused() } : null,
    otherCpuShare,
  };
}

async function measure(nginx: Nginx, w: WrkSettings, v: Variant): Promise<Measured> {
  switch (v) {
    case 'none': {
      const others = otherCpu();
      const b = await measureBaseline(nginx, w);
      const otherCpuShare = others.share([nginx.workerPid, nginx.masterPid]);
      return { wrk: b.wrk, nginxCpuUsPerRequest: b.nginxCpuUsPerRequest, machineBusy: b.machineBusy, consumerCpuUs: null, consumerCpuUsPerRequest: null, consumerCoreShare: null, floor: null, agent: null, otlp: null, otherCpuShare };
    }
    case 'rawtp':
    case 'empty':
    case 'copy':
      return measureFloor(nginx, w, v);
    case 'socktap-uds':
      return measureSocktap(nginx, w, 'uds');
    case 'socktap-otlp':
      return measureSocktap(nginx, w, 'otlp');
  }
}

/** Losses of one run, for the tables: '-' where the variant cannot lose anything. */
export function lossText(r: Pick<VariantRun, 'floor' | 'agent' | 'variant'>): string {
  if (r.variant === 'copy' && r.floor) return `${int(r.floor.lost)} lost`;
  if (r.agent) {
    const s = r.agent.stats;
    const dropped = (s.TotalEventsDroppedAtEventQueueLimit ?? 0) + (s.TotalEventsDroppedAtParsing ?? 0);
    return `${int(r.agent.missing)} missing, EventLost ${int(s.EventLost ?? 0)}, dropped ${int(dropped)}`;
  }
  return '-';
}

/** The progress line of a run; `ratio` is undefined until the round's `none` has run. */
function describeRun(r: VariantRun, ratio: number | undefined): string {
  const parts = [`${int(r.wrk.requestsPerSec)} req/s`, ratio === undefined ? 'ratio later' : `${fix(ratio, 3)}x`, `nginx ${fix(r.nginxCpuUsPerRequest)} µs/req`];
  if (r.consumerCpuUsPerRequest !== null) parts.push(`consumer ${fix(r.consumerCpuUsPerRequest)} µs/req`);
  if (r.variant === 'copy' && r.floor) parts.push(`${fix(r.floor.records / Math.max(1, r.wrk.requests))} records/req`);
  if (r.agent) parts.push(`served ${r.agent.served} at sink ${r.agent.atSinkForUrl}`);
  const loss = lossText(r);
  if (loss !== '-') parts.push(loss);
  parts.push(`others ${pct(r.otherCpuShare)} of a core`);
  return parts.join('  ');
}

async function runRound(i: number, c: Config, nginx: Nginx): Promise<Round> {
  const order = roundOrder(i);
  const runs: VariantRun[] = [];
  for (const [k, v] of order.entries()) {
    // A short pause lets the previous run's connections close and the worker go idle.
    await sleep(500);
    runs.push({ variant: v, position: k + 1, ...(await measure(nginx, c.wrk, v)) });
    const none = runs.find((r) => r.variant === 'none');
    const r = runs.at(-1)!;
    console.log(`round ${i + 1}/${c.rounds}  ${k + 1}/${order.length} ${v.padEnd(12)}  ${describeRun(r, none ? r.wrk.requestsPerSec / none.wrk.requestsPerSec : undefined)}`);
  }
  const none = runs.find((r) => r.variant === 'none')!;
  const ratios = Object.fromEntries(VARIANTS.map((v) => [v, runs.find((r) => r.variant === v)!.wrk.requestsPerSec / none.wrk.requestsPerSec])) as Record<Variant, number>;
  return { round: i + 1, order, runs, ratios };
}

export interface VariantSummary {
  readonly variant: Variant;
  readonly ratio: Summary;
  readonly requestsPerSec: Summary;
  readonly nginxCpuUsPerRequest: number;
  /** Medians over rounds of none's nginx µs/request / this variant's: the ratio nginx's own CPU growth alone predicts. */
  readonly nginxCpuPredictedRatio: number;
  readonly consumerCpuUsPerRequest: Summary | null;
  readonly consumerCoreShare: number | null;
  readonly machineBusy: number;
  /** copy: ring-buffer records per request (median) and lost records (sum). */
  readonly recordsPerRequest: number | null;
  readonly payloadBytesPerRequest: number | null;
  readonly lost: number | null;
  /** socktap: served vs arrived, and the agent's loss counters, summed over rounds. */
  readonly served: number | null;
  readonly atSink: number | null;
  readonly missing: number | null;
  readonly counters: Readonly<Record<string, number>> | null;
}

const COUNTERS = ['TotalRequestsParsed', 'TotalRequestsSent', 'EventLost', 'ReqParsingErrors', 'ResParsingErrors', 'TotalEventsDroppedAtEventQueueLimit', 'TotalEventsDroppedAtParsing'] as const;

export function summarizeVariant(rounds: readonly Round[], v: Variant): VariantSummary {
  const runs = rounds.map((r) => r.runs.find((x) => x.variant === v)!);
  const nones = rounds.map((r) => r.runs.find((x) => x.variant === 'none')!);
  const consumer = runs.map((r) => r.consumerCpuUsPerRequest).filter((x): x is number => x !== null);
  const share = runs.map((r) => r.consumerCoreShare).filter((x): x is number => x !== null);
  const floors = runs.filter((r) => r.floor !== null);
  const agents = runs.map((r) => r.agent).filter((a): a is NonNullable<VariantRun['agent']> => a !== null);
  const copy = v === 'copy' && floors.length > 0;
  return {
    variant: v,
    ratio: summarize(rounds.map((r) => r.ratios[v])),
    requestsPerSec: summarize(runs.map((r) => r.wrk.requestsPerSec)),
    nginxCpuUsPerRequest: median(runs.map((r) => r.nginxCpuUsPerRequest)),
    nginxCpuPredictedRatio: median(runs.map((r, k) => nones[k].nginxCpuUsPerRequest / r.nginxCpuUsPerRequest)),
    consumerCpuUsPerRequest: consumer.length > 0 ? summarize(consumer) : null,
    consumerCoreShare: share.length > 0 ? median(share) : null,
    machineBusy: median(runs.map((r) => r.machineBusy)),
    recordsPerRequest: copy ? median(floors.map((r) => r.floor!.records / Math.max(1, r.wrk.requests))) : null,
    payloadBytesPerRequest: copy ? median(floors.map((r) => r.floor!.bytes / Math.max(1, r.wrk.requests))) : null,
    lost: copy ? sum(floors.map((r) => r.floor!.lost)) : null,
    served: agents.length > 0 ? sum(agents.map((a) => a.served)) : null,
    atSink: agents.length > 0 ? sum(agents.map((a) => a.atSinkForUrl)) : null,
    missing: agents.length > 0 ? sum(agents.map((a) => a.missing)) : null,
    counters: agents.length > 0 ? Object.fromEntries(COUNTERS.map((k) => [k, sum(agents.map((a) => a.stats[k] ?? 0))])) : null,
  };
}

/** Losses over all rounds, for the summary table. */
export function summaryLoss(s: VariantSummary): string {
  if (s.lost !== null) return `${int(s.lost)} records lost`;
  if (s.missing !== null && s.served !== null && s.counters) {
    const dropped = s.counters.TotalEventsDroppedAtEventQueueLimit + s.counters.TotalEventsDroppedAtParsing;
    return `${int(s.missing)} of ${int(s.served)} missing (EventLost ${int(s.counters.EventLost)}, dropped ${int(dropped)})`;
  }
  return '-';
}

const SUMMARY_HEADER = ['variant', 'ratio min', 'ratio median', 'ratio max', 'req/s median', 'nginx µs/req', 'ratio nginx CPU predicts', 'consumer µs/req', 'consumer core', 'losses'];

function summaryRows(ss: readonly VariantSummary[]): string[][] {
  return ss.map((s) => [
    s.variant,
    s.variant === 'none' ? '-' : `${fix(s.ratio.min, 3)}x`,
    s.variant === 'none' ? '1x' : `${fix(s.ratio.median, 3)}x`,
    s.variant === 'none' ? '-' : `${fix(s.ratio.max, 3)}x`,
    int(s.requestsPerSec.median),
    fix(s.nginxCpuUsPerRequest),
    s.variant === 'none' ? '-' : `${fix(s.nginxCpuPredictedRatio, 3)}x`,
    s.consumerCpuUsPerRequest === null ? '-' : fix(s.consumerCpuUsPerRequest.median),
    s.consumerCoreShare === null ? '-' : pct(s.consumerCoreShare),
    summaryLoss(s),
  ]);
}

const ROUND_HEADER = ['round', 'position', 'variant', 'req/s', 'ratio', 'nginx µs/req', 'consumer µs/req', 'other processes', 'losses'];

function roundRows(rounds: readonly Round[]): string[][] {
  return rounds.flatMap((rd) =>
    VARIANTS.map((v) => {
      const r = rd.runs.find((x) => x.variant === v)!;
      return [String(rd.round), String(r.position), v, int(r.wrk.requestsPerSec), fix(rd.ratios[v], 3), fix(r.nginxCpuUsPerRequest), r.consumerCpuUsPerRequest === null ? '-' : fix(r.consumerCpuUsPerRequest), pct(r.otherCpuShare), lossText(r)];
    }),
  );
}

/** How much of a core other processes took during the runs: the shared machine's interference. */
export function othersLine(rounds: readonly Round[]): string {
  const shares = rounds.flatMap((r) => r.runs.map((x) => x.otherCpuShare));
  return `Other processes on the machine (all but nginx, wrk, the consumer and the harness; kernel threads left out) used a median ${pct(median(shares))} and at most ${pct(Math.max(...shares))} of a core during the runs`;
}

function verdicts(ss: readonly VariantSummary[]): string[] {
  return ss
    .filter((s) => s.variant !== 'none')
    .map((s) => {
      const r = s.ratio.median;
      return `${s.variant} ${fix(r, 3)}x (${DESCRIPTION[s.variant]}): ${r >= TARGET_RATIO ? 'at or above' : `${fix((TARGET_RATIO - r) * 100, 1)} points below`} the ${fix(TARGET_RATIO)}x target`;
    });
}

/** The chart of the measured ratios: every variant but `none`, whose ratio is 1 by definition. */
export function chart(ss: readonly VariantSummary[], rounds: number): string {
  const bars: ChartBar[] = ss.filter((s) => s.variant !== 'none').map((s) => ({ label: CHART_LABEL[s.variant], ...s.ratio }));
  const top = Math.max(...bars.map((b) => b.max));
  return ratioChartSvg(bars, {
    title: `nginx throughput vs no agent: min, median, max over ${rounds} round${rounds === 1 ? '' : 's'}`,
    axisLabel: 'req/s with the variant / req/s with no agent, same round',
    axisMax: Math.max(1.1, Math.ceil(top * 10) / 10),
    target: { value: TARGET_RATIO, label: `target ${fix(TARGET_RATIO)}x` },
  });
}

function markdown(c: Config, m: MachineFacts, nginx: Nginx, rounds: readonly Round[], ss: readonly VariantSummary[]): string {
  const copy = ss.find((s) => s.variant === 'copy')!;
  const image = path.relative(path.dirname(c.docs), c.svg).split(path.sep).join('/');
  const counters = ss
    .filter((s) => s.counters)
    .map((s) => `${s.variant}: ${COUNTERS.map((k) => `${k} ${int(s.counters![k])}`).join(', ')}`)
    .join('; ');
  const otlp = rounds.flatMap((r) => r.runs).filter((r) => r.otlp);
  return `## Overhead at saturation: floors and socktap

nginx (1 worker, access log off) serves a ${nginx.bodyBytes}-byte JSON file to \`wrk -t${c.wrk.threads} -c${c.wrk.connections} -d${c.wrk.durationS}s\` on loopback.
Each of ${c.rounds} round${c.rounds === 1 ? '' : 's'} runs wrk once per variant, the order rotated by one each round (over ${VARIANTS.length} rounds every
variant runs once in every position), after a ${c.warmupS} s warm-up of each variant:

${VARIANTS.map((v) => `- \`${v}\`: ${variantMethod(v)}`).join('\n')}

The throughput ratio is the variant's req/s over the same round's \`none\`. Tracepoint programs run inside the traced
syscalls, so their cost shows in the nginx worker's CPU per request (/proc, user + system); with the one worker saturating
its core, none's figure over the variant's is the ratio that in-kernel cost alone predicts. The consumer's CPU is the
user + system time of the loader or agent process over the wrk run and until what it captured was drained, per request
wrk completed. Target (DESIGN.md §4): the whole agent at >= ${fix(TARGET_RATIO)}x.

**Result:** ${verdicts(ss).join('; ')}.

![nginx throughput ratio per variant, min to max with the median labelled, and the ${fix(TARGET_RATIO)}x target](${image})

${markdownTable(SUMMARY_HEADER, summaryRows(ss))}

The copy floor moved ${fix(copy.recordsPerRequest ?? 0)} ring-buffer records and ${int(copy.payloadBytesPerRequest ?? 0)} payload bytes per request (medians).
Agent counters summed over the runs: ${counters}.
${otlp.length > 0 ? `OTLP export requests answered: ${int(sum(otlp.map((r) => r.otlp!.requests)))}, refused: ${int(sum(otlp.map((r) => r.otlp!.refused)))}.` : ''}
${othersLine(rounds)} (per run in the table below).

Per round:

${markdownTable(ROUND_HEADER, roundRows(rounds))}

Machine: kernel \`${m.kernel}\`, ${m.cpuModel}, nproc ${m.nproc}, ${m.memGiB} GiB, node ${m.node}, ${m.nginx}, ${m.wrk}; run ${m.date}.

Rerun: \`${rerunCommand(c)}\` (JSON: \`${path.relative(packageRoot(), c.out)}\`, chart: \`${path.relative(packageRoot(), c.svg)}\`).`;
}

function variantMethod(v: Variant): string {
  switch (v) {
    case 'none':
      return 'no agent.';
    case 'rawtp':
      return '`bench/floor` loads two programs that return 0 on the `raw_syscalls` `sys_enter` and `sys_exit` tracepoints: they run for every syscall of every process, so they are no capture design, but they are the least any syscall-tracepoint design can cost: enabling syscall tracing at all sends every syscall through the kernel\'s tracing entry and exit work.';
    case 'empty':
      return "`bench/floor` loads programs that return 0 on the 30 syscall tracepoints socktap attaches (enter and exit of accept, accept4, connect, close, read, write, readv, writev, sendto, recvfrom, sendmsg, recvmsg, sendmmsg, recvmmsg, sendfile64): the cost of the hook mechanism.";
    case 'copy':
      return '`bench/floor` with the minimal capture on the same tracepoints: one tgid compare; at entry the fd and buffer (iovec, msghdr) pointer in task storage; at exit of read, write, recvfrom, sendto min(ret, 16 KiB) bytes, and of readv, writev, recvmsg, sendmsg those of the first iovec segment, copied into an 8 MiB ring buffer through a per-CPU scratch record with `BPF_RB_NO_WAKEUP`; the C loader drains it every 50 ms with `ring_buffer__consume` and discards the records. No connection tracking, socket checks, stream positions, open/close events or sendfile records (socktap has all of them).';
    case 'socktap-uds':
      return '`socktap run --pid <worker> --format none --uds <socket>`, every exchange as a JSON line to a reader in the harness that counts and discards them (as the full-pipeline benchmark).';
    case 'socktap-otlp':
      return "`socktap run --pid <worker> --format none --otlp http://127.0.0.1:<port>`: one span per exchange, OTLP/JSON over HTTP, to a receiver in the harness that counts the spans in each body without decoding it and answers 200 `{}`.";
  }
}

async function main(): Promise<void> {
  const root = packageRoot();
  const c = parseConfig(process.argv.slice(2), root);
  if (!c) {
    console.log(USAGE);
    return;
  }
  preflight(root);
  const machine = machineFacts();
  processCpuUs(process.pid); // cpu.ts asks getconf once: not inside a measured run
  const nginx = await startNginx();
  try {
    console.log(`nginx worker ${nginx.workerPid} serving ${nginx.url} (${nginx.bodyBytes} bytes)`);
    console.log(`${machine.cpuModel}, ${machine.nproc} CPUs, kernel ${machine.kernel}, node ${machine.node}, ${machine.nginx}, ${machine.wrk}`);
    if (c.warmupS > 0) {
      for (const v of VARIANTS) await measure(nginx, { ...c.wrk, durationS: c.warmupS }, v);
      console.log(`warm-up done (${c.warmupS} s per variant)`);
    }
    const rounds: Round[] = [];
    for (let i = 0; i < c.rounds; i++) rounds.push(await runRound(i, c, nginx));
    const ss = VARIANTS.map((v) => summarizeVariant(rounds, v));
    console.log(`\n${textTable(ROUND_HEADER, roundRows(rounds))}\n`);
    console.log(textTable(SUMMARY_HEADER, summaryRows(ss)));
    console.log(`\n${verdicts(ss).join('\n')}\n${othersLine(rounds)}`);
    writeJson(c.out, {
      benchmark: SECTION,
      command: rerunCommand(c),
      machine,
      config: { ...c.wrk, rounds: c.rounds, warmupS: c.warmupS, bodyBytes: nginx.bodyBytes, variants: VARIANTS, targetRatio: TARGET_RATIO },
      summary: ss,
      rounds,
    });
    fs.writeFileSync(c.svg, chart(ss, c.rounds));
    writeSection(c.docs, DOCS_TITLE, SECTION, markdown(c, machine, nginx, rounds, ss));
    console.log(`wrote ${path.relative(process.cwd(), c.out)}, ${path.relative(process.cwd(), c.svg)} and the ${SECTION} section of ${path.relative(process.cwd(), c.docs)}`);
  } finally {
    await nginx.stop();
  }
}

// Imported by tests for its pure helpers: run only as the entry point.
if (require.main === module) benchmarkMain(main, USAGE, (err) => (err instanceof PreflightError ? `error: ${err.message}` : err));
