/**
 * One measured wrk run against nginx, without the agent or with a Tracer running in this very
 * process. Both kinds sample the same counters over the same window, so a round's two runs
 * differ only by the tracer.
 */
import { Tracer, type TracerOptions, type TracerStats } from '../../agent/capture/tracer';
import { busyFraction, processCpuUs, systemCpu, threadSplit } from './cpu';
import type { Nginx } from './nginx';
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
  /**
   * Agent CPU (this process, user+sys, all threads): the wrk run plus the delivery of the last
   * batches after stop(). Tracer.start() and stop() themselves are one-off costs, reported apart.
   */
  readonly cpuUs: number;
  readonly cpuUserUs: number;
  readonly cpuSystemUs: number;
  readonly cpuUsPerRequest: number;
  readonly cpuUsPerEvent: number;
  /** Agent CPU over the wrk run as a share of one core. */
  readonly cpuCoreShare: number;
  /** Over the wrk run: the JavaScript thread vs the others (reader thread, GC helpers), µs. */
  readonly threads: { readonly mainUs: number; readonly otherUs: number };
  /** Tracer.start(): BPF load, verify and attach. */
  readonly startMs: number;
  readonly startCpuUs: number;
  /** Tracer.stop(): detach (off the JavaScript thread), final drain delivered, free. */
  readonly stopMs: number;
  readonly stopCpuUs: number;
  /** Tracer.stop() as resolved: final native counters and JS counters, all batches delivered. */
  readonly stats: TracerStats;
}

const cpuUsNow = () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};

/** Runs `fn`, returning its wall ms and this process's CPU µs. */
function timed<T>(fn: () => T): { value: T; ms: number; cpuUs: number } {
  const t0 = performance.now();
  const c0 = cpuUsNow();
  const value = fn();
  return { value, cpuUs: cpuUsNow() - c0, ms: performance.now() - t0 };
}

async function timedAsync<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number; cpuUs: number }> {
  const t0 = performance.now();
  const c0 = cpuUsNow();
  const value = await fn();
  return { value, cpuUs: cpuUsNow() - c0, ms: performance.now() - t0 };
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
  const tracer = new Tracer({ targets: { pids: [nginx.workerPid] }, ...extra });
  const n = { data: 0, open: 0, close: 0, dataBytes: 0, firstBytes: 0, batches: 0, maxBatch: 0 };
  // The consumer an agent would be at minimum: look at every event and at every payload (as a
  // parser will: the payload view and its first byte), keep nothing.
  tracer.on('batch', (events) => {
    n.batches++;
    if (events.length > n.maxBatch) n.maxBatch = events.length;
    for (const ev of events) {
      if (ev.kind === 'data') {
        n.data++;
        const payload = ev.payload;
        n.dataBytes += payload.length;
        if (payload.length > 0) n.firstBytes += payload[0];
      } else if (ev.kind === 'open') n.open++;
      else n.close++;
    }
  });

  const started = timed(() => tracer.start());

  const sys0 = systemCpu();
  const ngx0 = processCpuUs(nginx.workerPid);
  const split0 = threadSplit();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let result: WrkResult;
  try {
    ({ result } = await runWrk({ url: nginx.url, ...w }));
  } catch (e) {
    await tracer.stop();
    throw e;
  }
  const runCpu = process.cpuUsage(cpu0);
  const runUs = (performance.now() - t0) * 1e3;
  const split1 = threadSplit();
  const ngx1 = processCpuUs(nginx.workerPid);
  const sys1 = systemCpu();

  // stop() resolves after the final drain reached JavaScript: decoding those batches is part of
  // the capture's cost, so its CPU counts.
  const drain0 = process.cpuUsage();
  const stopped = await timedAsync(() => tracer.stop());
  const drainCpu = process.cpuUsage(drain0);
  const cpuUserUs = runCpu.user + drainCpu.user;
  const cpuSystemUs = runCpu.system + drainCpu.system;
  const cpuUs = cpuUserUs + cpuSystemUs;

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
    cpuUserUs,
    cpuSystemUs,
    cpuUsPerRequest: cpuUs / requests,
    cpuUsPerEvent: cpuUs / Math.max(1, total),
    cpuCoreShare: (runCpu.user + runCpu.system) / runUs,
    threads: { mainUs: split1.mainUs - split0.mainUs, otherUs: split1.otherUs - split0.otherUs },
    startMs: started.ms,
    startCpuUs: started.cpuUs,
    stopMs: stopped.ms,
    stopCpuUs: stopped.cpuUs,
    stats: stopped.value,
  };
}
