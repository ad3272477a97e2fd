/** Facts about the machine a benchmark ran on, recorded next to every result. */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';

export interface MachineFacts {
  /** `uname -r` */
  readonly kernel: string;
  readonly cpuModel: string;
  /** `nproc`: CPUs this process may run on. */
  readonly nproc: number;
  readonly memGiB: number;
  readonly node: string;
  readonly nginx: string;
  readonly wrk: string;
  /** ISO 8601, when the run started. */
  readonly date: string;
}

/** First non-empty line a command prints on stdout or stderr (nginx -v and wrk -v use stderr). */
function firstLine(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  const line = `${r.stdout ?? ''}\n${r.stderr ?? ''}`.split('\n').find((l) => l.trim());
  return line?.trim() ?? 'unknown';
}

export function cpuModel(cpuinfo: string): string {
  const m = /^model name\s*:\s*(.+)$/m.exec(cpuinfo) ?? /^Hardware\s*:\s*(.+)$/m.exec(cpuinfo);
  return m ? m[1].trim() : 'unknown';
}

export function machineFacts(): MachineFacts {
  return {
    kernel: os.release(),
    cpuModel: cpuModel(fs.readFileSync('/proc/cpuinfo', 'utf8')),
    nproc: os.availableParallelism(),
    memGiB: Math.round(os.totalmem() / 1024 ** 3),
    node: process.version,
    nginx: firstLine('nginx', ['-v']).replace(/^nginx version:\s*/, ''),
    wrk: firstLine('wrk', ['-v']).split(' ').slice(0, 2).join(' '),
    date: new Date().toISOString(),
  };
}
