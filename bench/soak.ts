/**
 * Soak: ten minutes of mixed traffic with churn. Does socktap stay flat (RSS, event-loop lag) and
 * account for every exchange over a long run?
 *
 * nginx (one worker) serves three JSON files (600 B, 16 KiB, 256 KiB; `sendfile off` by default,
 * so bodies pass through the traced syscalls) to two paced wrk runs at once, both requesting the
 * files in a weighted rotation (bench/lua/mixed.lua): a keep-alive load (default 2,000 req/s) and
 * a churn load whose every request has `Connection: close` (default 200 new connections/s).
 * `socktap run --pid <worker> --format none --uds <socket> --metrics-addr <addr>` exports to a
 * reader in the harness that tallies each record. Every `--sample` seconds: the agent's VmRSS,
 * its event-loop lag (p99 and max since the previous scrape, from prom-client's metrics on
 * /metrics), its counters, nginx's request count and the records at the sink. At the end:
 * flatness (RSS: slope of each minute's least sample over the second half; lag p99: slope of the
 * samples, first vs last minute), loss accounting (served vs at the
 * sink vs the agent's counters), the consistency of the counters, and a chart of the series.
 *
 *   npm run bench:soak -- --duration 600
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { packageRoot } from '../agent/capture/native';
import type { StatName } from '../agent/log/stats-line';
import { metricName } from '../agent/runtime/metrics-server';
import { choiceFlag, intFlag, parseFlags, UsageError } from './lib/args';
import { benchmarkMain, fix, int, pct } from './lib/alternation';
import { lineChartSvg } from './lib/chart-line-svg';
import { processCpuUs } from './lib/cpu';
import { machineFacts, type MachineFacts } from './lib/machine';
import { startNginx } from './lib/nginx';
import { freePort, sleep, statusKiB, type Proc } from './lib/procs';
import { markdownTable, textTable, writeJson, writeSection } from './lib/report';
import type { WrkResult } from './lib/wrk';
import {
  checkTools,
  DOCS_TITLE,
  kibToMiB,
  LOSS_COUNTERS,
  lossAccount,
  lossVerdict,
  luaScript,
  MAX_BODY_BYTES,
  paddedJson,
  scrapeMetrics,
  servedNow,
  sizeLabel,
  spawnWrk,
  startAgent,
  startRecordReader,
  trackedConnections,
  waitForSink,
  wrkResult,
  type LossAccount,
  type TargetTally,
} from './scale';

const SECTION = 'soak';
/**
 * Ours (DESIGN.md asks for "flat"): a series is not flat when it both trends up over the second
 * half (least-squares slope above MAX_*_SLOPE) and ends higher than where it was (by more than
 * *_RISE). The slope alone flags noise on a shared 2-core machine (lag samples of a few ms spread
 * over 5 minutes); the rise alone misses a leak that started late.
 *
 * RSS is judged on its floor, the least sample of each window: V8's young generation fills and
 * empties between samples, so single samples are a sawtooth (112-150 MiB from one 10 s sample to
 * the next in the 2026-12-03 runs, with the heap's used size flat at 11-23 MiB), and a fit
 * through them follows where the peaks happen to fall. Memory that is kept raises every window's
 * least sample; garbage waiting for a scavenge does not. The floor's rise is from the window
 * where the second half starts to the last one (the first minute is the warm-up's climb). Decided
 * before the run that used it first (2026-12-04); the samples' own slope is still reported.
 * Lag p99 has no such sawtooth: it is judged on its samples, first against last window.
 */
export const MAX_RSS_SLOPE_MIB_PER_MIN = 1;
export const MAX_LAG_SLOPE_MS_PER_MIN = 1;
export const RSS_RISE_MIB = 5;
export const LAG_RISE_MS = 5;
/** First and last windows compared, at most a minute each. */
const WINDOW_S = 60;
export const SOAK_BODY_SIZES = [600, 16384, 262144] as const;

const USAGE = `usage: npm run bench:soak -- [flags]      (or: node dist/bench/soak.js [flags])

  --duration S        seconds of load                                                      [600]
  --rate R            keep-alive requests per second (paced wrk)                           [2000]
  --churn-rate R      new connections per second, one request each (Connection: close)     [200]
  --interval MS       each wrk connection's pause after a response; connections = rate x MS / 1000   [10]
  --mix A,B,C         weights of the 600 B, 16 KiB and 256 KiB bodies in the rotation      [16,3,1]
  --sample S          seconds between samples                                              [10]
  --sendfile on|off   nginx sendfile for the files (off: bodies pass through user memory)  [off]
  --out PATH          JSON results; the chart is written beside it as .svg  [bench/results/soak.json]
  --docs PATH         Markdown file whose soak section is rewritten         [docs/benchmarks.md]

Needs root (BPF), nginx and wrk (npm run setup).`;

export interface SoakConfig {
  readonly durationS: number;
  readonly rate: number;
  readonly churnRate: number;
  readonly intervalMs: number;
  readonly mix: readonly number[];
  readonly sampleS: number;
  readonly sendfile: boolean;
  readonly out: string;
  readonly chart: string;
  readonly docs: string;
}

export function parseSoakConfig(argv: readonly string[], root: string): SoakConfig | undefined {
  const v = parseFlags(argv, ['duration', 'rate', 'churn-rate', 'interval', 'mix', 'sample', 'sendfile', 'out', 'docs']);
  if (v.help) return undefined;
  const intervalMs = intFlag(v, 'interval', 10, 1, 10_000);
  const rate = intFlag(v, 'rate', 2000, 1, 1_000_000);
  const churnRate = intFlag(v, 'churn-rate', 200, 0, 100_000);
  for (const [flag, r] of [['rate', rate], ['churn-rate', churnRate]] as const) {
    if ((r * intervalMs) % 1000 !== 0) throw new UsageError(`--${flag} ${r}/s needs ${(r * intervalMs) / 1000} connections at --interval ${intervalMs} ms: choose a multiple of ${1000 / gcd(1000, intervalMs)}`);
  }
  const mixText = typeof v.mix === 'string' ? v.mix : '16,3,1';
  const mix = mixText.split(',').map((w) => Number(w.trim()));
  if (mix.length !== SOAK_BODY_SIZES.length || mix.some((w) => !Number.isInteger(w) || w < 0 || w > 1000) || mix.every((w) => w === 0)) {
    throw new UsageError(`--mix must be ${SOAK_BODY_SIZES.length} whole weights from 0 to 1000 (600 B, 16 KiB, 256 KiB), not all 0, got '${mixText}'`);
  }
  const durationS = intFlag(v, 'duration', 600, 5, 86_400);
  const sampleS = intFlag(v, 'sample', 10, 1, 3600);
  if (sampleS > durationS) throw new UsageError(`--sample must be at most --duration (${durationS}), got ${sampleS}`);
  const out = path.resolve(root, typeof v.out === 'string' ? v.out : 'bench/results/soak.json');
  return {
    durationS,
    rate,
    churnRate,
    intervalMs,
    mix,
    sampleS,
    sendfile: choiceFlag(v, 'sendfile', 'off', ['on', 'off']) === 'on',
    out,
    chart: out.replace(/\.json$/, '') + '.svg',
    docs: path.resolve(root, typeof v.docs === 'string' ? v.docs : 'docs/benchmarks.md'),
  };
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

function rerunCommand(c: SoakConfig): string {
  return `npm run bench:soak -- --duration ${c.durationS} --rate ${c.rate} --churn-rate ${c.churnRate} --interval ${c.intervalMs} --mix ${c.mix.join(',')} --sample ${c.sampleS} --sendfile ${c.sendfile ? 'on' : 'off'}`;
}

/**
 * The order of a weighted rotation (smooth weighted round-robin, as nginx balances upstreams):
 * indexes into `weights`, each appearing weights[i] times, spread out rather than in runs.
 */
export function rotation(weights: readonly number[]): number[] {
  const total = weights.reduce((a, b) => a + b, 0);
  const current = weights.map(() => 0);
  const out: number[] = [];
  for (let n = 0; n < total; n++) {
    let best = -1;
    for (let i = 0; i < weights.length; i++) {
      current[i] += weights[i]!;
      if (weights[i]! > 0 && (best < 0 || current[i]! > current[best]!)) best = i;
    }
    current[best] -= total;
    out.push(best);
  }
  return out;
}

const soakPath = (bytes: number) => `/soak/${sizeLabel(bytes).replace(' ', '').toLowerCase()}.json`;

export interface SoakSample {
  /** Seconds since the load started. */
  readonly tS: number;
  /** Taken while wrk ran (false: before it started, or after it ended and the sink drained). */
  readonly load: boolean;
  readonly rssMiB: number;
  readonly heapUsedMiB: number;
  /** Event-loop lag since the previous scrape (prom-client resets its histogram per scrape), ms. */
  readonly lagP99Ms: number;
  readonly lagMaxMs: number;
  /** Requests nginx served since the start (this sample's status request included). */
  readonly served: number;
  readonly atSink: number;
  readonly agentCpuS: number;
  readonly eventLost: number;
  /** TotalEventsDroppedAtEventQueueLimit + TotalEventsDroppedAtParsing. */
  readonly dropped: number;
  /** Connections the agent tracks (accepted - closed). */
  readonly tracked: number;
}

/** Least-squares slope of y over x; NaN with fewer than two distinct x. */
export function linearSlope(points: readonly (readonly [number, number])[]): number {
  const n = points.length;
  if (n < 2) return NaN;
  let sx = 0;
  let sy = 0;
  for (const [x, y] of points) {
    sx += x;
    sy += y;
  }
  const mx = sx / n;
  const my = sy / n;
  let sxy = 0;
  let sxx = 0;
  for (const [x, y] of points) {
    sxy += (x - mx) * (y - my);
    sxx += (x - mx) ** 2;
  }
  return sxx === 0 ? NaN : sxy / sxx;
}

const meanOf = (xs: readonly number[]) => (xs.length === 0 ? NaN : xs.reduce((a, b) => a + b, 0) / xs.length);

export interface Flatness {
  /** Length of the first and last windows compared, and of the windows whose least RSS is the floor, s. */
  readonly windowS: number;
  readonly secondHalfSamples: number;
  /** Least-squares slope of every RSS sample over the second half (reported; the verdict uses the floor). */
  readonly rssSlopeMiBPerMin: number;
  /** The least RSS of each window of the load, at the window's middle. */
  readonly rssFloors: readonly { readonly tS: number; readonly rssMiB: number }[];
  /** Least-squares slope of the floors of the second half's windows. */
  readonly rssFloorSlopeMiBPerMin: number;
  /** Floor of the window where the second half starts, and of the last window. */
  readonly midRssFloorMiB: number;
  readonly lastRssFloorMiB: number;
  readonly lagP99SlopeMsPerMin: number;
  /** Means over the first and the last window of the load. */
  readonly firstRssMiB: number;
  readonly lastRssMiB: number;
  readonly firstLagP99Ms: number;
  readonly lastLagP99Ms: number;
  readonly maxRssMiB: number;
  readonly maxLagMs: number;
}

/**
 * The least RSS of each window of `windowS` from the load's start, windows left open at the start
 * and closed at the end ((from, to]: a sample tells how the seconds before it ended); windows
 * without a sample are left out.
 */
export function rssFloors(load: readonly SoakSample[], durationS: number, windowS: number): { tS: number; rssMiB: number }[] {
  const windows = Math.max(1, Math.round(durationS / windowS));
  const floors: { tS: number; rssMiB: number }[] = [];
  for (let k = 0; k < windows; k++) {
    const from = k * windowS;
    const to = k === windows - 1 ? Infinity : from + windowS;
    const inWindow = load.filter((s) => s.tS > from + 1e-9 && s.tS <= to + 1e-9);
    if (inWindow.length > 0) floors.push({ tS: from + windowS / 2, rssMiB: Math.min(...inWindow.map((s) => s.rssMiB)) });
  }
  return floors;
}

/** Flatness of the samples taken under load. */
export function flatness(samples: readonly SoakSample[], durationS: number): Flatness {
  const load = samples.filter((s) => s.load);
  const windowS = Math.min(WINDOW_S, durationS / 4);
  const second = load.filter((s) => s.tS >= durationS / 2);
  const first = load.filter((s) => s.tS <= windowS + 1e-9);
  const last = load.filter((s) => s.tS >= durationS - windowS - 1e-9);
  const floors = rssFloors(load, durationS, windowS);
  const secondFloors = floors.filter((w) => w.tS >= durationS / 2);
  return {
    windowS,
    secondHalfSamples: second.length,
    rssSlopeMiBPerMin: linearSlope(second.map((s) => [s.tS, s.rssMiB])) * 60,
    rssFloors: floors,
    rssFloorSlopeMiBPerMin: linearSlope(secondFloors.map((w) => [w.tS, w.rssMiB])) * 60,
    midRssFloorMiB: secondFloors[0]?.rssMiB ?? NaN,
    lastRssFloorMiB: secondFloors[secondFloors.length - 1]?.rssMiB ?? NaN,
    lagP99SlopeMsPerMin: linearSlope(second.map((s) => [s.tS, s.lagP99Ms])) * 60,
    firstRssMiB: meanOf(first.map((s) => s.rssMiB)),
    lastRssMiB: meanOf(last.map((s) => s.rssMiB)),
    firstLagP99Ms: meanOf(first.map((s) => s.lagP99Ms)),
    lastLagP99Ms: meanOf(last.map((s) => s.lagP99Ms)),
    maxRssMiB: Math.max(...samples.map((s) => s.rssMiB)),
    maxLagMs: Math.max(...samples.map((s) => s.lagMaxMs).filter(Number.isFinite)),
  };
}

export interface ConsistencyCheck {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

/**
 * Whether the counters add up: the records the sink got are those the agent says it sent; what
 * it parsed and did not send, it counted as dropped; what nginx served and it did not parse, it
 * counted as lost; and nothing is missing beyond the counters (captured + counted = served).
 */
export function consistencyChecks(loss: LossAccount, stats: Readonly<Record<string, number>>): ConsistencyCheck[] {
  const sent = stats.TotalRequestsSent ?? 0;
  const parsed = stats.TotalRequestsParsed ?? 0;
  const queueDrops = stats.TotalEventsDroppedAtEventQueueLimit ?? 0;
  const captureLosses = (stats.EventLost ?? 0) + queueDrops + (stats.TotalEventsDroppedAtParsing ?? 0) + (stats.ReqParsingErrors ?? 0) + (stats.ResParsingErrors ?? 0);
  const unsent = parsed - sent;
  const unparsed = loss.served - parsed;
  return [
    { name: 'records at the sink = TotalRequestsSent', ok: loss.atSink === sent, detail: `${int(loss.atSink)} vs ${int(sent)}` },
    {
      name: 'TotalRequestsParsed - TotalRequestsSent within the queue drops',
      ok: unsent === 0 || (unsent > 0 && unsent <= queueDrops),
      detail: `${int(parsed)} - ${int(sent)} = ${int(unsent)}, TotalEventsDroppedAtEventQueueLimit ${int(queueDrops)}`,
    },
    {
      name: 'served - TotalRequestsParsed within the counted losses',
      ok: unparsed === 0 || (unparsed > 0 && unparsed <= captureLosses),
      detail: `${int(loss.served)} - ${int(parsed)} = ${int(unparsed)}, counted ${int(captureLosses)}`,
    },
    { name: 'captured + counted drops = served (no unexplained loss)', ok: loss.missing >= 0 && loss.unexplained === 0, detail: `missing ${int(loss.missing)}, unexplained ${int(loss.unexplained)}` },
  ];
}

const slopeText = (v: number, unit: string) => (Number.isNaN(v) ? 'n/a' : `${v >= 0 ? '+' : ''}${fix(v, 2)} ${unit}/min`);

export function soakVerdicts(f: Flatness, loss: LossAccount, stats: Readonly<Record<string, number>>, checks: readonly ConsistencyCheck[]): string[] {
  const w = fix(f.windowS, 0);
  const notFlat = (slope: number, max: number, rise: number, from: number, to: number) => (slope > max && to - from > rise ? 'not flat' : 'flat');
  const rss = Number.isNaN(f.rssFloorSlopeMiBPerMin)
    ? `RSS: too few windows in the second half (${f.rssFloors.length} in all) for the floor's slope`
    : `RSS ${notFlat(f.rssFloorSlopeMiBPerMin, MAX_RSS_SLOPE_MIB_PER_MIN, RSS_RISE_MIB, f.midRssFloorMiB, f.lastRssFloorMiB)}: ` +
      `floor (least sample per ${w} s) ${slopeText(f.rssFloorSlopeMiBPerMin, 'MiB')} over the second half, ` +
      `${fix(f.midRssFloorMiB, 1)} MiB at the half vs ${fix(f.lastRssFloorMiB, 1)} MiB in the last ${w} s (samples ${slopeText(f.rssSlopeMiBPerMin, 'MiB')})`;
  const lag = Number.isNaN(f.lagP99SlopeMsPerMin)
    ? `event-loop lag p99: too few samples in the second half (${f.secondHalfSamples}) for a slope`
    : `event-loop lag p99 ${notFlat(f.lagP99SlopeMsPerMin, MAX_LAG_SLOPE_MS_PER_MIN, LAG_RISE_MS, f.firstLagP99Ms, f.lastLagP99Ms)}: ` +
      `${slopeText(f.lagP99SlopeMsPerMin, 'ms')} over the second half, last ${w} s ${fix(f.lastLagP99Ms, 1)} ms vs first ${w} s ${fix(f.firstLagP99Ms, 1)} ms`;
  const failed = checks.filter((c) => !c.ok);
  return [
    rss,
    lag,
    lossVerdict(loss, stats),
    loss.unexplained === 0 && loss.missing >= 0 ? 'no unexplained loss' : `${int(Math.max(loss.unexplained, -loss.missing))} unexplained`,
    failed.length === 0 ? 'every counter consistent' : `counters inconsistent: ${failed.map((c) => `${c.name} (${c.detail})`).join('; ')}`,
  ];
}

// ---------------------------------------------------------------------------------------------

interface BodyTally {
  readonly path: string;
  readonly bodyBytes: number;
  readonly records: number;
  readonly bodySizeCorrect: number;
  readonly truncated: number;
  readonly incomplete: number;
}

function bodyTallies(byTarget: ReadonlyMap<string, TargetTally>): BodyTally[] {
  return SOAK_BODY_SIZES.map((bytes) => {
    const t = byTarget.get(soakPath(bytes));
    return { path: soakPath(bytes), bodyBytes: bytes, records: t?.records ?? 0, bodySizeCorrect: t?.bodySizes.get(bytes) ?? 0, truncated: t?.truncated ?? 0, incomplete: t?.incomplete ?? 0 };
  });
}

interface SoakResults {
  readonly samples: readonly SoakSample[];
  readonly keepAlive: WrkResult;
  readonly churn: WrkResult | null;
  readonly loss: LossAccount;
  readonly stats: Record<string, number>;
  readonly flatness: Flatness;
  readonly checks: readonly ConsistencyCheck[];
  readonly bodies: readonly BodyTally[];
  readonly agentCpuUsPerExchange: number;
  readonly agentCoreShare: number;
  readonly malformedRecords: number;
}

function wrkArgs(url: string, connections: number, c: SoakConfig, paths: string, close: boolean): string[] {
  return ['-t', '1', '-c', String(connections), '-d', `${c.durationS}s`, '-s', luaScript('mixed.lua'), url, '--', String(c.intervalMs), paths, ...(close ? ['close'] : [])];
}

async function sample(tS: number, load: boolean, agentPid: number, metricsAddr: string, port: number, before: number, reader: { total(): number }): Promise<SoakSample> {
  const m = await scrapeMetrics(metricsAddr).catch(() => new Map<string, number>());
  const served = (await servedNow(port)) - before;
  const counter = (stat: StatName) => m.get(metricName(stat)) ?? NaN;
  return {
    tS,
    load,
    rssMiB: kibToMiB(statusKiB(agentPid, 'VmRSS')),
    heapUsedMiB: (m.get('socktap_nodejs_heap_size_used_bytes') ?? NaN) / 2 ** 20,
    lagP99Ms: (m.get('socktap_nodejs_eventloop_lag_p99_seconds') ?? NaN) * 1e3,
    lagMaxMs: (m.get('socktap_nodejs_eventloop_lag_max_seconds') ?? NaN) * 1e3,
    served,
    atSink: reader.total(),
    agentCpuS: processCpuUs(agentPid) / 1e6,
    eventLost: counter('EventLost'),
    dropped: counter('TotalEventsDroppedAtEventQueueLimit') + counter('TotalEventsDroppedAtParsing'),
    tracked: trackedConnections(m),
  };
}

const SAMPLE_HEADER = ['t s', 'RSS MiB', 'heap MiB', 'lag p99 ms', 'lag max ms', 'served', 'at sink', 'pending', 'agent CPU s', 'EventLost', 'dropped', 'tracked'];

function sampleRow(s: SoakSample): string[] {
  return [fix(s.tS, 0), fix(s.rssMiB, 1), fix(s.heapUsedMiB, 1), fix(s.lagP99Ms, 1), fix(s.lagMaxMs, 1), int(s.served), int(s.atSink), int(s.served - s.atSink), fix(s.agentCpuS, 1), int(s.eventLost), int(s.dropped), Number.isNaN(s.tracked) ? '-' : int(s.tracked)];
}

/** A row of the live sample table: every column as wide as its header, at least 9. */
const progressLine = (cells: readonly string[]) => cells.map((cell, i) => cell.padStart(Math.max(9, SAMPLE_HEADER[i]!.length))).join(' ');

/** At most ~`rows` samples for a table: the first, the last, and evenly spaced ones in between. */
export function thin<T>(xs: readonly T[], rows: number): T[] {
  if (xs.length <= rows) return [...xs];
  const step = (xs.length - 1) / (rows - 1);
  return Array.from({ length: rows }, (_, i) => xs[Math.round(i * step)]!);
}

async function runSoak(c: SoakConfig): Promise<{ results: SoakResults; bodyOrder: string }> {
  const files: Record<string, Buffer> = {};
  for (const bytes of SOAK_BODY_SIZES) files[soakPath(bytes).slice(1)] = paddedJson(bytes);
  const nginx = await startNginx({ files, sendfile: c.sendfile });
  const socket = path.join(os.tmpdir(), `socktap-bench-soak-${process.pid}.sock`);
  const metricsAddr = `127.0.0.1:${await freePort()}`;
  const reader = await startRecordReader(socket);
  const order = rotation(c.mix).map((i) => soakPath(SOAK_BODY_SIZES[i]!));
  const paths = order.join(',');
  const url = `http://127.0.0.1:${nginx.port}/`;
  const wrks: Proc[] = [];
  try {
    const before = await servedNow(nginx.port);
    const agent = await startAgent(nginx.workerPid, socket, metricsAddr);
    try {
      console.log(`nginx worker ${nginx.workerPid} on port ${nginx.port} (sendfile ${c.sendfile ? 'on' : 'off'}); agent ${agent.proc.pid}, /metrics on ${metricsAddr}`);
      const samples: SoakSample[] = [await sample(0, false, agent.proc.pid, metricsAddr, nginx.port, before, reader)];
      const cpu0 = processCpuUs(agent.proc.pid);
      const t0 = performance.now();
      const keepAlive = spawnWrk(wrkArgs(url, (c.rate * c.intervalMs) / 1000, c, paths, false));
      wrks.push(keepAlive);
      const churn = c.churnRate > 0 ? spawnWrk(wrkArgs(url, (c.churnRate * c.intervalMs) / 1000, c, paths, true)) : undefined;
      if (churn) wrks.push(churn);
      console.log(progressLine(SAMPLE_HEADER));
      console.log(progressLine(sampleRow(samples[0]!)));
      const running = () => wrks.some((w) => w.child.exitCode === null && w.child.signalCode === null);
      for (let k = 1; running(); k++) {
        const due = t0 + k * c.sampleS * 1000;
        while (running() && performance.now() < due) await sleep(Math.min(200, due - performance.now()));
        if (!running()) break;
        const s = await sample((performance.now() - t0) / 1000, true, agent.proc.pid, metricsAddr, nginx.port, before, reader);
        samples.push(s);
        console.log(progressLine(sampleRow(s)));
      }
      const loadUs = (performance.now() - t0) * 1e3;
      const keepAliveResult = await wrkResult(keepAlive);
      const churnResult = churn ? await wrkResult(churn) : null;
      await waitForSink(reader, (await servedNow(nginx.port)) - before);
      const last = await sample((performance.now() - t0) / 1000, false, agent.proc.pid, metricsAddr, nginx.port, before, reader);
      samples.push(last);
      console.log(`${progressLine(sampleRow(last))}  (after the load, the sink drained)`);
      const cpu1 = processCpuUs(agent.proc.pid);
      const stats = await agent.stop();
      const served = (await servedNow(nginx.port)) - before - 1;
      const loss = lossAccount(served, reader.total(), stats);
      return {
        bodyOrder: paths,
        results: {
          samples,
          keepAlive: keepAliveResult,
          churn: churnResult,
          loss,
          stats,
          flatness: flatness(samples, c.durationS),
          checks: consistencyChecks(loss, stats),
          bodies: bodyTallies(reader.byTarget()),
          agentCpuUsPerExchange: (cpu1 - cpu0) / Math.max(1, reader.total()),
          agentCoreShare: (cpu1 - cpu0) / loadUs,
          malformedRecords: reader.malformed(),
        },
      };
    } finally {
      await agent.proc.kill('SIGKILL');
    }
  } finally {
    for (const w of wrks) await w.kill('SIGKILL');
    await reader.close();
    await nginx.stop();
  }
}

function summaryRows(c: SoakConfig, r: SoakResults): string[][] {
  const f = r.flatness;
  const ka = r.keepAlive;
  return [
    ['keep-alive load (wrk)', `${int(ka.requests)} requests, ${int(ka.requestsPerSec)}/s on ${int((c.rate * c.intervalMs) / 1000)} connections`],
    ['churn load (wrk, Connection: close)', r.churn ? `${int(r.churn.requests)} connections, ${int(r.churn.requestsPerSec)}/s` : 'off'],
    ['RSS floor (least sample per window) at the half / in the last window, MiB', `${fix(f.midRssFloorMiB, 1)} / ${fix(f.lastRssFloorMiB, 1)}`],
    ['RSS floor slope, second half', slopeText(f.rssFloorSlopeMiBPerMin, 'MiB')],
    ['RSS mean first / last window, MiB', `${fix(f.firstRssMiB, 1)} / ${fix(f.lastRssMiB, 1)}`],
    ['RSS samples\' slope, second half', slopeText(f.rssSlopeMiBPerMin, 'MiB')],
    ['RSS max, MiB', fix(f.maxRssMiB, 1)],
    ['event-loop lag p99 first / last window, ms', `${fix(f.firstLagP99Ms, 1)} / ${fix(f.lastLagP99Ms, 1)}`],
    ['event-loop lag p99 slope, second half', slopeText(f.lagP99SlopeMsPerMin, 'ms')],
    ['event-loop lag max, ms', fix(f.maxLagMs, 1)],
    ['agent CPU µs / exchange', fix(r.agentCpuUsPerExchange)],
    ['agent CPU, share of one core', pct(r.agentCoreShare)],
    ['served / at sink / missing', `${int(r.loss.served)} / ${int(r.loss.atSink)} / ${int(r.loss.missing)}`],
    ['counted losses (events) / unexplained', `${int(r.loss.counted)} / ${int(r.loss.unexplained)}`],
  ];
}

const BODY_HEADER = ['path', 'body', 'records', 'body_size right', 'truncated', 'incomplete'];

function bodyRows(r: SoakResults): string[][] {
  return r.bodies.map((b) => [b.path, sizeLabel(b.bodyBytes), int(b.records), `${int(b.bodySizeCorrect)} / ${int(b.records)}`, int(b.truncated), int(b.incomplete)]);
}

function markdown(c: SoakConfig, m: MachineFacts, r: SoakResults): string {
  const chartRel = path.relative(path.dirname(c.docs), c.chart).split(path.sep).join('/');
  const counters = Object.entries(r.stats).map(([k, v]) => `${k} ${int(v)}`).join(', ');
  return `## Soak: ${int(c.durationS)} s of mixed traffic with churn

nginx (1 worker, access log off, \`sendfile ${c.sendfile ? 'on' : 'off'}\`) serves JSON files of ${SOAK_BODY_SIZES.map(sizeLabel).join(', ')} to two paced wrk runs at
once, both requesting the files in a weighted rotation (\`bench/lua/mixed.lua\`, weights ${c.mix.join(':')}, interleaved by smooth weighted round-robin): a keep-alive load
of ${int(c.rate)} requests/s (${int((c.rate * c.intervalMs) / 1000)} connections, each pausing ${c.intervalMs} ms after a response) and a churn load of
${int(c.churnRate)} new connections/s (every request \`Connection: close\`). \`socktap run --pid <worker> --format none --uds <socket>
--max-body-bytes ${MAX_BODY_BYTES} --metrics-addr <addr>\` exports to a reader in the harness that tallies every record. Every ${c.sampleS} s the harness reads
the agent's VmRSS (/proc), its event-loop lag p99 and max since the previous scrape (prom-client's
\`socktap_nodejs_eventloop_lag_*\` on /metrics, which samples the loop every 10 ms, so an idle loop reads about 10 ms), its counters, nginx's
request count (\`stub_status\` on a fresh connection: captured, and counted on both sides) and the records at the sink.
RSS is judged on its floor, the least sample of each ${fix(r.flatness.windowS, 0)} s window: the young generation fills and empties between samples, so
single samples are a sawtooth whose fitted slope follows where its peaks fall, while memory that is kept raises every window's
least sample. RSS is not flat when its floor's least-squares slope over the second half of the load is above +${MAX_RSS_SLOPE_MIB_PER_MIN} MiB/min
and the last window's floor is above the floor where the second half starts by more than ${RSS_RISE_MIB} MiB; the event-loop lag p99 is
not flat when its samples' slope over the second half is above +${MAX_LAG_SLOPE_MS_PER_MIN} ms/min and its mean over the last ${fix(r.flatness.windowS, 0)} s is
above that of the first ${fix(r.flatness.windowS, 0)} s by more than ${LAG_RISE_MS} ms (our thresholds: DESIGN.md says "flat"; the slope alone flags noise,
the rise alone misses a late leak; the RSS rule was changed from samples to floors on 2026-12-04, before the run below). Loss accounting: nginx's count against the records at the sink, with the agent's final counters
(${LOSS_COUNTERS.join(', ')}; they count events, not exchanges); a loss is unexplained when more is missing than they count.

**Result:**

${soakVerdicts(r.flatness, r.loss, r.stats, r.checks).map((v) => `- ${v}`).join('\n')}

![soak: agent RSS and event-loop lag p99 over time](${chartRel})

${markdownTable(['measure', 'value'], summaryRows(c, r))}

Records per body size (\`body_size\` must be the file's size; \`max_body_bytes\` ${int(MAX_BODY_BYTES)} truncates the 256 KiB body):

${markdownTable(BODY_HEADER, bodyRows(r))}

Counter checks:

${markdownTable(['check', 'holds', 'figures'], r.checks.map((k) => [k.name, k.ok ? 'yes' : 'no', k.detail]))}

Samples (${r.samples.length < 14 ? 'all' : 'a selection'}; every one is in the JSON):

${markdownTable(SAMPLE_HEADER, thin(r.samples, 14).map(sampleRow))}

Agent counters at the end: ${counters}.

Machine: kernel \`${m.kernel}\`, ${m.cpuModel}, nproc ${m.nproc}, ${m.memGiB} GiB, node ${m.node}, ${m.nginx}, ${m.wrk}; run ${m.date}.

Rerun: \`${rerunCommand(c)}\` (JSON: \`${path.relative(packageRoot(), c.out)}\`, chart: \`${path.relative(packageRoot(), c.chart)}\`).`;
}

function chart(c: SoakConfig, r: SoakResults): string {
  return lineChartSvg({
    title: `socktap soak: ${int(c.rate)} req/s keep-alive + ${int(c.churnRate)} connections/s, ${int(c.durationS)} s`,
    xLabel: 'seconds since the load started',
    panels: [
      { label: 'agent RSS (MiB)', points: r.samples.map((s) => [s.tS, s.rssMiB]) },
      { label: `RSS floor, least per ${fix(r.flatness.windowS, 0)} s (MiB)`, points: r.flatness.rssFloors.map((w) => [w.tS, w.rssMiB]) },
      { label: 'event-loop lag p99 (ms)', points: r.samples.map((s) => [s.tS, s.lagP99Ms]) },
    ],
  });
}

async function main(): Promise<void> {
  const root = packageRoot();
  const c = parseSoakConfig(process.argv.slice(2), root);
  if (!c) {
    console.log(USAGE);
    return;
  }
  if (process.getuid?.() !== 0) throw new Error('the soak benchmark loads BPF programs through `socktap run`: run it as root (sudo npm run bench:soak)');
  checkTools();
  const machine = machineFacts();
  console.log(`soak: ${c.durationS} s, ${c.rate} req/s keep-alive + ${c.churnRate} connections/s, mix ${c.mix.join(':')} of ${SOAK_BODY_SIZES.map(sizeLabel).join(', ')}, a sample every ${c.sampleS} s`);
  const { results: r, bodyOrder } = await runSoak(c);
  console.log(`\n${textTable(['measure', 'value'], summaryRows(c, r))}\n\n${textTable(BODY_HEADER, bodyRows(r))}\n`);
  for (const k of r.checks) console.log(`${k.ok ? 'ok  ' : 'FAIL'}  ${k.name}: ${k.detail}`);
  console.log(`\n${soakVerdicts(r.flatness, r.loss, r.stats, r.checks).join('\n')}`);
  writeJson(c.out, { benchmark: SECTION, command: rerunCommand(c), machine, config: { ...c, bodySizes: SOAK_BODY_SIZES, bodyOrder, maxBodyBytes: MAX_BODY_BYTES }, results: r, verdicts: soakVerdicts(r.flatness, r.loss, r.stats, r.checks) });
  fs.mkdirSync(path.dirname(c.chart), { recursive: true });
  fs.writeFileSync(c.chart, chart(c, r));
  writeSection(c.docs, DOCS_TITLE, SECTION, markdown(c, machine, r));
  console.log(`wrote ${path.relative(process.cwd(), c.out)}, ${path.relative(process.cwd(), c.chart)} and the ${SECTION} section of ${path.relative(process.cwd(), c.docs)}`);
}

if (require.main === module) benchmarkMain(main, USAGE);
