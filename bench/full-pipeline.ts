/**
 * Full-pipeline benchmark: what does socktap cost a busy server when it captures, parses and
 * exports every exchange, as users run it?
 *
 * nginx (one worker) serves a small JSON file to wrk on loopback. Each round runs wrk once without
 * the agent and once with `socktap run --pid <worker> --uds <socket> --format none` in its own
 * process, exporting JSON lines to a discarding reader in this harness; the order alternates per
 * round. Per run with the agent: throughput ratio, agent CPU (user + sys of the agent process,
 * from /proc) per exchange, and loss accounting: exchanges at the sink against nginx's own request
 * count (stub_status), with the agent's drop counters.
 *
 *   npm run bench:pipeline -- --rounds 5 --duration 10
 */
import os from 'node:os';
import path from 'node:path';
import { packageRoot } from '../agent/capture/native';
import { intFlag, parseFlags, UsageError } from './lib/args';
import { SERVED_BODY_FLAGS, SERVED_BODY_USAGE, servedBody, servedBodyArgs, servedBodySection, servedBodyText, servedBodyTitle, type ServedBody } from './lib/served-body';
import { measureAgent, startLineCounter, summedCounters, type AgentRun } from './lib/agent-process';
import { machineFacts, type MachineFacts } from './lib/machine';
import { startNginx, type Nginx } from './lib/nginx';
import { AGENT_ROUND_HEADER, agentRoundCells, agentSummaryRows, agentVerdicts, benchmarkMain, GATE_CPU_US, TARGET_CPU_US, TARGET_RATIO, fix, int, pct, ROUND_HEADER_LEAD, roundLead, roundsRatioChart, runRound, summaryRow, type Round as AlternatingRound } from './lib/alternation';
import { DOCS_TITLE, markdownTable, textTable, writeChart, writeJson, writeSection } from './lib/report';
import { measureBaseline, type WrkSettings } from './lib/runs';
import { median, summarize, sum } from './lib/stats';

function section(c: ServedBody): string {
  return servedBodySection('full-pipeline', c);
}

const USAGE = `usage: npm run bench:pipeline -- [flags]      (or: node dist/bench/full-pipeline.js [flags])

  --rounds N        rounds of (without agent, with agent), order alternating   [5]
  --duration S      seconds per wrk run                                        [10]
  --connections C   wrk connections                                            [32]
  --threads T       wrk threads                                                [1]
  --warmup S        seconds of warm-up, once without and once with the agent   [3]
${SERVED_BODY_USAGE}
  --out PATH        JSON results                  [bench/results/<section>.json]
  --docs PATH       Markdown file whose section is rewritten  [docs/benchmarks.md]`;

interface Config extends ServedBody {
  readonly rounds: number;
  readonly warmupS: number;
  readonly wrk: WrkSettings;
  readonly out: string;
  readonly docs: string;
}

function parseConfig(argv: readonly string[]): Config | undefined {
  const v = parseFlags(argv, ['rounds', 'duration', 'connections', 'threads', 'warmup', ...SERVED_BODY_FLAGS, 'out', 'docs']);
  if (v.help) return undefined;
  const threads = intFlag(v, 'threads', 1, 1, 256);
  const connections = intFlag(v, 'connections', 32, 1, 100_000);
  if (connections < threads) throw new UsageError(`--connections must be at least --threads (${threads}), got ${connections}`);
  const root = packageRoot();
  const body = servedBody(v);
  return {
    rounds: intFlag(v, 'rounds', 5, 1, 1000),
    warmupS: intFlag(v, 'warmup', 3, 0, 3600),
    wrk: { threads, connections, durationS: intFlag(v, 'duration', 10, 1, 3600) },
    ...body,
    out: path.resolve(root, typeof v.out === 'string' ? v.out : `bench/results/${section(body)}.json`),
    docs: path.resolve(root, typeof v.docs === 'string' ? v.docs : 'docs/benchmarks.md'),
  };
}

function rerunCommand(c: Config): string {
  return `npm run bench:pipeline -- --rounds ${c.rounds} --duration ${c.wrk.durationS} --connections ${c.wrk.connections} --threads ${c.wrk.threads} --warmup ${c.warmupS} ${servedBodyArgs(c)}`;
}

/** One run with the agent: `socktap run --pid <worker> --uds <socket>` to a discarding line reader. */
async function measureUds(nginx: Nginx, w: WrkSettings): Promise<AgentRun> {
  const socket = path.join(os.tmpdir(), `socktap-bench-${process.pid}.sock`);
  const { run } = await measureAgent({
    nginx,
    wrk: w,
    statusUrl: nginx.statusUrl,
    args: ['--pid', String(nginx.workerPid), '--format', 'none', '--uds', socket, '--stats-interval', '1h'],
    openSink: () => startLineCounter(socket, `"target":"/${nginx.fileName}"`),
  });
  return run;
}

type Round = AlternatingRound<AgentRun>;

function summarizeRounds(rounds: readonly Round[]) {
  const w = rounds.map((r) => r.with);
  return {
    targetRatio: TARGET_RATIO,
    targetCpuUsPerExchange: TARGET_CPU_US,
    gateCpuUsPerExchange: GATE_CPU_US,
    ratio: summarize(rounds.map((r) => r.ratio)),
    requestsPerSecWithout: summarize(rounds.map((r) => r.without.wrk.requestsPerSec)),
    requestsPerSecWith: summarize(w.map((a) => a.wrk.requestsPerSec)),
    agentCpuUsPerExchange: summarize(w.map((a) => a.agentCpuUsPerExchange)),
    agentCoreShare: summarize(w.map((a) => a.agentCoreShare)),
    agentRssMiB: summarize(w.map((a) => a.agentRssMiB)),
    nginxCpuUsPerRequestWithout: median(rounds.map((r) => r.without.nginxCpuUsPerRequest)),
    nginxCpuUsPerRequestWith: median(w.map((a) => a.nginxCpuUsPerRequest)),
    machineBusyWith: median(w.map((a) => a.machineBusy)),
    served: sum(w.map((a) => a.served)),
    atSink: sum(w.map((a) => a.atSinkForUrl)),
    missing: sum(w.map((a) => a.missing)),
    counters: summedCounters(w),
  };
}

type Results = ReturnType<typeof summarizeRounds>;

const roundHeader = [...ROUND_HEADER_LEAD, ...AGENT_ROUND_HEADER, 'agent core', 'EventLost'];

function roundRows(rounds: readonly Round[]): string[][] {
  return rounds.map((r) => [
    ...roundLead(r),
    ...agentRoundCells(r.with),
    pct(r.with.agentCoreShare),
    String(r.with.stats.EventLost ?? 0),
  ]);
}

function summaryRows(s: Results): string[][] {
  const row = summaryRow;
  return [
    row('throughput ratio (with / without)', s.ratio, (v) => `${fix(v, 3)}x`),
    row('req/s without agent', s.requestsPerSecWithout, int),
    row('req/s with agent', s.requestsPerSecWith, int),
    ...agentSummaryRows(s),
  ];
}

function markdown(c: Config, m: MachineFacts, nginx: Nginx, rounds: readonly Round[], s: Results, image: string): string {
  const k = s.counters;
  return `## Full pipeline (capture + parse + unix-socket export)${servedBodyTitle(c)}

nginx (1 worker, access log off) serves ${servedBodyText(c)} to
\`wrk -t${c.wrk.threads} -c${c.wrk.connections} -d${c.wrk.durationS}s\` on loopback. Each of ${c.rounds} rounds runs wrk once
without the agent and once with \`socktap run --pid <worker> --uds <socket> --format none\` in its own process,
exporting every exchange as a JSON line to a reader in the harness that counts and discards them; the order
alternates per round. Agent CPU is the agent process's user + system time (from /proc, all threads) over the
wrk run and until the sink went quiet, divided by the exchanges that reached the sink. Loss accounting compares
the exchanges at the sink with nginx's own request count (\`stub_status\`).
Targets (DESIGN.md §4): ratio >= ${TARGET_RATIO}x, agent CPU <= ${TARGET_CPU_US} µs per exchange (gate ${GATE_CPU_US} µs), no exchange lost.

**Result:** ${agentVerdicts(s).join('; ')}.

${image}

${markdownTable(['measure', 'min', 'median', 'max'], summaryRows(s))}

Per round:

${markdownTable(roundHeader, roundRows(rounds))}

Agent counters summed over the runs: TotalRequestsParsed ${int(k.TotalRequestsParsed)}, TotalRequestsSent ${int(k.TotalRequestsSent)},
EventLost ${k.EventLost}, ReqParsingErrors ${k.ReqParsingErrors}, ResParsingErrors ${k.ResParsingErrors},
TotalEventsDroppedAtEventQueueLimit ${k.TotalEventsDroppedAtEventQueueLimit}, TotalEventsDroppedAtParsing ${k.TotalEventsDroppedAtParsing}.
nginx worker CPU per request (medians): ${fix(s.nginxCpuUsPerRequestWithout)} µs without, ${fix(s.nginxCpuUsPerRequestWith)} µs with the agent.
Machine busy with the agent: ${pct(s.machineBusyWith)} of all ${m.nproc} CPUs.

Machine: kernel \`${m.kernel}\`, ${m.cpuModel}, nproc ${m.nproc}, ${m.memGiB} GiB, node ${m.node}, ${m.nginx}, ${m.wrk}; run ${m.date}.

Rerun: \`${rerunCommand(c)}\` (JSON: \`${path.relative(packageRoot(), c.out)}\`).`;
}

async function main(): Promise<void> {
  const c = parseConfig(process.argv.slice(2));
  if (!c) {
    console.log(USAGE);
    return;
  }
  const machine = machineFacts();
  const nginx = await startNginx({ bodyBytes: c.bodyBytes, sendfile: c.sendfile });
  try {
    console.log(`nginx worker ${nginx.workerPid} serving ${nginx.url} (${nginx.bodyBytes} bytes)`);
    if (c.warmupS > 0) {
      const warm = { ...c.wrk, durationS: c.warmupS };
      await measureBaseline(nginx, warm);
      await measureUds(nginx, warm);
      console.log(`warm-up done (${c.warmupS} s without, ${c.warmupS} s with the agent)`);
    }
    const rounds: Round[] = [];
    const plan = { rounds: c.rounds, without: () => measureBaseline(nginx, c.wrk), with: () => measureUds(nginx, c.wrk), describe: (a: AgentRun) => `served ${a.served}  at sink ${a.atSinkForUrl}  missing ${a.missing}  ${fix(a.agentCpuUsPerExchange)} µs CPU/exchange  lost ${a.stats.EventLost}` };
    for (let i = 0; i < c.rounds; i++) rounds.push(await runRound(i, plan));
    const s = summarizeRounds(rounds);
    console.log(`\n${textTable(roundHeader, roundRows(rounds))}\n`);
    console.log(textTable(['measure', 'min', 'median', 'max'], summaryRows(s)));
    console.log(`\n${agentVerdicts(s).join('\n')}`);
    writeJson(c.out, { benchmark: section(c), command: rerunCommand(c), machine, config: { ...c.wrk, rounds: c.rounds, warmupS: c.warmupS, bodyBytes: nginx.bodyBytes, sendfile: c.sendfile }, summary: s, rounds });
    const image = writeChart(c.out, c.docs, roundsRatioChart('socktap -> unix socket', s.ratio, c.rounds, TARGET_RATIO), 'throughput ratio, min / median / max');
    writeSection(c.docs, DOCS_TITLE, section(c), markdown(c, machine, nginx, rounds, s, image));
    console.log(`wrote ${path.relative(process.cwd(), c.out)} and the ${section(c)} section of ${path.relative(process.cwd(), c.docs)}`);
  } finally {
    await nginx.stop();
  }
}

benchmarkMain(main, USAGE);
