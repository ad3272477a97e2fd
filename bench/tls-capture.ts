/**
 * TLS-capture benchmark: what do the OpenSSL uprobes (SSL_read/SSL_write and their _ex forms)
 * cost a busy HTTPS server when socktap captures, parses and exports every exchange?
 *
 * nginx (one worker) serves a small JSON file over HTTPS to wrk on loopback, one keep-alive TLS
 * connection per wrk connection. Each round runs wrk once with no agent (variant `none`) and once
 * with `socktap run --comm nginx --uds <socket> --format none` in its own process (variant
 * `capture`: TLS plaintext from the uprobes, the full pipeline to a discarding reader in this
 * harness); the order alternates per round. A uprobe traps into the kernel in the calling thread,
 * so its cost lands in nginx's own CPU per request, reported for both variants beside the
 * throughput ratio, the agent's CPU per exchange and the loss accounting (exchanges at the sink
 * against nginx's stub_status count).
 *
 *   npm run bench:tls -- --rounds 5 --duration 10      (see bench/README.md)
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { packageRoot } from '../agent/capture/native';
import { SocktapError } from '../agent/util/errors';
import { choiceFlag, intFlag, parseFlags, UsageError } from './lib/args';
import { measureAgent, startLineCounter, summedCounters, type AgentProcess, type AgentRun } from './lib/agent-process';
import { AGENT_ROUND_HEADER, agentRoundCells, agentSummaryRows, agentVerdicts, benchmarkMain, GATE_CPU_US, TARGET_CPU_US, TARGET_RATIO, fix, int, pct, ROUND_HEADER_LEAD, roundLead, roundsRatioChart, runRound, summaryRow, type Round as AlternatingRound } from './lib/alternation';
import { processCpuUs, reapedChildrenCpuUs } from './lib/cpu';
import { machineFacts, type MachineFacts } from './lib/machine';
import { jsonBody, startNginx, type Nginx, type TlsProtocol } from './lib/nginx';
import { sleep } from './lib/procs';
import { markdownTable, textTable, writeChart, writeJson, writeSection } from './lib/report';
import { measureBaseline, type BaselineRun, type WrkSettings } from './lib/runs';
import { median, summarize, sum } from './lib/stats';
import { selfSignedCertificate } from '../agent/util/self-signed-cert';
import type { WrkResult } from './lib/wrk';

const SECTION = 'tls-capture';
/** The body size of full-pipeline.ts (nginx.ts's default), for comparable figures. */
const BODY_BYTES = 600;
const BODY_FILE = 'tls-capture.json';
/**
 * nginx ends a keep-alive connection after 1000 requests by default; wrk would then reconnect and
 * every reconnect is a full handshake (an RSA-2048 signature, about a millisecond of CPU). One TLS
 * connection per wrk connection for the whole run keeps the figures about SSL_read/SSL_write,
 * which is what the uprobes hook.
 */
const SERVER_CONFIG = 'keepalive_requests 10000000;';

/** The agent's line for a file it put the SSL probes on (agent/tls/tls-scanner.ts). */
const TLS_ATTACHED = /TLS uprobes attached to (\S+)/;
const TLS_ATTACH_TIMEOUT_MS = 10_000;

const TLS_VERSIONS = ['1.2', '1.3'] as const;
type TlsVersion = (typeof TLS_VERSIONS)[number];
const PROTOCOL: Record<TlsVersion, TlsProtocol> = { '1.2': 'TLSv1.2', '1.3': 'TLSv1.3' };
const SELECTORS = ['comm', 'pid'] as const;
type Selector = (typeof SELECTORS)[number];

export const USAGE = `usage: npm run bench:tls -- [flags]      (or: node dist/bench/tls-capture.js [flags])

  --rounds N        rounds of (none, capture), order alternating               [5]
  --duration S      seconds per wrk run                                        [10]
  --connections C   wrk connections                                            [32]
  --threads T       wrk threads                                                [1]
  --warmup S        seconds of warm-up, once without and once with the agent   [3]
  --tls-version V   the one TLS version nginx offers: 1.2 or 1.3               [1.3]
  --select S        how the agent picks nginx: comm (--comm nginx: every nginx on the
                    machine) or pid (--pid <worker>)                           [comm]
  --no-agent        the none variant only (no BPF, no root needed): checks nginx, TLS
                    and wrk; prints its figures, writes no results
  --out PATH        JSON results                    [bench/results/tls-capture.json]
  --docs PATH       Markdown file whose tls-capture section is rewritten [docs/benchmarks.md]`;

export interface Config {
  readonly rounds: number;
  readonly warmupS: number;
  readonly wrk: WrkSettings;
  readonly tlsVersion: TlsVersion;
  readonly select: Selector;
  readonly noAgent: boolean;
  readonly out: string;
  readonly docs: string;
}

/** The flags as a Config, or undefined for --help. Paths resolve against `root`. */
export function parseConfig(argv: readonly string[], root: string): Config | undefined {
  const v = parseFlags(argv, ['rounds', 'duration', 'connections', 'threads', 'warmup', 'tls-version', 'select', 'out', 'docs'], ['no-agent']);
  if (v.help) return undefined;
  const threads = intFlag(v, 'threads', 1, 1, 256);
  const connections = intFlag(v, 'connections', 32, 1, 100_000);
  if (connections < threads) throw new UsageError(`--connections must be at least --threads (${threads}), got ${connections}`);
  return {
    rounds: intFlag(v, 'rounds', 5, 1, 1000),
    warmupS: intFlag(v, 'warmup', 3, 0, 3600),
    wrk: { threads, connections, durationS: intFlag(v, 'duration', 10, 1, 3600) },
    tlsVersion: choiceFlag(v, 'tls-version', '1.3', TLS_VERSIONS),
    select: choiceFlag(v, 'select', 'comm', SELECTORS),
    noAgent: v['no-agent'] === true,
    out: path.resolve(root, typeof v.out === 'string' ? v.out : 'bench/results/tls-capture.json'),
    docs: path.resolve(root, typeof v.docs === 'string' ? v.docs : 'docs/benchmarks.md'),
  };
}

/** The command that reproduces this run, every setting spelled out. */
export function rerunCommand(c: Config): string {
  const parts = ['npm run bench:tls --', `--rounds ${c.rounds}`, `--duration ${c.wrk.durationS}`, `--connections ${c.wrk.connections}`];
  parts.push(`--threads ${c.wrk.threads}`, `--warmup ${c.warmupS}`, `--tls-version ${c.tlsVersion}`);
  if (c.select !== 'comm') parts.push(`--select ${c.select}`);
  return parts.join(' ');
}

/** The `socktap run` selector for nginx. */
export function selectorArgs(select: Selector, workerPid: number): string[] {
  return select === 'comm' ? ['--comm', 'nginx'] : ['--pid', String(workerPid)];
}

/** Per-probe [entry, exit] counts from the last `probe stat {...}` line of the agent's stderr; {} without one. */
export function finalProbeStats(stderr: string): Record<string, [number, number]> {
  const last = stderr.split('\n').filter((l) => l.includes('msg="probe stat {')).at(-1);
  const json = last && /msg="probe stat (\{.*\})"/.exec(last)?.[1];
  return json ? (JSON.parse(json.replace(/\\"/g, '"')) as Record<string, [number, number]>) : {};
}

/** Entries into the OpenSSL probes (names containing "ssl", any case); undefined when there are none. */
export function sslProbeEntries(probes: Readonly<Record<string, readonly [number, number]>>): number | undefined {
  const names = Object.keys(probes).filter((n) => /ssl/i.test(n));
  return names.length === 0 ? undefined : sum(names.map((n) => probes[n][0]));
}


/**
 * Resolves with the file the agent attached the SSL probes to. The TLS scanner may attach after
 * the agent said it captures; wrk must not start before, or the first exchanges would be missed
 * and the run would measure syscall capture of TLS records instead.
 */
async function waitTlsAttached(agent: AgentProcess): Promise<string> {
  const deadline = Date.now() + TLS_ATTACH_TIMEOUT_MS;
  for (;;) {
    const m = TLS_ATTACHED.exec(agent.proc.stderr());
    if (m) return m[1];
    if (agent.proc.child.exitCode !== null || Date.now() > deadline) {
      throw new Error(
        `socktap run attached no TLS uprobes within ${TLS_ATTACH_TIMEOUT_MS / 1000} s (the harness waits for a line matching ${TLS_ATTACHED}): ${agent.proc.stderr().slice(-2000)}`,
      );
    }
    await sleep(20);
  }
}

/** A run that served errors or nothing measures nothing: stop with what went wrong. */
function checkWrk(r: WrkResult, url: string): void {
  if (r.requests === 0 || r.non2xx3xx > 0) {
    const e = r.socketErrors;
    throw new Error(`wrk ${url}: ${r.requests} requests, ${r.non2xx3xx} not 2xx/3xx, socket errors connect ${e.connect} read ${e.read} write ${e.write} timeout ${e.timeout}`);
  }
}

interface NoneRun extends BaselineRun {
  /** wrk's user + sys CPU per request. */
  readonly clientCpuUsPerRequest: number;
}

interface CaptureRun extends AgentRun {
  /** The file the agent put the SSL probes on, as nginx maps it. */
  readonly tlsFile: string;
  readonly clientCpuUsPerRequest: number;
  /** The agent's final probe stat line: [entries, exits] per probe. */
  readonly probes: Record<string, [number, number]>;
  /** Entries into the OpenSSL probes per request served; null when the agent reported none. */
  readonly sslProbeEntriesPerRequest: number | null;
}

type Round = AlternatingRound<CaptureRun> & { readonly without: NoneRun };

async function measureNone(nginx: Nginx, w: WrkSettings): Promise<NoneRun> {
  const client0 = reapedChildrenCpuUs();
  const run = await measureBaseline(nginx, w);
  const clientUs = reapedChildrenCpuUs() - client0;
  checkWrk(run.wrk, nginx.url);
  return { ...run, clientCpuUsPerRequest: clientUs / Math.max(1, run.wrk.requests) };
}

async function measureCapture(nginx: Nginx, w: WrkSettings, select: Selector): Promise<CaptureRun> {
  const socket = path.join(os.tmpdir(), `socktap-bench-tls-${process.pid}.sock`);
  let tlsFile = '';
  const { run, stderr, clientCpuUs } = await measureAgent({
    nginx,
    wrk: w,
    // Status requests go to the plain listener, before the agent starts and after it stopped.
    statusUrl: nginx.statusUrl,
    args: [...selectorArgs(select, nginx.workerPid), '--format', 'none', '--uds', socket, '--stats-interval', '1h'],
    openSink: () => startLineCounter(socket, `"target":"/${nginx.fileName}"`),
    ready: async (agent) => {
      tlsFile = await waitTlsAttached(agent);
    },
    clientCpuUs: reapedChildrenCpuUs,
    checkWrk: (r) => checkWrk(r, nginx.url),
  });
  const probes = finalProbeStats(stderr);
  const ssl = sslProbeEntries(probes);
  return {
    wrk: run.wrk,
    served: run.served,
    atSink: run.atSink,
    atSinkForUrl: run.atSinkForUrl,
    missing: run.missing,
    agentCpuUs: run.agentCpuUs,
    agentCpuUsPerExchange: run.agentCpuUsPerExchange,
    agentCoreShare: run.agentCoreShare,
    agentRssMiB: run.agentRssMiB,
    tlsFile,
    nginxCpuUsPerRequest: run.nginxCpuUsPerRequest,
    clientCpuUsPerRequest: clientCpuUs! / Math.max(1, run.wrk.requests),
    machineBusy: run.machineBusy,
    stats: run.stats,
    probes,
    sslProbeEntriesPerRequest: ssl === undefined ? null : ssl / Math.max(1, run.served),
  };
}

function summarizeRounds(rounds: readonly Round[]) {
  const w = rounds.map((r) => r.with);
  const ssl = w.map((a) => a.sslProbeEntriesPerRequest).filter((x): x is number => x !== null);
  return {
    targetRatio: TARGET_RATIO,
    targetCpuUsPerExchange: TARGET_CPU_US,
    gateCpuUsPerExchange: GATE_CPU_US,
    ratio: summarize(rounds.map((r) => r.ratio)),
    requestsPerSecNone: summarize(rounds.map((r) => r.without.wrk.requestsPerSec)),
    requestsPerSecCapture: summarize(w.map((a) => a.wrk.requestsPerSec)),
    agentCpuUsPerExchange: summarize(w.map((a) => a.agentCpuUsPerExchange)),
    agentCoreShare: summarize(w.map((a) => a.agentCoreShare)),
    agentRssMiB: summarize(w.map((a) => a.agentRssMiB)),
    nginxCpuUsPerRequestNone: median(rounds.map((r) => r.without.nginxCpuUsPerRequest)),
    nginxCpuUsPerRequestCapture: median(w.map((a) => a.nginxCpuUsPerRequest)),
    /** nginx (one worker) is the bottleneck: the ratio its own CPU growth alone predicts. */
    nginxCpuPredictedRatio: median(rounds.map((r) => r.without.nginxCpuUsPerRequest / r.with.nginxCpuUsPerRequest)),
    clientCpuUsPerRequestNone: median(rounds.map((r) => r.without.clientCpuUsPerRequest)),
    clientCpuUsPerRequestCapture: median(w.map((a) => a.clientCpuUsPerRequest)),
    sslProbeEntriesPerRequest: ssl.length > 0 ? median(ssl) : null,
    machineBusyNone: median(rounds.map((r) => r.without.machineBusy)),
    machineBusyCapture: median(w.map((a) => a.machineBusy)),
    served: sum(w.map((a) => a.served)),
    atSink: sum(w.map((a) => a.atSinkForUrl)),
    missing: sum(w.map((a) => a.missing)),
    counters: summedCounters(w),
  };
}

type Results = ReturnType<typeof summarizeRounds>;

const arrow = (a: number, b: number) => `${fix(a)} → ${fix(b)}`;

const roundHeader = [...ROUND_HEADER_LEAD, 'nginx µs/req none→capture', 'wrk µs/req none→capture', ...AGENT_ROUND_HEADER, 'EventLost'];

function roundRows(rounds: readonly Round[]): string[][] {
  return rounds.map((r) => [
    ...roundLead(r),
    arrow(r.without.nginxCpuUsPerRequest, r.with.nginxCpuUsPerRequest),
    arrow(r.without.clientCpuUsPerRequest, r.with.clientCpuUsPerRequest),
    ...agentRoundCells(r.with),
    String(r.with.stats.EventLost ?? 0),
  ]);
}

function summaryRows(s: Results): string[][] {
  const row = summaryRow;
  return [
    row('throughput ratio (capture / none)', s.ratio, (v) => `${fix(v, 3)}x`),
    row('req/s, none', s.requestsPerSecNone, int),
    row('req/s, capture', s.requestsPerSecCapture, int),
    ...agentSummaryRows(s),
  ];
}

function uprobeLine(s: Results): string {
  const extra = s.nginxCpuUsPerRequestCapture - s.nginxCpuUsPerRequestNone;
  const hits = s.sslProbeEntriesPerRequest === null ? 'the agent reported no OpenSSL probe counts' : `${fix(s.sslProbeEntriesPerRequest)} OpenSSL probe entries per request`;
  return (
    `nginx worker CPU per request (medians) ${fix(s.nginxCpuUsPerRequestNone)} µs none, ${fix(s.nginxCpuUsPerRequestCapture)} µs capture ` +
    `(${extra >= 0 ? '+' : ''}${fix(extra)} µs; alone it predicts a ratio of ${fix(s.nginxCpuPredictedRatio, 3)}x); ${hits}; ` +
    `wrk CPU per request ${fix(s.clientCpuUsPerRequestNone)} µs none, ${fix(s.clientCpuUsPerRequestCapture)} µs capture`
  );
}

function markdown(c: Config, m: MachineFacts, nginx: Nginx, rounds: readonly Round[], s: Results, image: string): string {
  const k = s.counters;
  const agent = `socktap run ${c.select === 'comm' ? '--comm nginx' : '--pid <worker>'} --uds <socket> --format none`;
  return `## TLS capture (OpenSSL uprobes, HTTPS nginx)

nginx (1 worker, access log off, TLS ${c.tlsVersion} only, a self-signed RSA-2048 certificate) serves a ${nginx.bodyBytes}-byte JSON
file over HTTPS to \`wrk -t${c.wrk.threads} -c${c.wrk.connections} -d${c.wrk.durationS}s\` on loopback, one keep-alive TLS connection per
wrk connection for the whole run. Each of ${c.rounds} rounds runs wrk once with no agent (\`none\`, "without" below) and
once with \`${agent}\` in its own process (\`capture\`, "with"): uprobes on
SSL_read/SSL_write (and _ex) in the file nginx maps (\`${rounds[0]?.with.tlsFile ?? '?'}\`) give the plaintext, which goes through
the full pipeline to a reader in the harness that counts and discards the JSON lines; the order alternates per round.
A uprobe traps into the kernel in the calling thread, so its cost shows in nginx's own CPU per request. The
probes are attached per file, so every process mapping it traps, targeted or not (the BPF programs drop the
others' calls): wrk links the same libssl, and its CPU per request is reported too.
Agent CPU is the agent process's user + system time (from /proc, all threads) over the wrk run and until the
sink went quiet, divided by the exchanges that reached the sink; wrk's CPU is that of the reaped child.
Loss accounting compares the exchanges at the sink with nginx's own request count (\`stub_status\`).
Targets (DESIGN.md §4, as for plain HTTP): ratio >= ${TARGET_RATIO}x, agent CPU <= ${TARGET_CPU_US} µs per exchange (gate ${GATE_CPU_US} µs), no exchange lost.

**Result:** ${agentVerdicts(s).join('; ')}.

${image}

${markdownTable(['measure', 'min', 'median', 'max'], summaryRows(s))}

Where the uprobe cost goes: ${uprobeLine(s)}.

Per round:

${markdownTable(roundHeader, roundRows(rounds))}

Agent counters summed over the runs: TotalRequestsParsed ${int(k.TotalRequestsParsed)}, TotalRequestsSent ${int(k.TotalRequestsSent)},
EventLost ${k.EventLost}, ReqParsingErrors ${k.ReqParsingErrors}, ResParsingErrors ${k.ResParsingErrors},
TotalEventsDroppedAtEventQueueLimit ${k.TotalEventsDroppedAtEventQueueLimit}, TotalEventsDroppedAtParsing ${k.TotalEventsDroppedAtParsing}.
Machine busy ${pct(s.machineBusyNone)} none, ${pct(s.machineBusyCapture)} capture (all ${m.nproc} CPUs).

Machine: kernel \`${m.kernel}\`, ${m.cpuModel}, nproc ${m.nproc}, ${m.memGiB} GiB, node ${m.node}, ${m.nginx}, ${m.wrk}; run ${m.date}.

Rerun: \`${rerunCommand(c)}\` (JSON: \`${path.relative(packageRoot(), c.out)}\`).`;
}

/** `--no-agent`: the none variant only, printed, nothing written. */
async function noneOnly(c: Config, nginx: Nginx): Promise<void> {
  if (c.warmupS > 0) {
    await measureNone(nginx, { ...c.wrk, durationS: c.warmupS });
    console.log(`warm-up done (${c.warmupS} s)`);
  }
  const runs: NoneRun[] = [];
  for (let i = 0; i < c.rounds; i++) {
    await sleep(500);
    const r = await measureNone(nginx, c.wrk);
    runs.push(r);
    console.log(`round ${i + 1}/${c.rounds}  none  ${int(r.wrk.requestsPerSec)} req/s  nginx ${fix(r.nginxCpuUsPerRequest)} µs/req  wrk ${fix(r.clientCpuUsPerRequest)} µs/req  machine busy ${pct(r.machineBusy)}`);
  }
  const rps = summarize(runs.map((r) => r.wrk.requestsPerSec));
  console.log(`\nnone: ${int(rps.min)} / ${int(rps.median)} / ${int(rps.max)} req/s (min / median / max); no agent run, nothing written`);
}

async function main(): Promise<void> {
  const c = parseConfig(process.argv.slice(2), packageRoot());
  if (!c) {
    console.log(USAGE);
    return;
  }
  const machine = machineFacts();
  reapedChildrenCpuUs();
  processCpuUs(process.pid); // cpu.ts asks getconf once too: not inside a measured run
  const tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'socktap-bench-tls-'));
  process.on('exit', () => fs.rmSync(tmpDir, { recursive: true, force: true }));
  const cert = await selfSignedCertificate(tmpDir);
  // full-pipeline's body under a name of its own: an nginx of another harness running meanwhile
  // (and captured by --comm nginx) cannot add to this one's exchanges at the sink.
  const file = path.join(tmpDir, BODY_FILE);
  fs.writeFileSync(file, jsonBody(BODY_BYTES));
  const nginx = await startNginx({ file, tls: { ...cert, protocols: [PROTOCOL[c.tlsVersion]] }, serverConfig: SERVER_CONFIG });
  try {
    console.log(`nginx worker ${nginx.workerPid} serving ${nginx.url} (${nginx.bodyBytes} bytes, TLS ${c.tlsVersion}; status on port ${nginx.plainPort})`);
    console.log(`${machine.cpuModel}, ${machine.nproc} CPUs, kernel ${machine.kernel}, node ${machine.node}, ${machine.nginx}, ${machine.wrk}`);
    if (c.noAgent) return await noneOnly(c, nginx);
    if (c.warmupS > 0) {
      // Warms nginx, the TLS session state, and the agent's code paths.
      const warm = { ...c.wrk, durationS: c.warmupS };
      await measureNone(nginx, warm);
      await measureCapture(nginx, warm, c.select);
      console.log(`warm-up done (${c.warmupS} s none, ${c.warmupS} s capture)`);
    }
    const rounds: Round[] = [];
    const plan = {
      rounds: c.rounds,
      without: () => measureNone(nginx, c.wrk),
      with: () => measureCapture(nginx, c.wrk, c.select),
      describe: (a: CaptureRun) =>
        `served ${a.served}  at sink ${a.atSinkForUrl}  missing ${a.missing}  ${fix(a.agentCpuUsPerExchange)} µs CPU/exchange  nginx ${fix(a.nginxCpuUsPerRequest)} µs/req  lost ${a.stats.EventLost}`,
    };
    // runRound types the none run as a BaselineRun; measureNone made it a NoneRun.
    for (let i = 0; i < c.rounds; i++) rounds.push((await runRound(i, plan)) as Round);
    const s = summarizeRounds(rounds);
    console.log(`\n${textTable(roundHeader, roundRows(rounds))}\n`);
    console.log(textTable(['measure', 'min', 'median', 'max'], summaryRows(s)));
    console.log(`\n${agentVerdicts(s).join('\n')}\n${uprobeLine(s)}`);
    writeJson(c.out, {
      benchmark: SECTION,
      command: rerunCommand(c),
      machine,
      config: { ...c.wrk, rounds: c.rounds, warmupS: c.warmupS, bodyBytes: nginx.bodyBytes, tlsVersion: c.tlsVersion, select: c.select },
      summary: s,
      rounds,
    });
    const image = writeChart(c.out, c.docs, roundsRatioChart('HTTPS, TLS plaintext', s.ratio, c.rounds, TARGET_RATIO), 'throughput ratio, min / median / max');
    writeSection(c.docs, '# socktap benchmarks\n\nGenerated by the scripts in `bench/`; each section is rewritten by its own benchmark.', SECTION, markdown(c, machine, nginx, rounds, s, image));
    console.log(`wrote ${path.relative(process.cwd(), c.out)} and the ${SECTION} section of ${path.relative(process.cwd(), c.docs)}`);
  } finally {
    await nginx.stop();
  }
}

// Imported by the unit tests for its pure helpers: run only as the entry point.
if (require.main === module) benchmarkMain(main, USAGE, (err) => (err instanceof SocktapError ? `${err.code}: ${err.message}` : err));
