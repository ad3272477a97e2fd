/**
 * What every with/without benchmark shares: rounds that run the server once without and once
 * with the agent, the order alternating so slow drift cancels out; the number formats of the
 * reports; and the entry point's handling of signals and usage errors.
 */
import { UsageError } from './args';
import { sleep } from './procs';
import type { AgentRun, summedCounters } from './agent-process';
import type { BaselineRun } from './runs';
import { ratioChartSvg } from './chart-svg';
import type { Summary } from './stats';
import type { WrkResult } from './wrk';

export interface Round<W extends { readonly wrk: WrkResult }> {
  readonly round: number;
  readonly order: 'without-first' | 'with-first';
  readonly without: BaselineRun;
  readonly with: W;
  /** req/s with the agent / req/s without, same round. */
  readonly ratio: number;
}

export interface RoundPlan<W extends { readonly wrk: WrkResult }> {
  readonly rounds: number;
  without(): Promise<BaselineRun>;
  with(): Promise<W>;
  /** The progress line's figures for a run with the agent. */
  describe(run: W): string;
}

/** Round `i` (0-based) of `plan`: odd rounds run with the agent first. */
export async function runRound<W extends { readonly wrk: WrkResult }>(i: number, plan: RoundPlan<W>): Promise<Round<W>> {
  const withFirst = i % 2 === 1;
  let without: BaselineRun | undefined;
  let withAgent: W | undefined;
  for (const kind of withFirst ? ['with', 'without'] : ['without', 'with']) {
    // A short pause lets the previous run's connections close and the worker go idle.
    await sleep(500);
    if (kind === 'without') {
      without = await plan.without();
      console.log(`round ${i + 1}/${plan.rounds}  without  ${int(without.wrk.requestsPerSec)} req/s`);
    } else {
      withAgent = await plan.with();
      console.log(`round ${i + 1}/${plan.rounds}  with     ${int(withAgent.wrk.requestsPerSec)} req/s  ${plan.describe(withAgent)}`);
    }
  }
  return {
    round: i + 1,
    order: withFirst ? 'with-first' : 'without-first',
    without: without!,
    with: withAgent!,
    ratio: withAgent!.wrk.requestsPerSec / without!.wrk.requestsPerSec,
  };
}

export const int = (x: number) => Math.round(x).toLocaleString('en-US');
export const fix = (x: number, d = 2) => x.toFixed(d);
export const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

/** A row of a min / median / max table. */
export function summaryRow(name: string, x: Summary, f: (v: number) => string): string[] {
  return [name, f(x.min), f(x.median), f(x.max)];
}

/**
 * Runs a benchmark's `main`: Ctrl-C must not leave nginx listening (exit() runs the children's
 * cleanup); usage errors print the usage and exit 2, anything else exits 1.
 */
export function benchmarkMain(main: () => Promise<void>, usage: string, describe: (err: unknown) => unknown = (e) => e): void {
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => process.exit(sig === 'SIGINT' ? 130 : 143));
  main().catch((err: unknown) => {
    if (err instanceof UsageError) {
      console.error(`${err.message}\n\n${usage}`);
      process.exit(2);
    }
    console.error(describe(err));
    process.exit(1);
  });
}

/** The columns every per-round table starts with, and their cells for a round. */
export const ROUND_HEADER_LEAD = ['round', 'order', 'req/s without', 'req/s with', 'ratio'];

export function roundLead(r: Round<{ readonly wrk: WrkResult }>): string[] {
  return [String(r.round), r.order === 'with-first' ? 'with first' : 'without first', int(r.without.wrk.requestsPerSec), int(r.with.wrk.requestsPerSec), fix(r.ratio, 3)];
}

/** DESIGN.md §4's targets for socktap capturing, parsing and exporting every exchange. */
export const TARGET_RATIO = 0.9;
export const TARGET_CPU_US = 5;
export const GATE_CPU_US = 10;

/** The verdict lines of an agent benchmark against those targets: ratio, CPU, losses. */
export function agentVerdicts(s: {
  readonly ratio: Summary;
  readonly agentCpuUsPerExchange: Summary;
  readonly missing: number;
  readonly served: number;
  readonly counters: ReturnType<typeof summedCounters>;
}): string[] {
  const r = s.ratio.median;
  const cpu = s.agentCpuUsPerExchange.median;
  return [
    r >= TARGET_RATIO ? `throughput ratio ${fix(r, 3)}x meets the ${TARGET_RATIO}x target` : `throughput ratio ${fix(r, 3)}x misses the ${TARGET_RATIO}x target by ${fix((TARGET_RATIO - r) * 100, 1)} points`,
    cpu <= TARGET_CPU_US
      ? `agent CPU ${fix(cpu)} µs/exchange meets the ${TARGET_CPU_US} µs target`
      : `agent CPU ${fix(cpu)} µs/exchange misses the ${TARGET_CPU_US} µs target${cpu <= GATE_CPU_US ? ` (within the ${GATE_CPU_US} µs gate)` : ` and the ${GATE_CPU_US} µs gate`}`,
    s.missing === 0 ? `every one of the ${int(s.served)} exchanges nginx served arrived at the sink` : `${int(s.missing)} of ${int(s.served)} exchanges did not arrive at the sink; ${countedLosses(s.missing, s.counters)}`,
  ];
}

/**
 * What the agent counted of exchanges that did not arrive. TotalEventsDroppedAtEventQueueLimit
 * sums two queues (the stats line keeps the reference agent's names): lines the sink queue refused,
 * one per exchange, and records the reader thread could not hand to JavaScript, which are events.
 * Ring-buffer losses are events too; with any of them the rest cannot be matched one to one.
 */
export function countedLosses(missing: number, c: ReturnType<typeof summedCounters>): string {
  const q = c.TotalEventsDroppedAtEventQueueLimit;
  const p = c.TotalEventsDroppedAtParsing;
  const counted = `the agent counted ${int(q)} dropped at its queues (TotalEventsDroppedAtEventQueueLimit: lines the sink queue refused and records the reader thread could not hand to JavaScript), ${int(p)} at parsing, ${int(c.EventLost)} events lost in the ring (EventLost)`;
  if (c.EventLost > 0) return counted;
  const unexplained = Math.max(0, missing - q - p);
  return `${counted}: ${unexplained === 0 ? 'every one accounted for' : `${int(unexplained)} not accounted for`}`;
}

/** The columns of a round's agent run that every agent benchmark shows, and their cells. */
export const AGENT_ROUND_HEADER = ['served', 'at sink', 'missing', 'agent µs/exchange'];

export function agentRoundCells(a: Pick<AgentRun, 'served' | 'atSinkForUrl' | 'missing' | 'agentCpuUsPerExchange'>): string[] {
  return [int(a.served), int(a.atSinkForUrl), int(a.missing), fix(a.agentCpuUsPerExchange)];
}

/** The summary rows every agent benchmark ends with: CPU per exchange, share of a core, RSS. */
export function agentSummaryRows(s: { readonly agentCpuUsPerExchange: Summary; readonly agentCoreShare: Summary; readonly agentRssMiB: Summary }): string[][] {
  return [
    summaryRow('agent CPU µs / exchange', s.agentCpuUsPerExchange, (v) => fix(v)),
    summaryRow('agent CPU, share of one core', s.agentCoreShare, pct),
    summaryRow('agent RSS, MiB', s.agentRssMiB, (v) => fix(v, 0)),
  ];
}

/** The with/without ratio of every round as a chart bar (min, median, max), against `target`. */
export function roundsRatioChart(label: string, ratio: Summary, rounds: number, target: number): string {
  return ratioChartSvg([{ label, min: ratio.min, median: ratio.median, max: ratio.max }], {
    title: `nginx throughput with socktap vs without: min, median, max over ${rounds} round${rounds === 1 ? '' : 's'}`,
    axisLabel: 'req/s with the agent / req/s without, same round',
    axisMax: Math.max(1.1, Math.ceil(ratio.max * 10) / 10),
    target: { value: target, label: `target ${target.toFixed(2)}x` },
  });
}
