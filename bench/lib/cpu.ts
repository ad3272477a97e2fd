/**
 * CPU accounting from /proc, for the figures the harness cannot get from process.cpuUsage():
 * the nginx worker's own CPU (where the BPF programs' cost lands, since tracepoints run in the
 * traced thread) and how busy the whole machine was (a saturated 2-core box turns every agent
 * µs into lost server throughput).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';

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
