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
 *   npm run bench:replay                                   # record 2 s of nginx + wrk, replay 20 passes (4 stages)
 *   npm run bench:replay -- --save /tmp/nginx.batches      # also keep the recording
 *   npm run bench:replay -- --input /tmp/nginx.batches     # replay a recording (no root needed)
 *   npm run bench:replay -- --input F --cpu-prof /tmp/p    # and keep the V8 CPU profile of the profiled passes
 *
 * After the counted passes, `--profile-passes` more passes of the full stage run under V8's
 * sampling profiler (apart, so its cost is in no figure above): their flame graph is written to
 * bench/results/replay-flame.svg and their largest self times into the docs section.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Session } from 'node:inspector/promises';
import { packageRoot } from '../agent/capture/native';
import { recordBatches, readRecording, writeRecording, type Recording } from './lib/batch-recording';
import { choiceFlag, intFlag, parseFlags } from './lib/args';
import { SERVED_BODY_FLAGS, SERVED_BODY_USAGE, servedBody, servedBodyArgs, type ServedBody } from './lib/served-body';
import { REPLAY_STAGES, replayPass, type PassResult, type ReplayStage } from './lib/replay-pass';
import { benchmarkMain, fix, int } from './lib/alternation';
import { summarize, type Summary } from './lib/stats';
import { DOCS_TITLE, markdownTable, textTable, writeJson, writeSection } from './lib/report';
import { machineFacts } from './lib/machine';
import { flameGraphSvg, frameTree, selfTimes, type CpuProfile, type SelfTime } from './lib/flame-svg';

const USAGE = `usage: npm run bench:replay -- [flags]      (or: node dist/bench/replay.js [flags])

  --input FILE      replay this recording instead of recording one (no root, no nginx needed)
  --save FILE       keep the recording made by this run
  --duration S      seconds of wrk traffic to record                              [2]
  --connections C   wrk connections while recording                              [32]
${SERVED_BODY_USAGE}
  --passes N        replay passes; the first ones warm V8 up and are not counted  [20]
  --warmup N        passes not counted (full pipeline), at least 1                [5]
  --stage S         how far counted passes go: decode, assemble (records made, not
                    encoded), full (and the unix-socket sink's encoding), fast (the
                    addon's fast path first, as socktap run), or all in rotation  [all]
  --profile-passes N  passes of the full stage under the CPU profiler, after the
                    counted ones: flame graph and self-time table (0: none)      [5]
  --cpu-prof DIR    also write the profiled passes' .cpuprofile into DIR
  --flame PATH      the flame graph SVG            [bench/results/replay-flame.svg]
  --out PATH        JSON results                          [bench/results/replay.json]
  --docs PATH       Markdown file whose replay section is rewritten  [docs/benchmarks.md]`;

const SECTION = 'replay';

interface Config extends ServedBody {
  readonly input: string | undefined;
  readonly save: string | undefined;
  readonly durationS: number;
  readonly connections: number;
  readonly passes: number;
  readonly warmup: number;
  readonly stage: ReplayStage | 'all';
  readonly profilePasses: number;
  readonly cpuProf: string | undefined;
  readonly flame: string;
  readonly out: string;
  readonly docs: string;
}

function parseConfig(argv: readonly string[]): Config | undefined {
  const v = parseFlags(argv, ['input', 'save', 'duration', 'connections', ...SERVED_BODY_FLAGS, 'passes', 'warmup', 'stage', 'profile-passes', 'cpu-prof', 'flame', 'out', 'docs']);
  if (v.help) return undefined;
  const root = packageRoot();
  const file = (name: string): string | undefined => (typeof v[name] === 'string' ? path.resolve(v[name] as string) : undefined);
  const passes = intFlag(v, 'passes', 20, 2, 10_000);
  return {
    input: file('input'),
    save: file('save'),
    durationS: intFlag(v, 'duration', 2, 1, 600),
    connections: intFlag(v, 'connections', 32, 1, 10_000),
    ...servedBody(v),
    passes,
    warmup: Math.min(intFlag(v, 'warmup', 5, 1, 10_000), passes - 1),
    stage: choiceFlag<ReplayStage | 'all'>(v, 'stage', 'all', [...REPLAY_STAGES, 'all']),
    profilePasses: intFlag(v, 'profile-passes', 5, 0, 10_000),
    cpuProf: file('cpu-prof'),
    flame: path.resolve(root, typeof v.flame === 'string' ? v.flame : 'bench/results/replay-flame.svg'),
    out: path.resolve(root, typeof v.out === 'string' ? v.out : 'bench/results/replay.json'),
    docs: path.resolve(root, typeof v.docs === 'string' ? v.docs : 'docs/benchmarks.md'),
  };
}

async function obtainRecording(c: Config): Promise<Recording> {
  if (c.input !== undefined) {
    process.stderr.write(`replay: reading ${c.input}\n`);
    return readRecording(c.input);
  }
  process.stderr.write(`replay: recording ${c.durationS} s of nginx + wrk -c${c.connections} (the reader's batches, as JavaScript gets them)\n`);
  const rec = await recordBatches({ durationS: c.durationS, connections: c.connections, bodyBytes: c.bodyBytes, sendfile: c.sendfile });
  if (c.save !== undefined) {
    writeRecording(c.save, rec);
    process.stderr.write(`replay: saved ${rec.batches.length} batches to ${c.save}\n`);
  }
  return rec;
}

interface StageSummary {
  readonly stage: ReplayStage;
  readonly passes: number;
  readonly cpuUsPerExchange: Summary;
}

/** The profiler's sampling interval. */
const SAMPLING_INTERVAL_US = 100;
/** Largest self times listed in the docs. */
const TOP_SELF = 15;

interface ProfileSummary {
  readonly passes: number;
  readonly busySamples: number;
  readonly top: readonly SelfTime[];
}

function profileMarkdown(c: Config, p: ProfileSummary): string[] {
  const flameRel = path.relative(path.dirname(c.docs), c.flame).split(path.sep).join('/');
  return [
    `Where the time goes: ${p.passes} more passes of the full stage under V8's sampling profiler (after the counted ones, so`,
    `its cost is in no figure above), a sample every ${SAMPLING_INTERVAL_US} µs, ${int(p.busySamples)} busy samples. Flame graph (each function above its caller, widths`,
    'in proportion to samples; hover for figures):',
    '',
    `![flame graph of the replayed JavaScript path](${flameRel})`,
    '',
    `The ${TOP_SELF} largest self times (a function's own samples over every call path):`,
    '',
    markdownTable(['function', 'self', 'share'], p.top.map((t) => [`\`${t.label}\``, int(t.samples), `${fix(100 * t.share, 1)} %`])),
    '',
  ];
}

function markdown(c: Config, rec: Recording, bytes: number, exchanges: number, lineBytes: number, stages: readonly StageSummary[], prof: ProfileSummary | undefined): string {
  const machine = machineFacts();
  const med = (st: ReplayStage) => stages.find((x) => x.stage === st)?.cpuUsPerExchange.median;
  const [d, a, f, n] = [med('decode'), med('assemble'), med('full'), med('fast')];
  const parts: string[] = [];
  if (d !== undefined && a !== undefined) parts.push(`ordering, HTTP parsing, pairing and the record ~${fix(a - d)} µs`);
  if (a !== undefined && f !== undefined) parts.push(`the JSON line and the sink's queue ~${fix(f - a)} µs`);
  const fastText =
    n === undefined
      ? []
      : [
          `With the addon's fast path first, as \`socktap run --uds\` runs (\`fast\`): ${fix(n)} µs per exchange` +
            (f === undefined ? '.' : `, against ${fix(f)} µs for the JavaScript path alone (\`full\`).`),
          '',
        ];
  return [
    '## Replay: the JavaScript path and the fast path',
    '',
    `Recorded ${rec.recordedAt}: ${rec.source}. The batches the reader thread handed to JavaScript, replayed in one`,
    "process through what `socktap run --uds` runs per batch, one batch per event-loop turn: the decoder (`decode`),",
    "then the exchange assembler up to the records (`assemble`), then the unix-socket sink's encoding and queue with a",
    "destination that is never slow (`full`); and the same sink fed as the agent feeds it, the addon's fast path",
    '(native/src/fast-lines.cc) writing the lines of the plain exchanges and JavaScript the rest (`fast`).',
    'No kernel, no load generator, no other process on the core: CPU',
    "(user + sys of this process) per exchange, the counted passes rotating through the stages after warm-up passes.",
    '',
    markdownTable(
      ['stage', 'passes', 'min µs / exchange', 'median', 'max'],
      stages.map((x) => [x.stage, String(x.passes), fix(x.cpuUsPerExchange.min), fix(x.cpuUsPerExchange.median), fix(x.cpuUsPerExchange.max)]),
    ),
    '',
    `${int(exchanges)} exchanges per pass from ${rec.batches.length} batches (${int(bytes)} bytes), ${fix(lineBytes / Math.max(1, exchanges), 0)} JSON bytes per exchange.` +
      (parts.length > 0 ? ` From the medians: decoding ~${fix(d ?? 0)} µs, ${parts.join(', ')}.` : ''),
    '',
    ...fastText,
    ...(prof === undefined ? [] : profileMarkdown(c, prof)),
    `Machine: kernel \`${machine.kernel}\`, ${machine.cpuModel}, nproc ${machine.nproc}, ${machine.memGiB} GiB, node ${machine.node}; run ${machine.date}.`,
    '',
    `Rerun: \`npm run bench:replay -- ${servedBodyArgs(c)} --passes ${c.passes} --warmup ${c.warmup} --stage ${c.stage} --profile-passes ${c.profilePasses}\` (records anew; \`--save FILE\` keeps the recording, \`--input FILE\` replays one without root). JSON: \`bench/results/replay.json\`${prof === undefined ? '' : ', flame graph: `bench/results/replay-flame.svg`'}.`,
    '',
  ].join('\n');
}

/** Full-stage passes under the inspector's CPU profiler: the flame graph, the self times, and the raw profile if asked. */
async function profiledPasses(c: Config, rec: Recording, expected: number): Promise<ProfileSummary> {
  const session = new Session();
  session.connect();
  try {
    await session.post('Profiler.enable');
    // 100 µs instead of V8's 1 ms: a pass is a fraction of a second, and a tenth of a percent of
    // the path should still be a few samples.
    await session.post('Profiler.setSamplingInterval', { interval: SAMPLING_INTERVAL_US });
    await session.post('Profiler.start');
    for (let i = 0; i < c.profilePasses; i++) {
      const r = await replayPass(rec, 'full', expected);
      process.stderr.write(`  profiled pass ${i + 1}: ${int(r.exchanges)} exchanges, ${fix(r.cpuUsPerExchange, 3)} µs CPU / exchange (profiler on)\n`);
    }
    const { profile } = await session.post('Profiler.stop');
    if (c.cpuProf !== undefined) {
      fs.mkdirSync(c.cpuProf, { recursive: true });
      const file = path.join(c.cpuProf, `replay-${process.pid}.cpuprofile`);
      fs.writeFileSync(file, JSON.stringify(profile));
      process.stderr.write(`replay: CPU profile ${file}\n`);
    }
    const tree = frameTree(profile as CpuProfile);
    fs.mkdirSync(path.dirname(c.flame), { recursive: true });
    fs.writeFileSync(c.flame, flameGraphSvg(tree, { title: `socktap: the agent's JavaScript path replayed (recording of ${rec.recordedAt.slice(0, 10)}, ${c.profilePasses} profiled passes)` }));
    process.stderr.write(`replay: flame graph ${c.flame}\n`);
    return { passes: c.profilePasses, busySamples: tree.total, top: selfTimes(tree).slice(0, TOP_SELF) };
  } finally {
    session.disconnect();
  }
}

async function main(): Promise<void> {
  const c = parseConfig(process.argv.slice(2));
  if (!c) {
    console.log(USAGE);
    return;
  }
  const rec = await obtainRecording(c);
  const bytes = rec.batches.reduce((n, b) => n + b.length, 0);
  const stages = c.stage === 'all' ? REPLAY_STAGES : [c.stage];
  process.stderr.write(`replay: ${rec.batches.length} batches, ${int(bytes)} bytes; ${c.passes} passes (${c.warmup} warm-up), stages ${stages.join(', ')}\n`);

  const results: Array<PassResult & { stage: ReplayStage }> = [];
  let full: PassResult | undefined;
  for (let i = 0; i < c.passes; i++) {
    const warm = i < c.warmup;
    // Stages in rotation, so a drift of the machine's speed falls on each alike.
    const stage = warm ? 'full' : stages[(i - c.warmup) % stages.length]!;
    const r = await replayPass(rec, stage, full?.exchanges ?? 0);
    if (warm) full = r;
    else results.push({ stage, ...r });
    process.stderr.write(`  pass ${i + 1} (${warm ? 'warm-up' : stage}): ${int(r.exchanges)} exchanges, ${fix(r.cpuUsPerExchange, 3)} µs CPU / exchange\n`);
  }
  const prof = c.profilePasses > 0 ? await profiledPasses(c, rec, full!.exchanges) : undefined;

  const byStage: StageSummary[] = stages
    .map((stage) => ({ stage, runs: results.filter((r) => r.stage === stage) }))
    .filter((x) => x.runs.length > 0)
    .map((x) => ({ stage: x.stage, passes: x.runs.length, cpuUsPerExchange: summarize(x.runs.map((r) => r.cpuUsPerExchange)) }));
  const exchanges = full!.exchanges;
  const lineBytes = full!.lineBytes;
  console.log(
    textTable(
      ['stage', 'passes', 'min µs / exchange', 'median', 'max'],
      byStage.map((x) => [x.stage, String(x.passes), fix(x.cpuUsPerExchange.min, 3), fix(x.cpuUsPerExchange.median, 3), fix(x.cpuUsPerExchange.max, 3)]),
    ),
  );
  console.log(`${int(exchanges)} exchanges per pass (${rec.batches.length} batches, ${int(bytes)} bytes), ${fix(lineBytes / Math.max(1, exchanges), 0)} JSON bytes per exchange`);
  writeJson(c.out, { recordedAt: rec.recordedAt, source: rec.source, machine: machineFacts(), passes: c.passes, warmup: c.warmup, stages: byStage, exchanges, lineBytes, results, profile: prof });
  writeSection(c.docs, DOCS_TITLE, SECTION, markdown(c, rec, bytes, exchanges, lineBytes, byStage, prof));
  process.stderr.write(`replay: results in ${c.out}, the ${SECTION} section of ${c.docs}\n`);
}

if (require.main === module) benchmarkMain(main, USAGE);
