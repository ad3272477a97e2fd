/**
 * One measured wrk run against nginx, without the agent or with a Tracer running in this very
 * process. Both kinds sample the same counters over the same window, so a round's two runs
 * differ only by the tracer.
 */
import { Tracer, type TracerOptions, type TracerStats } from '../../agent/capture/tracer';
import { busyFraction, processCpuUs, systemCpu } from './cpu';
import type { Nginx } from './nginx';
import { sleep } from './procs';
import { runWrk, type WrkResult } from './wrk';

export interface WrkSettings {
  readonly threads: number;
  readonly connections: number;
  readonly durationS: number;
}

export interface BaselineRun {
  readonly wrk: WrkResult;
  /** This process's user+sys CPU over the wrk run: the harness's own floor (spawn, pipes). */
  readonly harnessCpuUs: number;
  /** nginx worker user+sys per request; tracepoint programs run in its context. */
  readonly nginxCpuUsPerRequest: number;
  /** Share of all CPUs busy during the run (0..1). */
  readonly machineBusy: number;
}

export interface TracerRun extends BaselineRun {
  /** Events the listener consumed, by kind (counted here, after the last batch arrived). */
  readonly events: { readonly data: number; readonly open: number; readonly close: number; readonly total: number };
  readonly eventsPerSec: number;
  /** Sum of data events' `len`: proof every event was touched, and the stream bytes seen. */
  readonly dataBytes: number;
  readonly batches: number;
  readonly maxEventsPerBatch: number;
  /** Agent CPU (this process, user+sys) from just before wrk to the last batch after stop(). */
  readonly cpuUs: number;
  readonly cpuUsPerRequest: number;
  readonly cpuUsPerEvent: number;
  /** Agent CPU as a share of one core over the same window. */
  readonly cpuCoreShare: number;
  /** Tracer.start(): BPF load, verify and attach. Not part of cpuUs. */
  readonly startMs: number;
  readonly startCpuUs: number;
  /** Tracer.stop() as returned (its counters are read before the final drain). */
  readonly stats: TracerStats;
}

const cpuUsNow = () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};

/** Waits until no batch arrived for `quietMs` (the reader's final drain is delivered after stop()). */
async function settle(lastBatchAt: () => number, quietMs = 100, maxMs = 3000): Promise<void> {
  const deadline = performance.now() + maxMs;
  while (performance.now() < deadline && performance.now() - lastBatchAt() < quietMs) await sleep(10);
}

export async function measureBaseline(nginx: Nginx, w: WrkSettings): Promise<BaselineRun> {
  const sys0 = systemCpu();
  const ngx0 = processCpuUs(nginx.workerPid);
  const cpu0 = cpuUsNow();
  const { result } = await runWrk({ url: nginx.url, ...w });
  const cpu1 = cpuUsNow();
  const ngx1 = processCpuUs(nginx.workerPid);
  const sys1 = systemCpu();
  return {
    wrk: result,
    harnessCpuUs: cpu1 - cpu0,
    nginxCpuUsPerRequest: (ngx1 - ngx0) / Math.max(1, result.requests),
    machineBusy: busyFraction(sys0, sys1),
  };
}

export async function measureTracer(nginx: Nginx, w: WrkSettings, extra: TracerOptions = {}): Promise<TracerRun> {
  const tracer = new Tracer({ ...extra, targets: { pids: [nginx.workerPid] } });
  const n = { data: 0, open: 0, close: 0, dataBytes: 0, batches: 0, maxBatch: 0, lastBatchAt: 0 };
  // The consumer an agent would be at minimum: look at every event, keep nothing.
  tracer.on('batch', (events) => {
    n.batches++;
    n.lastBatchAt = performance.now();
    if (events.length > n.maxBatch) n.maxBatch = events.length;
    for (const ev of events) {
      if (ev.kind === 'data') {
        n.data++;
        n.dataBytes += ev.len;
      } else if (ev.kind === 'open') n.open++;
      else n.close++;
    }
  });

  const start0 = performance.now();
  const startCpu0 = cpuUsNow();
  tracer.start();
  const startCpuUs = cpuUsNow() - startCpu0;
  const startMs = performance.now() - start0;

  const sys0 = systemCpu();
  const ngx0 = processCpuUs(nginx.workerPid);
  const cpu0 = cpuUsNow();
  const t0 = performance.now();
  let result: WrkResult;
  try {
    ({ result } = await runWrk({ url: nginx.url, ...w }));
  } catch (e) {
    tracer.stop();
    throw e;
  }
  const ngx1 = processCpuUs(nginx.workerPid);
  const sys1 = systemCpu();
  const stats = tracer.stop();
  await settle(() => n.lastBatchAt);
  const cpuUs = cpuUsNow() - cpu0;
  const windowUs = (performance.now() - t0) * 1e3;

  const total = n.data + n.open + n.close;
  const requests = Math.max(1, result.requests);
  return {
    wrk: result,
    harnessCpuUs: cpuUs,
    nginxCpuUsPerRequest: (ngx1 - ngx0) / requests,
    machineBusy: busyFraction(sys0, sys1),
    events: { data: n.data, open: n.open, close: n.close, total },
    eventsPerSec: total / result.durationS,
    dataBytes: n.dataBytes,
    batches: n.batches,
    maxEventsPerBatch: n.maxBatch,
    cpuUs,
    cpuUsPerRequest: cpuUs / requests,
    cpuUsPerEvent: cpuUs / Math.max(1, total),
    cpuCoreShare: cpuUs / windowUs,
    startMs,
    startCpuUs,
    stats,
  };
}
