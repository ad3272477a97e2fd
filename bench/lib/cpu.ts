/**
 * CPU accounting from /proc, for the figures the harness cannot get from process.cpuUsage():
 * the nginx worker's own CPU (where the BPF programs' cost lands, since tracepoints run in the
 * traced thread) and how busy the whole machine was (a saturated 2-core box turns every agent
 * µs into lost server throughput).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { eachProcessStat } from './procs';

let clkTck: number | undefined;

/** Kernel clock ticks per second, the unit of /proc CPU times (almost always 100). */
function ticksPerSecond(): number {
  if (clkTck === undefined) {
    try {
      clkTck = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clkTck = 100;
    }
  }
  return clkTck;
}

/** utime + stime of a /proc/<pid>/stat (or task stat) line, µs. */
function statCpuUs(stat: string): number {
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // After comm: state(3) ppid(4) ... utime(14) stime(15), so indexes 11 and 12 of `rest`.
  const ticks = Number(rest[11]) + Number(rest[12]);
  return (ticks * 1e6) / ticksPerSecond();
}

/** cutime + cstime of a /proc/<pid>/stat line, in ticks: the CPU of the children the process has
 * reaped (each with the children it reaped in turn, so tshark brings its dumpcap). */
export function reapedChildrenTicks(stat: string): number {
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // After comm: state(3) ... utime(14) stime(15) cutime(16) cstime(17): indexes 13 and 14 of `rest`.
  return Number(rest[13]) + Number(rest[14]);
}

/**
 * CPU of this process's reaped children, µs: the growth of this figure around a child's exit is
 * the child's whole-life CPU, including what it did after it was told to stop (out of reach of
 * /proc/<pid> once it is gone). Valid while no other child exits meanwhile. The tick rate is
 * asked (getconf, itself a child) before the first sample is read, so it never falls between two.
 */
export function reapedChildrenCpuUs(): number {
  const perSecond = ticksPerSecond();
  return (reapedChildrenTicks(fs.readFileSync('/proc/self/stat', 'utf8')) * 1e6) / perSecond;
}

/** user + sys µs of every process but kernel threads, by pid, from /proc. */
export function processCpuByPid(): Map<number, number> {
  const out = new Map<number, number>();
  eachProcessStat((pid, rest, stat) => {
    // Kernel threads are kthreadd (2) and its children (parent pid 2).
    if (pid !== 2 && rest[1] !== '2') out.set(pid, statCpuUs(stat));
  });
  return out;
}

/** user + system CPU of one process (all its threads), µs. Resolution is one tick (10 ms). */
export function processCpuUs(pid: number): number {
  return statCpuUs(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
}

export interface SystemCpu {
  readonly busyTicks: number;
  readonly totalTicks: number;
}

/** Machine-wide CPU ticks from the first line of /proc/stat. */
export function systemCpu(): SystemCpu {
  const line = fs.readFileSync('/proc/stat', 'utf8').split('\n', 1)[0];
  const f = line.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal [guest guest_nice, already inside user/nice]
  const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
  const idle = f[3] + (f[4] ?? 0);
  return { busyTicks: total - idle, totalTicks: total };
}

/** Fraction of all CPUs that were busy between two samples (0..1). */
export function busyFraction(a: SystemCpu, b: SystemCpu): number {
  const total = b.totalTicks - a.totalTicks;
  return total > 0 ? (b.busyTicks - a.busyTicks) / total : 0;
}

/** CPU of one process split by thread: the main (JavaScript) thread vs all others, µs. */
export interface ThreadSplit {
  readonly mainUs: number;
  readonly otherUs: number;
}

/**
 * For this Node process the "other" threads are the capture reader thread plus V8's and libuv's
 * helpers (concurrent GC, compilation): the addon does not name its thread, so they cannot be
 * told apart by comm. Threads that exited between samples are missed (not subtracted).
 */
export function threadSplit(pid = process.pid): ThreadSplit {
  let mainUs = 0;
  let otherUs = 0;
  for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
    let us: number;
    try {
      us = statCpuUs(fs.readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8'));
    } catch {
      continue; // the thread exited
    }
    if (Number(tid) === pid) mainUs += us;
    else otherUs += us;
  }
  return { mainUs, otherUs };
}

/** A process's CPU and the machine's over one scenario, taken at the moments the harness chooses. */
export interface CpuWindow {
  /** The process's user + system µs from the start to `processDone`. */
  readonly processCpuUs: number;
  /** Wall-clock µs over the same span. */
  readonly wallUs: number;
  /** The machine's busy fraction from the start to `loadDone` (or to `processDone` if not called). */
  readonly machineBusy: number;
}

/**
 * Starts measuring `pid` and the machine. The machine is read when the load ends (`loadDone`), the
 * process when it has finished its work (`processDone`: e.g. once its sink went quiet), so each
 * share covers the span it belongs to.
 */
export function startCpuWindow(pid: number): { loadDone(): void; processDone(): CpuWindow } {
  const cpu0 = processCpuUs(pid);
  const wall0 = performance.now();
  const sys0 = systemCpu();
  let sys1: SystemCpu | undefined;
  return {
    loadDone: () => {
      sys1 = systemCpu();
    },
    processDone: () => ({
      processCpuUs: processCpuUs(pid) - cpu0,
      wallUs: (performance.now() - wall0) * 1e3,
      machineBusy: busyFraction(sys0, sys1 ?? systemCpu()),
    }),
  };
}
