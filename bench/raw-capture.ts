/**
 * Raw-capture benchmark: what does running the socktap Tracer cost a busy server?
 *
 * nginx (one worker) serves a small file to wrk on loopback. Each round runs wrk once without the
 * agent and once with a Tracer in this process targeting the worker, consuming every event in
 * JavaScript (no HTTP parsing, no export: the capture engine alone). The order alternates per
 * round so slow drift (thermal, page cache, other tenants) cancels out. Figures are ratios from
 * one run, because the 2-core machines share their cores between nginx, wrk and the agent.
 *
 *   npm run bench -- --rounds 5 --duration 10      (see bench/README.md)
 */
import fs from 'node:fs';
import path from 'node:path';
import { cgroupIdOf, findCgroupV2Mount } from '../agent/k8s/cgroup-path';
import { packageRoot } from '../agent/capture/native';
import { SocktapError } from '../agent/util/errors';
import { choiceFlag, intFlag, parseFlags, UsageError } from './lib/args';
import { machineFacts, type MachineFacts } from './lib/machine';
import { startNginx, type Nginx } from './lib/nginx';
import { benchmarkMain, fix, int, pct, ROUND_HEADER_LEAD, roundLead, roundsRatioChart, runRound, summaryRow, type Round as AlternatingRound } from './lib/alternation';
import { DOCS_TITLE, markdownTable, textTable, writeChart, writeJson, writeSection } from './lib/report';
import { measureBaseline, measureTracer, type TracerRun, type WrkSettings } from './lib/runs';
import { median, summarize, sum } from './lib/stats';

/** From the issue: the engine alone may cost at most 5 % of nginx's throughput. */
const TARGET_RATIO = 0.95;
const sectionOf = (c: Config) => (c.untargeted ? 'untargeted' : 'raw-capture');

const USAGE = `usage: npm run bench -- [flags]      (or: node dist/bench/raw-capture.js [flags])

  --rounds N        rounds of (without agent, with tracer), order alternating   [5]
  --duration S      seconds per wrk run                                        [10]
  --connections C   wrk connections                                            [32]
  --threads T       wrk threads                                                [1]
  --warmup S        seconds of warm-up, once without and once with the tracer  [3]
  --file PATH       file nginx serves (relative to the repository root)  [600-byte JSON]
  --sendfile on|off nginx sendfile; off makes nginx write the body itself      [on]
  --poll-ms MS      Tracer pollIntervalMs                             [engine default]
  --untargeted      filter by cgroup with nginx not selected: the cost for untargeted processes
                    (results: bench/results/untargeted.json, section "untargeted")
  --out PATH        JSON results                     [bench/results/raw-capture.json]
  --docs PATH       Markdown file whose raw-capture section is rewritten [docs/benchmarks.md]`;

interface Config {
  readonly rounds: number;
  readonly warmupS: number;
  readonly wrk: WrkSettings;
  readonly file?: string;
  readonly sendfile: boolean;
  readonly pollMs?: number;
  /**
   * Kubernetes mode's other side: the tracer filters by cgroup and nginx is not in a selected
   * one, so this measures what an untargeted busy server pays (issue: "one map lookup").
   */
  readonly untargeted: boolean;
  readonly out: string;
  readonly docs: string;
}

function parseConfig(argv: readonly string[]): Config | undefined {
  const v = parseFlags(argv, ['rounds', 'duration', 'connections', 'threads', 'warmup', 'file', 'sendfile', 'poll-ms', 'out', 'docs'], ['untargeted']);
  if (v.help) return undefined;
  const threads = intFlag(v, 'threads', 1, 1, 256);
  const connections = intFlag(v, 'connections', 32, 1, 100_000);
  if (connections < threads) throw new UsageError(`--connections must be at least --threads (${threads}), got ${connections}`);
  const root = packageRoot();
  return {
    rounds: intFlag(v, 'rounds', 5, 1, 1000),
    warmupS: intFlag(v, 'warmup', 3, 0, 3600),
    wrk: { threads, connections, durationS: intFlag(v, 'duration', 10, 1, 3600) },
    file: typeof v.file === 'string' ? path.resolve(root, v.file) : undefined,
    sendfile: choiceFlag(v, 'sendfile', 'on', ['on', 'off']) === 'on',
    pollMs: v['poll-ms'] === undefined ? undefined : intFlag(v, 'poll-ms', 10, 1, 1000),
    untargeted: v.untargeted === true,
    out: path.resolve(root, typeof v.out === 'string' ? v.out : v.untargeted === true ? 'bench/results/untargeted.json' : 'bench/results/raw-capture.json'),
    docs: path.resolve(root, typeof v.docs === 'string' ? v.docs : 'docs/benchmarks.md'),
  };
}

/** The command that reproduces this run, every setting spelled out. */
function rerunCommand(c: Config): string {
  const parts = ['npm run bench --', `--rounds ${c.rounds}`, `--duration ${c.wrk.durationS}`, `--connections ${c.wrk.connections}`];
  parts.push(`--threads ${c.wrk.threads}`, `--warmup ${c.warmupS}`);
  if (c.file) parts.push(`--file ${path.relative(packageRoot(), c.file)}`);
  if (!c.sendfile) parts.push('--sendfile off');
  if (c.pollMs !== undefined) parts.push(`--poll-ms ${c.pollMs}`);
  if (c.untargeted) parts.push('--untargeted');
  return parts.join(' ');
}

type Round = AlternatingRound<TracerRun>;

function tracerOptions(c: Config, emptyCgroup?: bigint) {
  return {
    ...(c.pollMs === undefined ? {} : { pollIntervalMs: c.pollMs }),
    ...(emptyCgroup === undefined ? {} : { targets: { cgroupIds: [emptyCgroup] } }),
  };
}

/** A cgroup v2 directory with no process in it, for `--untargeted`; removed at exit. */
function emptyCgroupId(): bigint {
  const mount = findCgroupV2Mount();
  if (mount === undefined) throw new UsageError('--untargeted needs a cgroup v2 hierarchy (none is mounted)');
  const dir = path.join(mount, `socktap-bench-untargeted-${process.pid}`);
  fs.mkdirSync(dir);
  process.on('exit', () => fs.rmdirSync(dir));
  return cgroupIdOf(mount, dir.slice(mount.length));
}

function summarizeRounds(rounds: readonly Round[]) {
  const w = rounds.map((r) => r.with);
  const events = sum(w.map((t) => t.events.total));
  return {
    targetRatio: TARGET_RATIO,
    ratio: summarize(rounds.map((r) => r.ratio)),
    meetsTarget: median(rounds.map((r) => r.ratio)) >= TARGET_RATIO,
    requestsPerSecWithout: summarize(rounds.map((r) => r.without.wrk.requestsPerSec)),
    requestsPerSecWith: summarize(w.map((t) => t.wrk.requestsPerSec)),
    eventsPerSec: summarize(w.map((t) => t.eventsPerSec)),
    eventsPerRequest: median(w.map((t) => t.events.total / Math.max(1, t.wrk.requests))),
    cpuUsPerRequest: summarize(w.map((t) => t.cpuUsPerRequest)),
    cpuUsPerEvent: summarize(w.map((t) => t.cpuUsPerEvent)),
    cpuCoreShare: summarize(w.map((t) => t.cpuCoreShare)),
    cpuSystemShare: sum(w.map((t) => t.cpuSystemUs)) / Math.max(1, sum(w.map((t) => t.cpuUs))),
    jsThreadShare: sum(w.map((t) => t.threads.mainUs)) / Math.max(1, sum(w.map((t) => t.threads.mainUs + t.threads.otherUs))),
    harnessCpuUsPerRequestWithout: median(rounds.map((r) => r.without.harnessCpuUs / Math.max(1, r.without.wrk.requests))),
    nginxCpuUsPerRequestWithout: median(rounds.map((r) => r.without.nginxCpuUsPerRequest)),
    nginxCpuUsPerRequestWith: median(w.map((t) => t.nginxCpuUsPerRequest)),
    /** nginx (one worker) is the bottleneck: this is the ratio its own CPU growth alone predicts. */
    nginxCpuPredictedRatio: median(rounds.map((r) => r.without.nginxCpuUsPerRequest / r.with.nginxCpuUsPerRequest)),
    machineBusyWithout: median(rounds.map((r) => r.without.machineBusy)),
    machineBusyWith: median(w.map((t) => t.machineBusy)),
    eventsPerBatch: events / Math.max(1, sum(w.map((t) => t.batches))),
    maxEventsPerBatch: Math.max(...w.map((t) => t.maxEventsPerBatch)),
    tracerStartMs: median(w.map((t) => t.startMs)),
    tracerStopMs: median(w.map((t) => t.stopMs)),
    losses: {
      lostEvents: sum(w.map((t) => t.stats.lostEvents)),
      lostBytes: sum(w.map((t) => t.stats.lostBytes)),
      handoffDroppedRecords: sum(w.map((t) => t.stats.handoffDroppedRecords)),
      handoffDroppedBatches: sum(w.map((t) => t.stats.handoffDroppedBatches)),
      malformedRecords: sum(w.map((t) => t.stats.malformedRecords)),
      readFailures: sum(w.map((t) => t.stats.readFailures)),
    },
  };
}

type Results = ReturnType<typeof summarizeRounds>;

const roundHeader = [...ROUND_HEADER_LEAD, 'events/s', 'agent µs/req', 'agent core', 'nginx µs/req w/o→with', 'lost', 'handoff drops'];

function roundRows(rounds: readonly Round[]): string[][] {
  return rounds.map((r) => [
    ...roundLead(r),
    int(r.with.eventsPerSec),
    fix(r.with.cpuUsPerRequest),
    pct(r.with.cpuCoreShare),
    `${fix(r.without.nginxCpuUsPerRequest)} → ${fix(r.with.nginxCpuUsPerRequest)}`,
    String(r.with.stats.lostEvents),
    String(r.with.stats.handoffDroppedRecords),
  ]);
}

function summaryRows(s: Results): string[][] {
  const row = summaryRow;
  return [
    row('throughput ratio (with / without)', s.ratio, (v) => `${fix(v, 3)}x`),
    row('req/s without agent', s.requestsPerSecWithout, int),
    row('req/s with tracer', s.requestsPerSecWith, int),
    row('events/s consumed', s.eventsPerSec, int),
    row('agent CPU µs / request', s.cpuUsPerRequest, (v) => fix(v)),
    row('agent CPU µs / event', s.cpuUsPerEvent, (v) => fix(v)),
    row('agent CPU, share of one core', s.cpuCoreShare, pct),
  ];
}

function verdict(s: Results): string {
  const m = s.ratio.median;
  return s.meetsTarget
    ? `median ratio ${fix(m, 3)}x meets the ${TARGET_RATIO}x target`
    : `median ratio ${fix(m, 3)}x misses the ${TARGET_RATIO}x target by ${fix((TARGET_RATIO - m) * 100, 1)} points`;
}

function lossLine(s: Results): string {
  const l = s.losses;
  return (
    `ring-buffer lost events ${l.lostEvents} (${l.lostBytes} bytes), hand-off dropped records ${l.handoffDroppedRecords} ` +
    `(${l.handoffDroppedBatches} batches), malformed records ${l.malformedRecords}, read failures ${l.readFailures}`
  );
}

function markdown(c: Config, m: MachineFacts, nginx: Nginx, rounds: readonly Round[], s: Results, image: string): string {
  const body = c.file ? `\`${path.basename(c.file)}\` (${nginx.bodyBytes} bytes)` : `a ${nginx.bodyBytes}-byte JSON file`;
  const title = c.untargeted ? 'Untargeted cost (cgroup filter on, the server not selected)' : 'Raw capture (capture engine only)';
  const what = c.untargeted
    ? 'filtering by cgroup, as in Kubernetes mode, with only an empty cgroup selected: nginx is a busy\nprocess the programs see on every hooked syscall and must leave alone (no events expected)'
    : 'targeting the nginx worker\nand touching every event in JavaScript (no HTTP parsing, no export)';
  return `## ${title}

nginx (1 worker, \`sendfile ${c.sendfile ? 'on' : 'off'}\`, access log off) serves ${body} to
\`wrk -t${c.wrk.threads} -c${c.wrk.connections} -d${c.wrk.durationS}s\` on loopback. Each of ${c.rounds} rounds runs wrk once
without the agent and once with a socktap \`Tracer\` in the harness process, ${what}; the order alternates per round.
Agent CPU is the harness process's user + system time (all threads) over the wrk run plus the
delivery of the last batches after \`stop()\`, divided by the requests wrk completed.
Target: throughput ratio >= ${TARGET_RATIO}x.

**Result: ${verdict(s)}.** Losses over all tracer runs: ${lossLine(s)}.

${image}

${markdownTable(['measure', 'min', 'median', 'max'], summaryRows(s))}

Per round:

${markdownTable(roundHeader, roundRows(rounds))}

Where the time goes (medians): nginx worker CPU per request ${fix(s.nginxCpuUsPerRequestWithout)} µs without,
${fix(s.nginxCpuUsPerRequestWith)} µs with the tracer (the BPF programs run inside the worker's syscalls);
with one worker saturating its core, that growth alone predicts a ratio of ${fix(s.nginxCpuPredictedRatio, 3)}x.
Agent CPU: ${pct(s.cpuSystemShare)} of it in the kernel, ${pct(s.jsThreadShare)} on the JavaScript thread (the rest: reader
thread and V8 helpers). Machine busy ${pct(s.machineBusyWithout)} without, ${pct(s.machineBusyWith)} with (all ${m.nproc} CPUs).
${fix(s.eventsPerRequest, 2)} events per request, ${int(s.eventsPerBatch)} per batch on average (largest ${int(s.maxEventsPerBatch)}).
Harness CPU without the tracer: ${fix(s.harnessCpuUsPerRequestWithout, 3)} µs/request. \`Tracer.start()\` ${int(s.tracerStartMs)} ms,
\`Tracer.stop()\` ${int(s.tracerStopMs)} ms (off the JavaScript thread), both outside the figures above.

Machine: kernel \`${m.kernel}\`, ${m.cpuModel}, nproc ${m.nproc}, ${m.memGiB} GiB, node ${m.node},
${m.nginx}, ${m.wrk}; run ${m.date}.

Rerun: \`${rerunCommand(c)}\` (JSON: \`${path.relative(packageRoot(), c.out)}\`).`;
}

async function main(): Promise<void> {
  // Ctrl-C during a long run must not leave nginx listening: exit() runs the children's cleanup.
  const c = parseConfig(process.argv.slice(2));
  if (!c) {
    console.log(USAGE);
    return;
  }
  const machine = machineFacts();
  const nginx = await startNginx({ file: c.file, sendfile: c.sendfile });
  const emptyCgroup = c.untargeted ? emptyCgroupId() : undefined;
  try {
    console.log(`nginx worker ${nginx.workerPid} serving ${nginx.url} (${nginx.bodyBytes} bytes, sendfile ${c.sendfile ? 'on' : 'off'})`);
    console.log(`${machine.cpuModel}, ${machine.nproc} CPUs, kernel ${machine.kernel}, node ${machine.node}`);
    if (c.warmupS > 0) {
      // Warms nginx, the page cache, and V8's code for the decoder and the listener.
      const warm = { ...c.wrk, durationS: c.warmupS };
      await measureBaseline(nginx, warm);
      await measureTracer(nginx, warm, tracerOptions(c, emptyCgroup));
      console.log(`warm-up done (${c.warmupS} s without, ${c.warmupS} s with the tracer)`);
    }
    const rounds: Round[] = [];
    const plan = { rounds: c.rounds, without: () => measureBaseline(nginx, c.wrk), with: () => measureTracer(nginx, c.wrk, tracerOptions(c, emptyCgroup)), describe: (t: TracerRun) => `${int(t.eventsPerSec)} events/s  ${fix(t.cpuUsPerRequest)} µs CPU/req  lost ${t.stats.lostEvents}  handoff drops ${t.stats.handoffDroppedRecords}` };
    for (let i = 0; i < c.rounds; i++) rounds.push(await runRound(i, plan));
    const s = summarizeRounds(rounds);

    console.log(`\n${textTable(roundHeader, roundRows(rounds))}\n`);
    console.log(textTable(['measure', 'min', 'median', 'max'], summaryRows(s)));
    console.log(`\n${verdict(s)}\nlosses: ${lossLine(s)}`);

    writeJson(c.out, {
      benchmark: sectionOf(c),
      command: rerunCommand(c),
      machine,
      config: { ...c.wrk, rounds: c.rounds, warmupS: c.warmupS, file: c.file ?? null, bodyBytes: nginx.bodyBytes, sendfile: c.sendfile, pollMs: c.pollMs ?? null },
      summary: s,
      rounds,
    });
    const image = writeChart(c.out, c.docs, roundsRatioChart(c.untargeted ? 'untargeted nginx' : 'capture engine', s.ratio, c.rounds, TARGET_RATIO), 'throughput ratio, min / median / max');
    writeSection(c.docs, DOCS_TITLE, sectionOf(c), markdown(c, machine, nginx, rounds, s, image));
    console.log(`wrote ${path.relative(process.cwd(), c.out)} and the ${sectionOf(c)} section of ${path.relative(process.cwd(), c.docs)}`);
  } finally {
    await nginx.stop();
  }
}

benchmarkMain(main, USAGE, (err) => (err instanceof SocktapError ? `${err.code}: ${err.message}` : err));
