/**
 * Replay benchmark: what the agent's JavaScript path costs per exchange, without the kernel,
 * the load generator or the other core in the way.
 *
 * The full-pipeline benchmark measures the agent as users run it, but on a 2-core machine
 * shared with nginx and wrk its CPU per exchange moves by ~30 % from one day to the next, so it
 * cannot tell a 5 % change in the parser from noise. This harness records the batches the reader
 * thread hands to JavaScript while nginx serves wrk (once, as root), then replays them in this
 * process, many times, through exactly what `socktap run --uds` runs per batch: the decoder, the
 * exchange assembler (ordering, HTTP parsing, pairing, the record) and the JSON line writer.
 * Its figure is the main thread's CPU per exchange over a pass, repeatable within a few percent,
 * for A/B comparisons of changes on the hot path (record once, replay with either build).
 *
 *   npm run bench:replay                                   # record 2 s of nginx + wrk, replay 20 passes
 *   npm run bench:replay -- --save /tmp/nginx.batches      # also keep the recording
 *   npm run bench:replay -- --input /tmp/nginx.batches     # replay a recording (no root needed)
 *   npm run bench:replay -- --input F --cpu-prof /tmp/p    # and write a V8 CPU profile of the passes
 */
import fs from 'node:fs';
import path from 'node:path';
import { Session } from 'node:inspector/promises';
import { packageRoot } from '../agent/capture/native';
import { recordBatches, readRecording, writeRecording, type Recording } from './lib/batch-recording';
import { choiceFlag, intFlag, parseFlags } from './lib/args';
import { REPLAY_STAGES, replayPass, type PassResult, type ReplayStage } from './lib/replay-pass';
import { benchmarkMain, fix, int } from './lib/alternation';
import { summarize } from './lib/stats';
import { textTable, writeJson } from './lib/report';
import { machineFacts } from './lib/machine';

const USAGE = `usage: npm run bench:replay -- [flags]      (or: node dist/bench/replay.js [flags])

  --input FILE      replay this recording instead of recording one (no root, no nginx needed)
  --save FILE       keep the recording made by this run
  --duration S      seconds of wrk traffic to record                              [2]
  --connections C   wrk connections while recording                              [32]
  --passes N        replay passes; the first ones warm V8 up and are not counted  [20]
  --warmup N        passes not counted (full pipeline), at least 1                [5]
  --stage S         how far counted passes go: decode, assemble (records made, not
                    encoded) or full (and the unix-socket sink's encoding)        [full]
  --cpu-prof DIR    write a .cpuprofile of the counted passes into DIR
  --out PATH        JSON results                          [bench/results/replay.json]`;

interface Config {
  readonly input: string | undefined;
  readonly save: string | undefined;
  readonly durationS: number;
  readonly connections: number;
  readonly passes: number;
  readonly warmup: number;
  readonly stage: ReplayStage;
  readonly cpuProf: string | undefined;
  readonly out: string;
}

function parseConfig(argv: readonly string[]): Config | undefined {
  const v = parseFlags(argv, ['input', 'save', 'duration', 'connections', 'passes', 'warmup', 'stage', 'cpu-prof', 'out']);
  if (v.help) return undefined;
  const root = packageRoot();
  const file = (name: string): string | undefined => (typeof v[name] === 'string' ? path.resolve(v[name] as string) : undefined);
  const passes = intFlag(v, 'passes', 20, 2, 10_000);
  return {
    input: file('input'),
    save: file('save'),
    durationS: intFlag(v, 'duration', 2, 1, 600),
    connections: intFlag(v, 'connections', 32, 1, 10_000),
    passes,
    warmup: Math.min(intFlag(v, 'warmup', 5, 1, 10_000), passes - 1),
    stage: choiceFlag(v, 'stage', 'full', REPLAY_STAGES),
    cpuProf: file('cpu-prof'),
    out: path.resolve(root, typeof v.out === 'string' ? v.out : 'bench/results/replay.json'),
  };
}

async function obtainRecording(c: Config): Promise<Recording> {
  if (c.input !== undefined) {
    process.stderr.write(`replay: reading ${c.input}\n`);
    return readRecording(c.input);
  }
  process.stderr.write(`replay: recording ${c.durationS} s of nginx + wrk -c${c.connections} (the reader's batches, as JavaScript gets them)\n`);
  const rec = await recordBatches({ durationS: c.durationS, connections: c.connections });
  if (c.save !== undefined) {
    writeRecording(c.save, rec);
    process.stderr.write(`replay: saved ${rec.batches.length} batches to ${c.save}\n`);
  }
  return rec;
}

async function main(): Promise<void> {
  const c = parseConfig(process.argv.slice(2));
  if (!c) {
    console.log(USAGE);
    return;
  }
  const rec = await obtainRecording(c);
  const bytes = rec.batches.reduce((n, b) => n + b.length, 0);
  process.stderr.write(`replay: ${rec.batches.length} batches, ${int(bytes)} bytes; ${c.passes} passes (${c.warmup} warm-up)\n`);

  let profiler: Session | undefined;
  const results: PassResult[] = [];
  let exchangesOfFull = 0;
  for (let i = 0; i < c.passes; i++) {
    if (i === c.warmup && c.cpuProf !== undefined) {
      profiler = new Session();
      profiler.connect();
      await profiler.post('Profiler.enable');
      await profiler.post('Profiler.start');
    }
    const r = i < c.warmup ? await replayPass(rec, 'full') : await replayPass(rec, c.stage, exchangesOfFull);
    if (i < c.warmup) exchangesOfFull = r.exchanges;
    else results.push(r);
    process.stderr.write(`  pass ${i + 1}${i < c.warmup ? ' (warm-up)' : ''}: ${int(r.exchanges)} exchanges, ${fix(r.cpuUsPerExchange, 3)} µs CPU / exchange, ${int(r.lineBytes)} line bytes\n`);
  }
  if (profiler !== undefined && c.cpuProf !== undefined) {
    const { profile } = await profiler.post('Profiler.stop');
    fs.mkdirSync(c.cpuProf, { recursive: true });
    const file = path.join(c.cpuProf, `replay-${process.pid}.cpuprofile`);
    fs.writeFileSync(file, JSON.stringify(profile));
    process.stderr.write(`replay: CPU profile ${file}\n`);
  }

  const summary = {
    exchanges: results[0].exchanges,
    cpuUsPerExchange: summarize(results.map((r) => r.cpuUsPerExchange)),
    lineBytesPerExchange: results[0].lineBytes / Math.max(1, results[0].exchanges),
    heapUsedMiB: process.memoryUsage().heapUsed / 2 ** 20,
  };
  console.log(
    textTable(
      ['measure', 'min', 'median', 'max'],
      [[`CPU µs / exchange (${c.stage})`, fix(summary.cpuUsPerExchange.min, 3), fix(summary.cpuUsPerExchange.median, 3), fix(summary.cpuUsPerExchange.max, 3)]],
    ),
  );
  console.log(`${int(summary.exchanges)} exchanges per pass (${rec.batches.length} batches, ${int(bytes)} bytes), ${fix(summary.lineBytesPerExchange, 0)} JSON bytes per exchange`);
  writeJson(c.out, { recordedAt: rec.recordedAt, source: rec.source, machine: machineFacts(), passes: c.passes, warmup: c.warmup, stage: c.stage, summary, results });
  process.stderr.write(`replay: results in ${c.out}\n`);
}

if (require.main === module) benchmarkMain(main, USAGE);
