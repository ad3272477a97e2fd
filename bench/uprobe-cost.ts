/**
 * The price of one uprobe hit, in isolation: a loop calls `SSL_write` in a stand-in libssl 1e5
 * times and reports ns per call, with no probes, with socktap's SSL probes attached to the file
 * while the caller is not a target (the programs return at once) and while it is (the whole
 * entry/return path; the call reports 0 bytes, so no event is produced).
 *
 * Two stand-ins differ only in the instruction the probe sits on. x86 uprobes emulate a few
 * instructions (push, call, jmp, nop) and run every other one out of line under single-step, one
 * more trap. OpenSSL's SSL_* functions in Debian's libssl start with `sub $N,%rsp` (single-step);
 * node's start with `push %rbp` (emulated). Which one a probe pays is the machine's trap cost,
 * which this measures: it explains the TLS benchmark, and tells what a probe costs elsewhere.
 *
 *   npm run bench:uprobe -- [--calls N] [--repeat N]
 */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Tracer } from '../agent/capture/tracer';
import { intFlag, parseFlags, UsageError } from './lib/args';
import { machineFacts } from './lib/machine';
import { markdownTable, textTable, writeJson, writeSection } from './lib/report';
import { median } from './lib/stats';

/** The repository root: scripts/bench.sh runs every harness from there. */
const ROOT = process.cwd();
const USAGE = 'usage: npm run bench:uprobe -- [--calls N (default 100000)] [--repeat N (default 5)]';

/** The stand-in's SSL_write returns its third argument (0 here: nothing to report). */
const ENTRIES = {
  'single-stepped (sub $8,%rsp: as Debian libssl)': 'sub $8, %rsp\n  mov %edx, %eax\n  add $8, %rsp\n  ret',
  'emulated (push %rbp: as node)': 'push %rbp\n  mov %edx, %eax\n  pop %rbp\n  ret',
} as const;
type Entry = keyof typeof ENTRIES;

const LOOP_C = `#include <stdio.h>
#include <stdlib.h>
#include <time.h>
int SSL_write(void *ssl, const void *buf, int num);
int main(int argc, char **argv) {
  long n = atol(argv[1]);
  char buf[16];
  getchar(); /* the harness attaches and targets this pid first */
  struct timespec a, b;
  clock_gettime(CLOCK_MONOTONIC, &a);
  for (long i = 0; i < n; i++) SSL_write((void *)buf, buf, 0);
  clock_gettime(CLOCK_MONOTONIC, &b);
  printf("%.1f\\n", ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / n);
  return 0;
}
`;

/** Builds one stand-in library per entry kind and the loop, in `dir`. */
function build(dir: string): Record<Entry, { lib: string; loop: string }> {
  const out = {} as Record<Entry, { lib: string; loop: string }>;
  fs.writeFileSync(path.join(dir, 'loop.c'), LOOP_C);
  Object.entries(ENTRIES).forEach(([name, body], i) => {
    const sub = path.join(dir, `v${i}`);
    fs.mkdirSync(sub);
    // Every symbol the attacher wants, so the probes attach as they would to a real libssl.
    const fns = ['SSL_write', 'SSL_read', 'SSL_read_ex', 'SSL_write_ex'];
    const asm = ['.text', ...fns.flatMap((f) => [`.globl ${f}`, `.type ${f}, @function`, `${f}:`, `  ${body}`, `.size ${f}, .-${f}`])].join('\n');
    fs.writeFileSync(path.join(sub, 'ssl.S'), asm + '\n.section .note.GNU-stack,"",@progbits\n');
    const lib = path.join(sub, 'libssl.so.3');
    execFileSync('gcc', ['-shared', '-fPIC', '-o', lib, path.join(sub, 'ssl.S')]);
    const loop = path.join(sub, 'loop');
    execFileSync('gcc', ['-O2', '-o', loop, path.join(dir, 'loop.c'), lib, `-Wl,-rpath,${sub}`]);
    out[name as Entry] = { lib, loop };
  });
  return out;
}

type Mode = 'no probes' | 'probes, caller untargeted' | 'probes, caller targeted';
const MODES: readonly Mode[] = ['no probes', 'probes, caller untargeted', 'probes, caller targeted'];

async function once(files: { lib: string; loop: string }, mode: Mode, calls: number): Promise<number> {
  const child = spawn(files.loop, [String(calls)], { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  // No TLS scan: the harness attaches to the stand-in itself, and only in the probe modes.
  const tracer = new Tracer({ tls: false, targets: mode === 'probes, caller targeted' ? { pids: [child.pid!] } : {} }).start();
  try {
    if (mode !== 'no probes') tracer.attachTls(files.lib);
    child.stdin.end('go\n');
    const code = await exited;
    if (code !== 0) throw new Error(`${files.loop} exited with ${code}`);
  } finally {
    await tracer.stop();
  }
  return Number(out.trim());
}

async function main(): Promise<void> {
  const flags = parseFlags(process.argv.slice(2), ['calls', 'repeat']);
  const calls = intFlag(flags, 'calls', 100_000, 1000, 100_000_000);
  const repeat = intFlag(flags, 'repeat', 5, 1, 100);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'socktap-uprobe-'));
  process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  const variants = build(dir);
  const results: Array<{ entry: Entry; mode: Mode; nsPerCall: number[] }> = [];
  for (const entry of Object.keys(variants) as Entry[]) {
    for (const mode of MODES) results.push({ entry, mode, nsPerCall: [] });
  }
  // Modes interleaved per repetition, so a noisy moment hits all of them alike.
  for (let r = 0; r < repeat; r++) {
    for (const res of results) res.nsPerCall.push(await once(variants[res.entry], res.mode, calls));
    process.stderr.write(`repetition ${r + 1}/${repeat} done\n`);
  }
  const header = ['probed instruction', 'mode', 'ns per call (median)', 'min', 'max'];
  const rows = results.map((r) => [r.entry, r.mode, median(r.nsPerCall).toFixed(0), Math.min(...r.nsPerCall).toFixed(0), Math.max(...r.nsPerCall).toFixed(0)]);
  console.log(textTable(header, rows));
  const m = machineFacts();
  writeJson(path.join(ROOT, 'bench', 'results', 'uprobe-cost.json'), { machine: m, calls, repeat, results });
  const section = [
    '## Uprobe cost per call (stand-in libssl)',
    '',
    `A C loop calls \`SSL_write\` in a stand-in libssl ${calls.toLocaleString('en-US')} times; median of ${repeat} runs per row,`,
    'the modes interleaved. With probes, socktap\'s SSL uprobe and uretprobe are attached to the file (the caller untargeted:',
    'the programs return at once; targeted: the whole path, the call reporting 0 bytes). The stand-ins differ only in',
    'their first instruction: x86 uprobes emulate `push`, `call`, `jmp` and `nop`, and single-step every other',
    'instruction out of line, one more trap. Debian\'s libssl starts its SSL_* functions with `sub $N,%rsp`, node with `push %rbp`.',
    '',
    markdownTable(header, rows),
    '',
    `Machine: kernel \`${m.kernel}\`, ${m.cpuModel}, nproc ${m.nproc}; run ${m.date}. Rerun: \`npm run bench:uprobe -- --calls ${calls} --repeat ${repeat}\` (JSON: \`bench/results/uprobe-cost.json\`).`,
  ].join('\n');
  writeSection(path.join(ROOT, 'docs', 'benchmarks.md'), '# Benchmarks', 'uprobe-cost', section);
  console.log('wrote bench/results/uprobe-cost.json and the uprobe-cost section of docs/benchmarks.md');
}

main().catch((err: unknown) => {
  if (err instanceof UsageError) console.error(`${err.message}\n${USAGE}`);
  else console.error(err);
  process.exit(1);
});
