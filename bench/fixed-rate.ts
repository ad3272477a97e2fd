/**
 * Cost per exchange at fixed request rates: what socktap costs a server that is not saturated,
 * which is how most servers run. nginx (one worker) serves a small JSON file to wrk paced by a
 * Lua script (every connection waits a fixed interval after each response), at each rate once
 * without and once with `socktap run --pid <worker> --uds <socket> --format none`. Per rate:
 * agent CPU (user + sys from /proc) per exchange, its RSS (at the end and the peak), the
 * syscall-to-sink latency (p50, p99) of every exchange the discarding reader received, nginx's
 * CPU per request without and with the agent (the in-kernel share), and loss accounting against
 * nginx's own request count.
 *
 *   npm run bench:rate -- --rates 1000,5000,20000 --duration 15
 */
import os from 'node:os';
import path from 'node:path';
import { packageRoot } from '../agent/capture/native';
import { intFlag, parseFlags } from './lib/args';
import { connectionsFor, parsePacedRates } from './lib/pacing';
import { nginxRequests, startAgentProcess } from './lib/agent-process';
import { benchmarkMain, fix, int, pct } from './lib/alternation';
import { processCpuUs } from './lib/cpu';
import { percentile, startLatencyReader, type LatencyReader } from './lib/latency-reader';
import { machineFacts, type MachineFacts } from './lib/machine';
import { startNginx, type Nginx } from './lib/nginx';
import { SERVED_BODY_FLAGS, SERVED_BODY_USAGE, servedBody, servedBodyArgs, servedBodySection, servedBodyText, servedBodyTitle, type ServedBody } from './lib/served-body';
import { sleep, statusKiB } from './lib/procs';
import { ratioChartSvg } from './lib/chart-svg';
import { markdownTable, textTable, writeChart, writeJson, writeSection } from './lib/report';
import { runWrk, type WrkResult } from './lib/wrk';

/** DESIGN.md §4. */
const TARGET_CPU_US = 5;
const TARGET_P99_MS = 250;
const TARGET_RSS_MIB = 150;

const USAGE = `usage: npm run bench:rate -- [flags]      (or: node dist/bench/fixed-rate.js [flags])

  --rates LIST      request rates per second, comma-separated             [1000,5000,20000]
  --duration S      seconds per wrk run                                  [15]
  --interval MS     pause of each connection after a response; connections = rate x MS / 1000  [10]
  --warmup S        seconds of warm-up with the agent at the first rate   [3]
${SERVED_BODY_USAGE}
                    (sendfile off: results and section fixed-rate-bodies)
  --out PATH        JSON results                     [bench/results/<section>.json]
  --docs PATH       Markdown file whose section is rewritten  [docs/benchmarks.md]`;

interface Config extends ServedBody {
  readonly rates: readonly number[];
  readonly durationS: number;
  readonly intervalMs: number;
  readonly warmupS: number;
  readonly out: string;
  readonly docs: string;
}

export function parseConfig(argv: readonly string[], root: string): Config | undefined {
  const v = parseFlags(argv, ['rates', 'duration', 'interval', 'warmup', ...SERVED_BODY_FLAGS, 'out', 'docs']);
  if (v.help) return undefined;
  const intervalMs = intFlag(v, 'interval', 10, 1, 1000);
  const rates = parsePacedRates(typeof v.rates === 'string' ? v.rates : '1000,5000,20000', intervalMs);
  const body = servedBody(v);
  return {
    rates,
    durationS: intFlag(v, 'duration', 15, 1, 3600),
    intervalMs,
    warmupS: intFlag(v, 'warmup', 3, 0, 3600),
    ...body,
    out: path.resolve(root, typeof v.out === 'string' ? v.out : `bench/results/${section(body)}.json`),
    docs: path.resolve(root, typeof v.docs === 'string' ? v.docs : 'docs/benchmarks.md'),
  };
}

function section(c: ServedBody): string {
  return servedBodySection('fixed-rate', c);
}

function rerunCommand(c: Config): string {
  return `npm run bench:rate -- --rates ${c.rates.join(',')} --duration ${c.durationS} --interval ${c.intervalMs} --warmup ${c.warmupS} ${servedBodyArgs(c)}`;
}

interface RateRun {
  readonly rate: number;
  readonly connections: number;
  readonly none: { readonly wrk: WrkResult; readonly nginxCpuUsPerRequest: number };
  readonly agent: {
    readonly wrk: WrkResult;
    readonly served: number;
    readonly atSink: number;
    readonly missing: number;
    readonly agentCpuUsPerExchange: number;
    readonly agentCoreShare: number;
    readonly rssMiB: number;
    readonly peakRssMiB: number;
    readonly latencyP50Ms: number;
    readonly latencyP99Ms: number;
    readonly latencyMaxMs: number;
    readonly nginxCpuUsPerRequest: number;
    readonly stats: Record<string, number>;
  };
}

const scriptPath = () => path.join(packageRoot(), 'bench', 'lua', 'paced.lua');

function paced(nginx: Nginx, connections: number, c: Config, durationS = c.durationS) {
  return runWrk({ url: nginx.url, threads: 1, connections, durationS, script: { path: scriptPath(), args: [String(c.intervalMs)] } });
}

async function measureNone(nginx: Nginx, connections: number, c: Config) {
  const ngx0 = processCpuUs(nginx.workerPid);
  const { result } = await paced(nginx, connections, c);
  const ngx1 = processCpuUs(nginx.workerPid);
  return { wrk: result, nginxCpuUsPerRequest: (ngx1 - ngx0) / Math.max(1, result.requests) };
}

async function measureAgent(nginx: Nginx, reader: LatencyReader, socket: string, connections: number, c: Config, durationS = c.durationS): Promise<RateRun['agent']> {
  const statusUrl = nginx.statusUrl;
  reader.reset();
  const before = await nginxRequests(statusUrl);
  const agent = await startAgentProcess(['--pid', String(nginx.workerPid), '--format', 'none', '--uds', socket, '--stats-interval', '1h']);
  try {
    const cpu0 = processCpuUs(agent.proc.pid);
    const ngx0 = processCpuUs(nginx.workerPid);
    const t0 = performance.now();
    const { result } = await paced(nginx, connections, c, durationS);
    const runUs = (performance.now() - t0) * 1e3;
    const ngx1 = processCpuUs(nginx.workerPid);
    // Let what is in flight arrive (the reader polls the ring every 50 ms), counting its CPU too.
    for (let last = -1, quiet = 0; quiet < 5; await sleep(100)) {
      quiet = reader.lines() === last ? quiet + 1 : 0;
      last = reader.lines();
    }
    const cpu1 = processCpuUs(agent.proc.pid);
    const rssMiB = statusKiB(agent.proc.pid, 'VmRSS') / 1024;
    const peakRssMiB = statusKiB(agent.proc.pid, 'VmHWM') / 1024;
    const stats = await agent.stop();
    const served = (await nginxRequests(statusUrl)) - before - 1;
    const lat = reader.latenciesMs();
    return {
      wrk: result,
      served,
      atSink: reader.lines(),
      missing: served - reader.lines(),
      agentCpuUsPerExchange: (cpu1 - cpu0) / Math.max(1, reader.lines()),
      agentCoreShare: (cpu1 - cpu0) / runUs,
      rssMiB,
      peakRssMiB,
      latencyP50Ms: percentile(lat, 50),
      latencyP99Ms: percentile(lat, 99),
      latencyMaxMs: percentile(lat, 100),
      nginxCpuUsPerRequest: (ngx1 - ngx0) / Math.max(1, result.requests),
      stats,
    };
  } finally {
    await agent.proc.kill('SIGKILL');
  }
}

const HEADER = ['rate/s', 'conns', 'req/s done', 'served', 'at sink', 'missing', 'agent µs/exchange', 'agent core', 'RSS MiB (peak)', 'latency p50 ms', 'p99 ms', 'max ms', 'nginx µs/req none → with'];

function rows(runs: readonly RateRun[]): string[][] {
  return runs.map((r) => [
    int(r.rate),
    String(r.connections),
    int(r.agent.wrk.requestsPerSec),
    int(r.agent.served),
    int(r.agent.atSink),
    int(r.agent.missing),
    fix(r.agent.agentCpuUsPerExchange),
    pct(r.agent.agentCoreShare),
    `${fix(r.agent.rssMiB, 0)} (${fix(r.agent.peakRssMiB, 0)})`,
    fix(r.agent.latencyP50Ms, 1),
    fix(r.agent.latencyP99Ms, 1),
    fix(r.agent.latencyMaxMs, 1),
    `${fix(r.none.nginxCpuUsPerRequest)} → ${fix(r.agent.nginxCpuUsPerRequest)}`,
  ]);
}

function verdicts(runs: readonly RateRun[]): string[] {
  return runs.map((r) => {
    const a = r.agent;
    const cpu = a.agentCpuUsPerExchange <= TARGET_CPU_US ? `agent CPU ${fix(a.agentCpuUsPerExchange)} µs meets the ${TARGET_CPU_US} µs target` : `agent CPU ${fix(a.agentCpuUsPerExchange)} µs misses the ${TARGET_CPU_US} µs target`;
    const p99 = a.latencyP99Ms <= TARGET_P99_MS ? `p99 ${fix(a.latencyP99Ms, 1)} ms meets ${TARGET_P99_MS} ms` : `p99 ${fix(a.latencyP99Ms, 1)} ms misses ${TARGET_P99_MS} ms`;
    const loss = a.missing === 0 ? 'nothing lost' : `${int(a.missing)} of ${int(a.served)} missing (EventLost ${a.stats.EventLost}, dropped at queues ${a.stats.TotalEventsDroppedAtEventQueueLimit})`;
    return `${int(r.rate)}/s: ${cpu}; ${p99}; ${loss}`;
  });
}

/** Agent CPU per exchange at each rate, against the 5 µs target (one run per rate: min = median = max). */
function chart(runs: readonly RateRun[]): string {
  const top = Math.max(TARGET_CPU_US, ...runs.map((r) => r.agent.agentCpuUsPerExchange));
  const step = top > 40 ? 10 : 5;
  return ratioChartSvg(
    runs.map((r) => ({ label: `${int(r.rate)} req/s`, min: r.agent.agentCpuUsPerExchange, median: r.agent.agentCpuUsPerExchange, max: r.agent.agentCpuUsPerExchange })),
    {
      title: 'socktap CPU per exchange at fixed request rates',
      axisLabel: 'agent user + system CPU per exchange at the sink, µs',
      axisMax: Math.ceil(top / step) * step,
      tickStep: step,
      target: { value: TARGET_CPU_US, label: `target ${TARGET_CPU_US} µs` },
      format: (v) => `${v.toFixed(1)} µs`,
      tickFormat: (v) => `${v.toFixed(0)}`,
    },
  );
}

function markdown(c: Config, m: MachineFacts, nginx: Nginx, runs: readonly RateRun[], image: string): string {
  return `## Cost per exchange at fixed rates${servedBodyTitle(c)}

nginx (1 worker, access log off) serves ${servedBodyText(c)} to wrk on loopback, paced by
\`bench/lua/paced.lua\`: each connection waits ${c.intervalMs} ms after every response, so the rate is set by the
number of connections (a little below it: the response time adds to each interval). Each rate runs ${c.durationS} s once
without the agent and once with \`socktap run --pid <worker> --uds <socket> --format none\` exporting to a reader in the
harness. Agent CPU is the agent process's user + system time (/proc, all threads) over the run and until the sink went
quiet, per exchange that reached the sink. RSS is the agent's VmRSS at the end (VmHWM, the peak, in parentheses).
Latency is, per exchange, the time the line reached the reader minus the kernel timestamp of the exchange's last
response byte (the record's \`ts\` + \`duration_ns\`): syscall to sink. nginx's CPU per request without and with the
agent is the in-kernel share of capture. Targets (DESIGN.md §4): agent CPU <= ${TARGET_CPU_US} µs per exchange, p99 <= ${TARGET_P99_MS} ms, RSS <= ${TARGET_RSS_MIB} MB, nothing lost below saturation.

**Result:** ${verdicts(runs).join('; ')}.

${image}

${markdownTable(HEADER, rows(runs))}

Machine: kernel \`${m.kernel}\`, ${m.cpuModel}, nproc ${m.nproc}, ${m.memGiB} GiB, node ${m.node}, ${m.nginx}, ${m.wrk}; run ${m.date}.

Rerun: \`${rerunCommand(c)}\` (JSON: \`${path.relative(packageRoot(), c.out)}\`).`;
}

async function main(): Promise<void> {
  const root = packageRoot();
  const c = parseConfig(process.argv.slice(2), root);
  if (!c) {
    console.log(USAGE);
    return;
  }
  const machine = machineFacts();
  const nginx = await startNginx({ bodyBytes: c.bodyBytes, sendfile: c.sendfile });
  const socket = path.join(os.tmpdir(), `socktap-bench-rate-${process.pid}.sock`);
  const reader = await startLatencyReader(socket);
  try {
    console.log(`nginx worker ${nginx.workerPid} serving ${nginx.url} (${nginx.bodyBytes} bytes); pacing ${c.intervalMs} ms per connection`);
    if (c.warmupS > 0) {
      await measureAgent(nginx, reader, socket, connectionsFor(c.rates[0]!, c.intervalMs), c, c.warmupS);
      console.log(`warm-up done (${c.warmupS} s with the agent at ${c.rates[0]}/s)`);
    }
    const runs: RateRun[] = [];
    for (const rate of c.rates) {
      const connections = connectionsFor(rate, c.intervalMs);
      await sleep(500);
      const none = await measureNone(nginx, connections, c);
      await sleep(500);
      const agent = await measureAgent(nginx, reader, socket, connections, c);
      const run: RateRun = { rate, connections, none, agent };
      runs.push(run);
      console.log(`${int(rate)}/s (${connections} connections): ${int(agent.wrk.requestsPerSec)} req/s done, ${fix(agent.agentCpuUsPerExchange)} µs/exchange, p50 ${fix(agent.latencyP50Ms, 1)} ms, p99 ${fix(agent.latencyP99Ms, 1)} ms, RSS ${fix(agent.rssMiB, 0)} MiB, missing ${agent.missing}`);
    }
    console.log(`\n${textTable(HEADER, rows(runs))}\n\n${verdicts(runs).join('\n')}`);
    writeJson(c.out, { benchmark: section(c), command: rerunCommand(c), machine, config: { ...c, bodyBytes: nginx.bodyBytes }, runs });
    const image = writeChart(c.out, c.docs, chart(runs), 'agent CPU per exchange by rate');
    writeSection(c.docs, '# socktap benchmarks', section(c), markdown(c, machine, nginx, runs, image));
    console.log(`wrote ${path.relative(process.cwd(), c.out)} and the ${section(c)} section of ${path.relative(process.cwd(), c.docs)}`);
  } finally {
    await reader.close();
    await nginx.stop();
  }
}

if (require.main === module) benchmarkMain(main, USAGE);
