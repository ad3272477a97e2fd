/**
 * socktap as users run it: `socktap run` in its own process, exporting to a sink that a
 * discarding reader in the harness drains (a unix socket here, an OTLP receiver in
 * otlp-counter.ts). The reader counts the records (and those for the benchmark's URL), so
 * "exchanges at the sink" is counted where the records arrive. `measureAgent` is one wrk run
 * against nginx with the agent, as every agent harness measures it.
 */
import path from 'node:path';
import { packageRoot } from '../../agent/capture/native';
import { busyFraction, processCpuUs, systemCpu } from './cpu';
import { startLineServer } from './line-server';
import type { Nginx } from './nginx';
import { start, sleep, statusKiB, type Proc } from './procs';
import type { WrkSettings } from './runs';
import { runWrk, type WrkResult } from './wrk';

/** A discarding reader of exchange records. */
export interface ExchangeCounter {
  /** Records received. */
  received(): number;
  /** Records for the benchmark's URL. */
  matching(): number;
  close(): Promise<void>;
}

export interface LineCounter extends ExchangeCounter {
  /** Complete lines received (the same as received()). */
  lines(): number;
  /** Lines containing `needle` (e.g. `"target":"/body.json"`). */
  matching(): number;
}

/** Listens at `socketPath`, reads and discards JSON lines, counting them. */
export async function startLineCounter(socketPath: string, needle: string): Promise<LineCounter> {
  let lines = 0;
  let matching = 0;
  const server = await startLineServer(socketPath, (text, from, to) => {
    lines++;
    const at = text.indexOf(needle, from);
    if (at >= 0 && at < to) matching++;
  });
  return { lines: () => lines, received: () => lines, matching: () => matching, close: () => server.close() };
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

export interface AgentRun {
  readonly wrk: WrkResult;
  /** Requests nginx served during the run (stub_status delta, the status request excluded). */
  readonly served: number;
  /** Exchange records that reached the discarding reader, and those for the benchmark URL. */
  readonly atSink: number;
  readonly atSinkForUrl: number;
  /** served - atSinkForUrl: exchanges that never arrived. */
  readonly missing: number;
  readonly agentCpuUs: number;
  readonly agentCpuUsPerExchange: number;
  readonly agentCoreShare: number;
  readonly agentRssMiB: number;
  readonly nginxCpuUsPerRequest: number;
  readonly machineBusy: number;
  /** The agent's final stats line. */
  readonly stats: Record<string, number>;
}

/** The agent's loss and parse counters, summed over runs: what the reports print beside the counts at the sink. */
export function summedCounters(runs: ReadonlyArray<{ readonly stats: Readonly<Record<string, number>> }>) {
  const stat = (name: string) => runs.reduce((n, r) => n + (r.stats[name] ?? 0), 0);
  return {
    TotalRequestsParsed: stat('TotalRequestsParsed'),
    TotalRequestsSent: stat('TotalRequestsSent'),
    EventLost: stat('EventLost'),
    ReqParsingErrors: stat('ReqParsingErrors'),
    ResParsingErrors: stat('ResParsingErrors'),
    TotalEventsDroppedAtEventQueueLimit: stat('TotalEventsDroppedAtEventQueueLimit'),
    TotalEventsDroppedAtParsing: stat('TotalEventsDroppedAtParsing'),
  };
}

export interface MeasureAgentOptions {
  readonly nginx: Nginx;
  readonly wrk: WrkSettings;
  /** nginx's stub_status, read before the agent starts and after it stopped (never captured). */
  readonly statusUrl: string;
  /** `socktap run` flags: the selection and the sink `openSink` listens for. */
  readonly args: readonly string[];
  /** Starts the discarding reader the agent exports to; closed when the run ends. */
  readonly openSink: () => Promise<ExchangeCounter>;
  /** Runs once the agent said it captures, before the measured window (e.g. wait for TLS uprobes). */
  readonly ready?: (agent: AgentProcess) => Promise<void>;
  /** CPU µs of the load generator so far, sampled around the wrk run alone (e.g. wrk as a reaped child). */
  readonly clientCpuUs?: () => number;
  /** Throws when wrk's result measures nothing (errors, no requests), before the agent is stopped. */
  readonly checkWrk?: (r: WrkResult) => void;
}

export interface MeasuredAgent {
  readonly run: AgentRun;
  /** The agent's whole stderr (log lines, stats, probe stat). */
  readonly stderr: string;
  /** The client's CPU over the wrk run, µs, with `clientCpuUs`. */
  readonly clientCpuUs?: number;
}

/** One wrk run against `nginx` with `socktap run <args>` exporting to the sink of `openSink`. */
export async function measureAgent(o: MeasureAgentOptions): Promise<MeasuredAgent> {
  const { nginx } = o;
  const sink = await o.openSink();
  try {
    const before = await nginxRequests(o.statusUrl);
    const agent = await startAgentProcess([...o.args]);
    try {
      await o.ready?.(agent);
      const sys0 = systemCpu();
      const ngx0 = processCpuUs(nginx.workerPid);
      const cpu0 = processCpuUs(agent.proc.pid);
      const client0 = o.clientCpuUs?.();
      const t0 = performance.now();
      const { result } = await runWrk({ url: nginx.url, ...o.wrk });
      const runUs = (performance.now() - t0) * 1e3;
      const clientUs = client0 === undefined ? undefined : o.clientCpuUs!() - client0;
      const ngx1 = processCpuUs(nginx.workerPid);
      const sys1 = systemCpu();
      o.checkWrk?.(result);
      // The agent finishes what the kernel and its queues still hold: wait for the sink to go
      // quiet, and count that CPU too (it is part of the cost of these exchanges).
      for (let last = -1, quiet = 0; quiet < 3; await sleep(100)) {
        quiet = sink.received() === last ? quiet + 1 : 0;
        last = sink.received();
      }
      const cpu1 = processCpuUs(agent.proc.pid);
      const rssMiB = statusKiB(agent.proc.pid, 'VmRSS') / 1024;
      const stats = await agent.stop();
      const after = await nginxRequests(o.statusUrl);
      const served = after - before - 1;
      const atSinkForUrl = sink.matching();
      return {
        run: {
          wrk: result,
          served,
          atSink: sink.received(),
          atSinkForUrl,
          missing: served - atSinkForUrl,
          agentCpuUs: cpu1 - cpu0,
          agentCpuUsPerExchange: (cpu1 - cpu0) / Math.max(1, atSinkForUrl),
          agentCoreShare: (cpu1 - cpu0) / runUs,
          agentRssMiB: rssMiB,
          nginxCpuUsPerRequest: (ngx1 - ngx0) / Math.max(1, result.requests),
          machineBusy: busyFraction(sys0, sys1),
          stats,
        },
        stderr: agent.proc.stderr(),
        clientCpuUs: clientUs,
      };
    } finally {
      await agent.proc.kill('SIGKILL');
    }
  } finally {
    await sink.close();
  }
}
