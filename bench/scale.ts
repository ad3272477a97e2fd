/**
 * Scale: does socktap stay bounded and lose nothing when the traffic is wide rather than fast?
 * Three scenarios against nginx (one worker), each with `socktap run --pid <worker> --format none
 * --uds <socket> --metrics-addr <addr>` in its own process exporting to a reader in this harness
 * that tallies every record (target, response body_size, body_truncated) and discards it:
 *
 * - connections: N keep-alive connections (default 10,000) held open by a client in this process,
 *   each making one request every few seconds; the agent's RSS once they are all open and steady
 *   (DESIGN.md §4: <= 150 MB), its CPU, the connections it tracks, and loss accounting;
 * - churn: M short connections (default 100,000), one request each with `Connection: close`
 *   (wrk + bench/lua/count.lua); RSS along the run (the connection table must not grow with M),
 *   CPU per exchange, the kernel's connection table afterwards;
 * - bodies: responses of 1 KiB, 64 KiB and 1 MiB passing through nginx's user memory
 *   (`sendfile off`), a fixed number each; body_size and body_truncated of every record against
 *   the file and max_body_bytes, RSS, CPU per exchange, losses.
 *
 * Loss accounting everywhere: nginx's own request count (stub_status, read on a fresh connection
 * each time so the agent sees every status exchange whole) against the records at the sink, with
 * the agent's final stats line for any difference.
 *
 *   npm run bench:scale -- --connections 10000 --churn 100000 --requests 10000
 *
 * The helpers that soak.ts shares are exported from here.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { packageRoot } from '../agent/capture/native';
import { intFlag, parseFlags, UsageError } from './lib/args';
import { startAgentProcess, type AgentProcess } from './lib/agent-process';
import { benchmarkMain, fix, int, pct } from './lib/alternation';
import { processCpuUs, startCpuWindow, type CpuWindow } from './lib/cpu';
import { startLineServer } from './lib/line-server';
import { machineFacts, type MachineFacts } from './lib/machine';
import { startNginx, STATUS_PATH, type Nginx } from './lib/nginx';
import { childrenOf, freePort, sleep, start, statusKiB, type Proc } from './lib/procs';
import { ratioChartSvg, type ChartBar } from './lib/chart-svg';
import { markdownTable, textTable, writeChart, writeJson, writeSection } from './lib/report';
import { parseWrkOutput, type WrkResult } from './lib/wrk';

/** DESIGN.md §4: agent RSS, steady, 10k open connections. MB as written there: 10^6 bytes. */
export const TARGET_RSS_MB = 150;
/** socktap's default max_body_bytes, passed explicitly so a changed default cannot move the check. */
export const MAX_BODY_BYTES = 65536;
export const DOCS_TITLE = '# socktap benchmarks';
const SECTION = 'scale';
const SCENARIOS = ['connections', 'churn', 'bodies'] as const;
type Scenario = (typeof SCENARIOS)[number];
export const BODY_SIZES = [1024, 65536, 1048576] as const;
/** RSS growth per churned connection over the run's second half above which the table "grows". */
const GROWTH_BYTES_PER_CONNECTION = 100;
/** Below this, RSS growth is GC noise whatever the connection count. */
const GROWTH_NOISE_MIB = 8;

const USAGE = `usage: npm run bench:scale -- [flags]      (or: node dist/bench/scale.js [flags])

  --only LIST               scenarios to run, comma-separated: connections, churn, bodies   [all]
  --connections N           connections: keep-alive connections held open                   [10000]
  --interval MS             connections: each connection's pause between its requests      [5000]
  --hold S                  connections: seconds held steady, all open, before measuring   [20]
  --churn M                 churn: short connections, one request each                     [100000]
  --churn-connections C     churn: wrk connections (each reconnects after its response)    [16]
  --requests K              bodies: requests per body size (1 KiB, 64 KiB, 1 MiB)          [10000]
  --body-connections C      bodies: wrk keep-alive connections                             [4]
  --out PATH                JSON results                          [bench/results/scale.json]
  --docs PATH               Markdown file whose scale section is rewritten  [docs/benchmarks.md]

Needs root (BPF), nginx and wrk (npm run setup), and for --connections N an RLIMIT_NOFILE of
1.25 N + 1024 (nginx's worker inherits it; prlimit raises it up to the hard limit, and past that
with CAP_SYS_RESOURCE).`;

export interface ScaleConfig {
  readonly scenarios: readonly Scenario[];
  readonly connections: number;
  readonly intervalMs: number;
  readonly holdS: number;
  readonly churn: number;
  readonly churnConnections: number;
  readonly requests: number;
  readonly bodyConnections: number;
  readonly out: string;
  readonly docs: string;
}

export function parseScaleConfig(argv: readonly string[], root: string): ScaleConfig | undefined {
  const v = parseFlags(argv, ['only', 'connections', 'interval', 'hold', 'churn', 'churn-connections', 'requests', 'body-connections', 'out', 'docs']);
  if (v.help) return undefined;
  const only = typeof v.only === 'string' ? v.only.split(',').map((s) => s.trim()) : [...SCENARIOS];
  for (const s of only) {
    if (!SCENARIOS.includes(s as Scenario)) throw new UsageError(`--only must list scenarios among ${SCENARIOS.join(', ')}, got '${s}'`);
  }
  if (only.length === 0) throw new UsageError(`--only must name at least one of ${SCENARIOS.join(', ')}, got ''`);
  const churn = intFlag(v, 'churn', 100_000, 1, 10_000_000);
  const churnConnections = intFlag(v, 'churn-connections', 16, 1, 1000);
  const requests = intFlag(v, 'requests', 10_000, 1, 10_000_000);
  const bodyConnections = intFlag(v, 'body-connections', 4, 1, 1000);
  if (churnConnections > churn) throw new UsageError(`--churn-connections must be at most --churn (${churn}), got ${churnConnections}`);
  if (bodyConnections > requests) throw new UsageError(`--body-connections must be at most --requests (${requests}), got ${bodyConnections}`);
  return {
    scenarios: SCENARIOS.filter((s) => only.includes(s)),
    connections: intFlag(v, 'connections', 10_000, 1, 200_000),
    intervalMs: intFlag(v, 'interval', 5000, 100, 600_000),
    holdS: intFlag(v, 'hold', 20, 1, 3600),
    churn,
    churnConnections,
    requests,
    bodyConnections,
    out: path.resolve(root, typeof v.out === 'string' ? v.out : 'bench/results/scale.json'),
    docs: path.resolve(root, typeof v.docs === 'string' ? v.docs : 'docs/benchmarks.md'),
  };
}

function rerunCommand(c: ScaleConfig): string {
  const only = c.scenarios.length === SCENARIOS.length ? '' : ` --only ${c.scenarios.join(',')}`;
  return (
    `npm run bench:scale --${only} --connections ${c.connections} --interval ${c.intervalMs} --hold ${c.holdS}` +
    ` --churn ${c.churn} --churn-connections ${c.churnConnections} --requests ${c.requests} --body-connections ${c.bodyConnections}`
  );
}

// ---------------------------------------------------------------------------------------------
// Shared with soak.ts: /proc and /metrics readings, the record reader, wrk runs, loss accounting.


export const kibToMiB = (kib: number) => kib / 1024;
export const kibToMB = (kib: number) => (kib * 1024) / 1e6;

/**
 * nginx's request count (stub_status), read on a connection of its own that is closed after the
 * answer: the agent, if running, sees the status exchange from its first byte, so it is captured
 * and counted on both sides (a kept-alive connection opened before the agent started would be
 * invisible to it and show up as missing).
 */
export function servedNow(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ port, host: '127.0.0.1' });
    let text = '';
    s.setEncoding('latin1');
    s.setTimeout(10_000, () => s.destroy(new Error(`stub_status on port ${port} did not answer in 10 s`)));
    s.on('connect', () => s.write(`GET ${STATUS_PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`));
    s.on('data', (d: string) => (text += d));
    s.on('error', reject);
    s.on('close', () => {
      const m = /\n\s*(\d+)\s+(\d+)\s+(\d+)\s*\n/.exec(text);
      if (m) resolve(Number(m[3]));
      else reject(new Error(`unexpected stub_status answer: ${text.slice(0, 500)}`));
    });
  });
}

/** Prometheus text exposition -> value per `name{labels}` as printed (comments skipped). */
export function parseMetrics(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const sp = line.lastIndexOf(' ');
    if (sp <= 0) continue;
    const value = Number(line.slice(sp + 1));
    if (!Number.isNaN(value)) out.set(line.slice(0, sp), value);
  }
  return out;
}

export async function scrapeMetrics(addr: string): Promise<Map<string, number>> {
  const res = await fetch(`http://${addr}/metrics`, { signal: AbortSignal.timeout(10_000) });
  if (!res.ok) throw new Error(`GET http://${addr}/metrics answered ${res.status}: ${await res.text()}`);
  return parseMetrics(await res.text());
}

/**
 * Connections the agent tracks right now, from its probe counters: sockets accepted minus
 * sockets closed (both count only tracked sockets of the targeted processes). The agent has no
 * gauge of its connection table; this is the closest figure /metrics gives. NaN without them.
 */
export function trackedConnections(m: ReadonlyMap<string, number>): number {
  const exits = (probe: string) => m.get(`socktap_probe_exits_total{probe="${probe}"}`);
  const accept = exits('accept');
  const accept4 = exits('accept4');
  const close = exits('close');
  if (accept4 === undefined || close === undefined) return NaN;
  return (accept ?? 0) + accept4 - close;
}

/**
 * Entries of the agent's kernel connection table (the `conns` LRU hash: 8-byte key, 64-byte
 * value), found among the BPF maps the agent process holds (/proc/<pid>/fdinfo) and counted with
 * `bpftool map dump`. undefined when bpftool is missing or the map cannot be found.
 */
export function connsMapEntries(agentPid: number): number | undefined {
  let id: string | undefined;
  try {
    for (const fd of fs.readdirSync(`/proc/${agentPid}/fdinfo`)) {
      let info: string;
      try {
        info = fs.readFileSync(`/proc/${agentPid}/fdinfo/${fd}`, 'utf8');
      } catch {
        continue;
      }
      // map_type 9: BPF_MAP_TYPE_LRU_HASH.
      if (/^map_type:\s+9$/m.test(info) && /^key_size:\s+8$/m.test(info) && /^value_size:\s+64$/m.test(info)) {
        id = /^map_id:\s+(\d+)$/m.exec(info)?.[1];
      }
    }
    if (!id) return undefined;
    const out = execFileSync('bpftool', ['-j', 'map', 'dump', 'id', id], { maxBuffer: 1 << 30, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return (JSON.parse(out) as unknown[]).length;
  } catch {
    return undefined;
  }
}

/** What the records of one request target looked like at the sink. */
export interface TargetTally {
  records: number;
  /** `"response":null`: the request's response never came (closed, timeout). */
  incomplete: number;
  /** Records whose response says `body_truncated: true`. */
  truncated: number;
  /** Response `body_size` -> records. */
  readonly bodySizes: Map<number, number>;
}

/**
 * Adds one exchange record (a JSON line) to `tally`, looking only at the request target and the
 * response's last fields, not parsing the whole line (records of large bodies carry up to
 * max_body_bytes of escaped text). The response is the record's last object, so its body_size and
 * body_truncated are the line's last occurrences of those keys: inside JSON strings every quote is
 * escaped, so `"body_size":` cannot occur in a body. Returns false for a line that is not a record.
 */
export function tallyRecord(tally: Map<string, TargetTally>, line: string): boolean {
  const t = line.indexOf('"target":"');
  const resp = line.indexOf('"response":', t);
  if (t < 0 || resp < 0) return false;
  const target = line.slice(t + 10, line.indexOf('"', t + 10));
  let entry = tally.get(target);
  if (!entry) tally.set(target, (entry = { records: 0, incomplete: 0, truncated: 0, bodySizes: new Map() }));
  entry.records++;
  if (line.startsWith('null', resp + 11)) {
    entry.incomplete++;
    return true;
  }
  const size = line.lastIndexOf('"body_size":');
  const trunc = line.lastIndexOf('"body_truncated":');
  if (size < resp || trunc < resp) return false;
  const n = Number(/^\d+/.exec(line.slice(size + 12, size + 32))?.[0] ?? NaN);
  entry.bodySizes.set(n, (entry.bodySizes.get(n) ?? 0) + 1);
  if (line.startsWith('true', trunc + 17)) entry.truncated++;
  return true;
}

export interface RecordReader {
  /** Complete lines received. */
  total(): number;
  /** Lines that did not look like exchange records. */
  malformed(): number;
  byTarget(): ReadonlyMap<string, TargetTally>;
  close(): Promise<void>;
}

/** The discarding unix-socket sink: listens at `socketPath`, tallies every line, keeps nothing. */
export async function startRecordReader(socketPath: string): Promise<RecordReader> {
  let total = 0;
  let malformed = 0;
  const tally = new Map<string, TargetTally>();
  const server = await startLineServer(socketPath, (text, from, to) => {
    total++;
    if (!tallyRecord(tally, text.slice(from, to))) malformed++;
  });
  return {
    total: () => total,
    malformed: () => malformed,
    byTarget: () => tally,
    close: () => server.close(),
  };
}

/**
 * Waits until the sink holds `expected` records, or received nothing new for `quietMs` (what is
 * still missing then is lost, not late: the agent polls its ring buffer every 50 ms).
 */
export async function waitForSink(reader: RecordReader, expected: number, quietMs = 2000): Promise<void> {
  let last = reader.total();
  let since = Date.now();
  while (reader.total() < expected && Date.now() - since < quietMs) {
    await sleep(50);
    if (reader.total() !== last) {
      last = reader.total();
      since = Date.now();
    }
  }
}

/** `socktap run` as every scenario runs it. */
export function startAgent(workerPid: number, socket: string, metricsAddr: string): Promise<AgentProcess> {
  return startAgentProcess([
    '--pid', String(workerPid),
    '--format', 'none',
    '--uds', socket,
    '--stats-interval', '1h',
    '--metrics-addr', metricsAddr,
    '--max-body-bytes', String(MAX_BODY_BYTES),
  ]);
}

/** The loss counters of the final stats line, summed: events (not exchanges) the agent counted as lost. */
export const LOSS_COUNTERS = ['EventLost', 'TotalEventsDroppedAtEventQueueLimit', 'TotalEventsDroppedAtParsing', 'ReqParsingErrors', 'ResParsingErrors'] as const;

export interface LossAccount {
  /** Requests nginx served while the agent ran (stub_status). */
  readonly served: number;
  /** Records at the sink. */
  readonly atSink: number;
  /** served - atSink (negative: more records than requests). */
  readonly missing: number;
  /** Sum of LOSS_COUNTERS from the agent's final stats line. */
  readonly counted: number;
  /** Missing exchanges the counters cannot account for: all of them when every counter is 0. */
  readonly unexplained: number;
}

/**
 * served vs at the sink, with the agent's counters. The counters count events, several per
 * exchange for a large body, so "explained" means a counter moved by at least as much as is
 * missing; a missing exchange with every counter at 0 is unexplained.
 */
export function lossAccount(served: number, atSink: number, stats: Readonly<Record<string, number>>): LossAccount {
  const counted = LOSS_COUNTERS.reduce((a, k) => a + (stats[k] ?? 0), 0);
  const missing = served - atSink;
  return { served, atSink, missing, counted, unexplained: missing > 0 ? Math.max(0, missing - counted) : 0 };
}

export function lossVerdict(a: LossAccount, stats: Readonly<Record<string, number>>): string {
  const counters = LOSS_COUNTERS.filter((k) => (stats[k] ?? 0) > 0).map((k) => `${k} ${int(stats[k]!)}`);
  if (a.missing === 0) {
    const events = counters.length === 0 ? '' : ` (the agent counted ${counters.join(', ')}: events, none of them a whole exchange)`;
    return `all ${int(a.served)} exchanges nginx served reached the sink${events}`;
  }
  if (a.missing < 0) return `${int(-a.missing)} more records at the sink than nginx served (${int(a.atSink)} vs ${int(a.served)})`;
  const what = counters.length === 0 ? 'unexplained: every loss counter is 0' : a.unexplained === 0 ? `counted: ${counters.join(', ')}` : `${int(a.unexplained)} unexplained beyond ${counters.join(', ')}`;
  return `${int(a.missing)} of ${int(a.served)} exchanges missing at the sink (${what})`;
}

/** wrk started as a child we can interrupt (runWrk in lib/wrk.ts waits for -d). */
export function spawnWrk(args: readonly string[]): Proc {
  try {
    return start('wrk', [...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    throw new Error(`cannot run wrk (${(e as Error).message}): run \`npm run setup\` to install it`);
  }
}

/** Waits for `wrk` to exit, then parses its report; rejects with its output when it failed. */
export async function wrkResult(wrk: Proc): Promise<WrkResult> {
  const code = await wrk.exited;
  if (code !== 0) throw new Error(`wrk exited ${code}: ${wrk.stderr() || wrk.stdout()}`);
  return parseWrkOutput(wrk.stdout());
}

export const luaScript = (name: string) => path.join(packageRoot(), 'bench', 'lua', name);

export interface CountedRun {
  readonly wrk: WrkResult;
  /** The last poll's count minus the count before the run (that poll included). */
  readonly servedByLastPoll: number;
  /** Seconds from wrk's start to the last poll that saw requests besides itself (within 250 ms of the last request). */
  readonly activeS: number;
}

/**
 * wrk with bench/lua/count.lua: `count` requests (plus those in flight when its thread stops) on
 * `connections` connections, keep-alive or `close`. wrk's main thread sleeps for the whole -d
 * even after its thread stopped, so nginx's count is polled every 250 ms and wrk gets SIGINT once
 * it reached `count` and only the polls themselves were served over the last two intervals.
 */
export async function runCounted(o: {
  readonly port: number;
  readonly path: string;
  readonly count: number;
  readonly connections: number;
  readonly close: boolean;
  readonly before: number;
  /** Called at each poll (e.g. to sample RSS). */
  readonly onPoll?: (servedSoFar: number) => void;
}): Promise<CountedRun> {
  const url = `http://127.0.0.1:${o.port}${o.path}`;
  const wrk = spawnWrk(['-t', '1', '-c', String(o.connections), '-d', '3600s', '-s', luaScript('count.lua'), url, '--', String(o.count), ...(o.close ? ['close'] : [])]);
  const t0 = performance.now();
  let activeS = 0;
  let last = o.before;
  let quiet = 0;
  let stalledSince = Date.now();
  for (;;) {
    await sleep(250);
    if (wrk.child.exitCode !== null) break; // failed (wrkResult reports it)
    const n = await servedNow(o.port);
    o.onPoll?.(n - o.before);
    quiet = n === last + 1 ? quiet + 1 : 0;
    last = n;
    if (quiet === 0) {
      stalledSince = Date.now();
      activeS = (performance.now() - t0) / 1000;
    }
    if (quiet >= 2 && n - o.before >= o.count) break;
    if (Date.now() - stalledSince > 15_000) {
      wrk.child.kill('SIGINT');
      throw new Error(`wrk made no request for 15 s with ${int(n - o.before)} of ${int(o.count)} served: ${wrk.stderr() || wrk.stdout()}`);
    }
  }
  wrk.child.kill('SIGINT');
  return { wrk: await wrkResult(wrk), servedByLastPoll: last - o.before, activeS };
}

/** Open files (RLIMIT_NOFILE) of a process, from /proc/<pid>/limits. */
export function nofileLimits(pid: number | 'self' = 'self'): { soft: number; hard: number } {
  const line = fs.readFileSync(`/proc/${pid}/limits`, 'utf8').split('\n').find((l) => l.startsWith('Max open files'));
  const m = line && /^Max open files\s+(\S+)\s+(\S+)/.exec(line);
  if (!m) throw new Error(`no 'Max open files' line in /proc/${pid}/limits`);
  const num = (s: string) => (s === 'unlimited' ? Infinity : Number(s));
  return { soft: num(m[1]!), hard: num(m[2]!) };
}

/**
 * Makes sure this process may hold `need` open files: Node raised its soft limit to the hard one
 * at start, so past that only prlimit as root helps (and never past fs.nr_open).
 */
export function ensureNofile(need: number, why: string): void {
  const { soft, hard } = nofileLimits();
  if (soft >= need) return;
  const nrOpen = Number(fs.readFileSync('/proc/sys/fs/nr_open', 'utf8').trim());
  const fix = `raise it before running (\`ulimit -n ${need}\` in the shell that starts the harness, LimitNOFILE=${need} in a systemd unit)`;
  if (need > nrOpen) throw new Error(`${why} needs ${need} open files, more than fs.nr_open (${nrOpen}): \`sysctl fs.nr_open=${need}\` first, or ask for fewer`);
  try {
    execFileSync('prlimit', ['--pid', String(process.pid), `--nofile=${need}:${Math.max(need, hard)}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (e) {
    throw new Error(`${why} needs ${need} open files (RLIMIT_NOFILE) in the harness, which has ${soft} (hard ${hard}), and prlimit could not raise it (${(e as Error).message.trim()}; past the hard limit it needs root with CAP_SYS_RESOURCE): ${fix}, or lower it`);
  }
  const now = nofileLimits();
  if (now.soft < need) throw new Error(`${why} needs ${need} open files; the harness still has ${now.soft} after prlimit: ${fix}`);
}

/**
 * worker_connections for `connections` held open: nginx closes idle keep-alive connections once
 * fewer than 1/16 of worker_connections are free (ngx_drain_connections), so a quarter is spare.
 */
export const nginxWorkerConnections = (connections: number) => Math.ceil(connections * 1.25) + 512;
/** Open files nginx's worker needs: one per connection, plus the file being served, listeners, logs. */
export const nginxNofile = (connections: number) => nginxWorkerConnections(connections) + 512;

/**
 * Gives nginx's worker room for `connections`: lib/nginx.ts writes `events {}` (512 connections),
 * so the harness edits the config it wrote and reloads (SIGHUP: the master starts a new worker
 * with the new settings, the old one exits). The worker inherits the harness's RLIMIT_NOFILE;
 * only when that is too small is `worker_rlimit_nofile` set, which the worker applies itself and
 * which needs CAP_SYS_RESOURCE past the hard limit. Returns the new worker's pid, checked to
 * hold enough open files.
 */
export async function raiseNginxConnections(nginx: Nginx, connections: number): Promise<number> {
  const workerConnections = nginxWorkerConnections(connections);
  const nofile = nginxNofile(connections);
  const inherited = nofileLimits(nginx.masterPid).soft;
  const conf = path.join(nginx.dir, 'nginx.conf');
  const text = fs.readFileSync(conf, 'utf8');
  if (!text.includes('events {}') || !text.includes('worker_processes 1;')) throw new Error(`${conf} does not look as lib/nginx.ts writes it (no 'events {}')`);
  const rlimit = inherited >= nofile ? '' : `\nworker_rlimit_nofile ${nofile};`;
  fs.writeFileSync(conf, text.replace('worker_processes 1;', `worker_processes 1;${rlimit}`).replace('events {}', `events { worker_connections ${workerConnections}; }`));
  process.kill(nginx.masterPid, 'SIGHUP');
  const deadline = Date.now() + 10_000;
  for (;;) {
    const kids = childrenOf(nginx.masterPid);
    // With worker_rlimit_nofile the new worker raises its limit just after the fork: wait for that too.
    const got = kids.length === 1 && kids[0] !== nginx.workerPid ? nofileLimits(kids[0]!).soft : 0;
    if (got >= nofile) return kids[0]!;
    if (Date.now() > deadline) {
      const log = fs.readFileSync(path.join(nginx.dir, 'error.log'), 'utf8').slice(-1000).trim();
      if (got > 0) {
        throw new Error(
          `--connections ${connections} needs ${nofile} open files in nginx's worker, which has ${got}, and worker_rlimit_nofile could not raise it ` +
            `(it needs CAP_SYS_RESOURCE past the hard limit): raise the hard limit before running (\`ulimit -Hn ${nofile}\` as root with CAP_SYS_RESOURCE, ` +
            `LimitNOFILE=${nofile} in a systemd unit), or lower --connections. nginx said: ${log}`,
        );
      }
      throw new Error(`nginx did not restart its worker with worker_connections ${workerConnections}: ${log}`);
    }
    await sleep(25);
  }
}

/** A JSON document of exactly `bytes` bytes (>= 32): lib/nginx.ts's jsonBody is quadratic in the size. */
export function paddedJson(bytes: number): Buffer {
  const head = `{"size":${bytes},"pad":"`;
  const tail = '"}\n';
  if (bytes < head.length + tail.length) throw new RangeError(`paddedJson size must be at least ${head.length + tail.length} bytes, got ${bytes}`);
  return Buffer.from(head + 'x'.repeat(bytes - head.length - tail.length) + tail);
}

export const sizeLabel = (bytes: number) => (bytes >= 1 << 20 ? `${bytes / (1 << 20)} MiB` : bytes >= 1024 ? `${bytes / 1024} KiB` : `${bytes} B`);
const sizeName = (bytes: number) => sizeLabel(bytes).replace(' ', '').toLowerCase();

function checkRoot(): void {
  if (process.getuid?.() !== 0) throw new Error('the scale benchmark loads BPF programs through `socktap run`: run it as root (sudo npm run bench:scale)');
}

/** Fails early, with what to do, when nginx or wrk is missing. */
export function checkTools(): void {
  for (const [cmd, arg] of [['nginx', '-v'], ['wrk', '-v']] as const) {
    try {
      execFileSync(cmd, [arg], { stdio: 'ignore' });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new Error(`${cmd} is not installed: run \`npm run setup\``);
      // wrk -v exits 1 after printing its version: it is there.
    }
  }
}

// ---------------------------------------------------------------------------------------------
// connections: N keep-alive connections held open by a client in this process.

export interface ConnectionPool {
  /** Connections open now. */
  open(): number;
  /** Connections that failed to open. */
  failed(): number;
  /** Open connections the server closed. */
  closedByPeer(): number;
  responses(): number;
  /** Turns at which a connection still waited for its previous response. */
  skipped(): number;
  /** From now on, every open connection sends one request per `intervalMs`, spread evenly. */
  pace(intervalMs: number): void;
  close(): Promise<void>;
}

/** Connection attempts in flight during the ramp: nginx's listen backlog is 511. */
const RAMP_PENDING = 256;
/** Source addresses to spread connections over once one would run out of ephemeral ports. */
const PER_SOURCE_ADDRESS = 20_000;
const PACE_TICK_MS = 50;

/** Opens `n` connections to 127.0.0.1:`port`, each sending one GET `target` once connected. */
export async function openPool(port: number, target: string, n: number, onOpen?: (open: number) => void): Promise<ConnectionPool> {
  const request = `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`;
  const sources = Math.ceil(n / PER_SOURCE_ADDRESS);
  interface Conn {
    sock: net.Socket;
    busy: boolean;
    alive: boolean;
    buf: string;
    need: number;
  }
  const conns: Conn[] = [];
  let open = 0;
  let failed = 0;
  let closedByPeer = 0;
  let responses = 0;
  let skipped = 0;
  let closing = false;
  let timer: NodeJS.Timeout | undefined;
  const onData = (c: Conn, chunk: string) => {
    c.buf += chunk;
    for (;;) {
      if (c.need < 0) {
        const end = c.buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        const len = /\r\ncontent-length:\s*(\d+)/i.exec(c.buf.slice(0, end));
        c.need = end + 4 + (len ? Number(len[1]) : 0);
      }
      if (c.buf.length < c.need) return;
      c.buf = c.buf.slice(c.need);
      c.need = -1;
      c.busy = false;
      responses++;
    }
  };
  const send = (c: Conn) => {
    c.busy = true;
    c.sock.write(request);
  };
  await new Promise<void>((resolve) => {
    let next = 0;
    let pending = 0;
    const launch = () => {
      while (pending < RAMP_PENDING && next < n) {
        const localAddress = sources > 1 ? `127.0.0.${1 + (next % sources)}` : undefined;
        next++;
        pending++;
        const sock = net.connect({ port, host: '127.0.0.1', localAddress });
        const c: Conn = { sock, busy: false, alive: false, buf: '', need: -1 };
        sock.setEncoding('latin1');
        sock.setNoDelay(true);
        sock.once('connect', () => {
          pending--;
          c.alive = true;
          open++;
          conns.push(c);
          onOpen?.(open);
          send(c);
          launch();
        });
        sock.on('data', (d: string) => onData(c, d));
        sock.on('error', () => {
          if (!c.alive) {
            pending--;
            failed++;
            launch();
          }
        });
        sock.on('close', () => {
          if (c.alive) {
            c.alive = false;
            open--;
            if (!closing) closedByPeer++;
          }
        });
      }
      if (next >= n && pending === 0) resolve();
    };
    launch();
  });
  return {
    open: () => open,
    failed: () => failed,
    closedByPeer: () => closedByPeer,
    responses: () => responses,
    skipped: () => skipped,
    pace(intervalMs) {
      let quota = 0;
      let cursor = 0;
      timer = setInterval(() => {
        quota += (conns.length * PACE_TICK_MS) / intervalMs;
        for (; quota >= 1; quota--) {
          const c = conns[cursor++ % conns.length]!;
          if (!c.alive) continue;
          if (c.busy) skipped++;
          else send(c);
        }
      }, PACE_TICK_MS);
    },
    async close() {
      closing = true;
      if (timer) clearInterval(timer);
      for (const c of conns) c.sock.destroy();
      await sleep(100);
    },
  };
}

export interface ConnectionsResult {
  readonly connections: number;
  /** Size of the file each request fetches. */
  readonly bodyBytes: number;
  readonly intervalMs: number;
  readonly holdS: number;
  readonly rampS: number;
  readonly opened: number;
  readonly failed: number;
  readonly closedByServer: number;
  readonly skippedTurns: number;
  /** Agent RSS before any connection, MiB. */
  readonly idleRssMiB: number;
  /** Agent RSS at the end of the hold (all open, steady), MiB, and its min / max over the hold. */
  readonly steadyRssMiB: number;
  readonly holdRssMinMiB: number;
  readonly holdRssMaxMiB: number;
  /** VmHWM at the end of the hold. */
  readonly peakRssMiB: number;
  /** (steady - idle) RSS per open connection, bytes. */
  readonly rssBytesPerConnection: number;
  /** Each second of the hold: [seconds into the hold, RSS MiB]. */
  readonly holdRss: readonly (readonly [number, number])[];
  /** Connections the agent tracks (accepted - closed, /metrics), at the end of the hold and after the client closed all. */
  readonly trackedAtHold: number;
  readonly trackedAfterClose: number;
  /** Entries of the kernel connection table at the same two moments (bpftool; null without it). */
  readonly connsMapAtHold: number | null;
  readonly connsMapAfterClose: number | null;
  /** Exchanges that reached the sink during the hold, and the agent's CPU per exchange and core share over it. */
  readonly holdExchanges: number;
  readonly holdAgentCpuUsPerExchange: number;
  readonly holdAgentCoreShare: number;
  readonly loss: LossAccount;
  readonly stats: Record<string, number>;
}

async function runConnections(c: ScaleConfig, nginx: Nginx, worker: number): Promise<ConnectionsResult> {
  const socket = path.join(os.tmpdir(), `socktap-bench-scale-${process.pid}.sock`);
  const metricsAddr = `127.0.0.1:${await freePort()}`;
  const reader = await startRecordReader(socket);
  const before = await servedNow(nginx.port);
  const agent = await startAgent(worker, socket, metricsAddr);
  let pool: ConnectionPool | undefined;
  try {
    await sleep(1000);
    const idleRssMiB = kibToMiB(statusKiB(agent.proc.pid, 'VmRSS'));
    const t0 = performance.now();
    let shown = 0;
    pool = await openPool(nginx.port, `/${nginx.fileName}`, c.connections, (open) => {
      if (open >= shown + Math.max(1000, c.connections / 10) || open === c.connections) {
        shown = open;
        process.stdout.write(`\r  ${int(open)} of ${int(c.connections)} open, agent RSS ${fix(kibToMiB(statusKiB(agent.proc.pid, 'VmRSS')), 1)} MiB   `);
      }
    });
    const rampS = (performance.now() - t0) / 1000;
    console.log(`\n  ramp: ${int(pool.open())} open in ${fix(rampS, 1)} s (${pool.failed()} failed)`);
    // Every connection's first exchange done: the agent has seen each one as an HTTP connection.
    for (const deadline = Date.now() + 30_000; pool.responses() < pool.open() && Date.now() < deadline; ) await sleep(100);
    pool.pace(c.intervalMs);
    const cpu0 = processCpuUs(agent.proc.pid);
    const sink0 = reader.total();
    const h0 = performance.now();
    const holdRss: [number, number][] = [];
    for (let s = 1; s <= c.holdS; s++) {
      await sleep(h0 + s * 1000 - performance.now());
      holdRss.push([s, kibToMiB(statusKiB(agent.proc.pid, 'VmRSS'))]);
      process.stdout.write(`\r  hold ${s}/${c.holdS} s: ${int(pool.open())} open, ${int(pool.responses())} responses, agent RSS ${fix(holdRss.at(-1)![1], 1)} MiB   `);
    }
    const holdUs = (performance.now() - h0) * 1e3;
    const cpu1 = processCpuUs(agent.proc.pid);
    const holdExchanges = reader.total() - sink0;
    const steadyRssMiB = kibToMiB(statusKiB(agent.proc.pid, 'VmRSS'));
    const peakRssMiB = kibToMiB(statusKiB(agent.proc.pid, 'VmHWM'));
    const trackedAtHold = trackedConnections(await scrapeMetrics(metricsAddr));
    const connsMapAtHold = connsMapEntries(agent.proc.pid) ?? null;
    const opened = pool.open();
    const closedByServer = pool.closedByPeer();
    const skippedTurns = pool.skipped();
    const failed = pool.failed();
    console.log(`\n  steady: agent RSS ${fix(steadyRssMiB, 1)} MiB (idle ${fix(idleRssMiB, 1)}, peak ${fix(peakRssMiB, 1)}), tracking ${int(trackedAtHold)} connections, kernel table ${connsMapAtHold ?? '?'} entries`);
    await pool.close();
    pool = undefined;
    await waitForSink(reader, (await servedNow(nginx.port)) - before);
    await sleep(500);
    const trackedAfterClose = trackedConnections(await scrapeMetrics(metricsAddr));
    const connsMapAfterClose = connsMapEntries(agent.proc.pid) ?? null;
    const stats = await agent.stop();
    const served = (await servedNow(nginx.port)) - before - 1;
    return {
      connections: c.connections,
      bodyBytes: nginx.bodyBytes,
      intervalMs: c.intervalMs,
      holdS: c.holdS,
      rampS,
      opened,
      failed,
      closedByServer,
      skippedTurns,
      idleRssMiB,
      steadyRssMiB,
      holdRssMinMiB: Math.min(...holdRss.map(([, r]) => r)),
      holdRssMaxMiB: Math.max(...holdRss.map(([, r]) => r)),
      peakRssMiB,
      rssBytesPerConnection: ((steadyRssMiB - idleRssMiB) * 1024 * 1024) / Math.max(1, opened),
      holdRss,
      trackedAtHold,
      trackedAfterClose,
      connsMapAtHold,
      connsMapAfterClose,
      holdExchanges,
      holdAgentCpuUsPerExchange: (cpu1 - cpu0) / Math.max(1, holdExchanges),
      holdAgentCoreShare: (cpu1 - cpu0) / holdUs,
      loss: lossAccount(served, reader.total(), stats),
      stats,
    };
  } finally {
    await pool?.close();
    await agent.proc.kill('SIGKILL');
    await reader.close();
  }
}

// ---------------------------------------------------------------------------------------------
// churn: M short connections, one request each.

export interface ChurnResult {
  readonly connections: number;
  readonly wrkConnections: number;
  readonly wrk: WrkResult;
  /** Seconds of load: from wrk's start to the last poll that saw its requests. */
  readonly durationS: number;
  readonly idleRssMiB: number;
  /** RSS once half the connections were made, and at the end. */
  readonly midRssMiB: number;
  readonly endRssMiB: number;
  readonly peakRssMiB: number;
  /** At every poll of nginx's count (4 a second): [connections served so far, RSS MiB]. */
  readonly rssByConnections: readonly (readonly [number, number])[];
  /** Connections made between the half-way RSS reading and the end. */
  readonly connectionsAfterMid: number;
  /** (end - mid) RSS per connection made in between, bytes. */
  readonly growthBytesPerConnection: number;
  readonly accepted: number;
  readonly trackedAfter: number;
  readonly connsMapAfter: number | null;
  readonly agentCpuUsPerExchange: number;
  /** The agent's CPU over the wall time from wrk's start until the sink drained. */
  readonly agentCoreShare: number;
  readonly machineBusy: number;
  readonly loss: LossAccount;
  readonly stats: Record<string, number>;
}

async function runChurn(c: ScaleConfig, nginx: Nginx, worker: number): Promise<ChurnResult> {
  const socket = path.join(os.tmpdir(), `socktap-bench-scale-churn-${process.pid}.sock`);
  const metricsAddr = `127.0.0.1:${await freePort()}`;
  const reader = await startRecordReader(socket);
  const before = await servedNow(nginx.port);
  const agent = await startAgent(worker, socket, metricsAddr);
  try {
    await sleep(1000);
    const idleRssMiB = kibToMiB(statusKiB(agent.proc.pid, 'VmRSS'));
    const accepted0 = acceptedConnections(await scrapeMetrics(metricsAddr));
    const rssByConnections: [number, number][] = [[0, idleRssMiB]];
    let nextShown = Date.now() + 1000;
    const cpu = startCpuWindow(agent.proc.pid);
    const run = await runCounted({
      port: nginx.port,
      path: `/${nginx.fileName}`,
      count: c.churn,
      connections: c.churnConnections,
      close: true,
      before,
      onPoll: (served) => {
        rssByConnections.push([served, kibToMiB(statusKiB(agent.proc.pid, 'VmRSS'))]);
        if (Date.now() < nextShown) return;
        nextShown += 1000;
        process.stdout.write(`\r  ${int(served)} of ${int(c.churn)} connections, agent RSS ${fix(rssByConnections.at(-1)![1], 1)} MiB   `);
      },
    });
    const durationS = run.activeS;
    cpu.loadDone();
    await waitForSink(reader, (await servedNow(nginx.port)) - before);
    const window = cpu.processDone();
    const endRssMiB = kibToMiB(statusKiB(agent.proc.pid, 'VmRSS'));
    const peakRssMiB = kibToMiB(statusKiB(agent.proc.pid, 'VmHWM'));
    rssByConnections.push([run.servedByLastPoll, endRssMiB]);
    const m = await scrapeMetrics(metricsAddr);
    const trackedAfter = trackedConnections(m);
    const accepted = acceptedConnections(m) - accepted0;
    const connsMapAfter = connsMapEntries(agent.proc.pid) ?? null;
    const stats = await agent.stop();
    const served = (await servedNow(nginx.port)) - before - 1;
    const mid = rssByConnections.find(([n]) => n >= c.churn / 2) ?? rssByConnections.at(-1)!;
    console.log(`\n  ${int(served)} served in ${fix(durationS, 1)} s, agent RSS ${fix(idleRssMiB, 1)} -> ${fix(mid[1], 1)} (half) -> ${fix(endRssMiB, 1)} MiB`);
    return {
      connections: c.churn,
      wrkConnections: c.churnConnections,
      wrk: run.wrk,
      durationS,
      idleRssMiB,
      midRssMiB: mid[1],
      endRssMiB,
      peakRssMiB,
      rssByConnections,
      connectionsAfterMid: run.servedByLastPoll - mid[0],
      growthBytesPerConnection: ((endRssMiB - mid[1]) * 1024 * 1024) / Math.max(1, run.servedByLastPoll - mid[0]),
      accepted,
      trackedAfter,
      connsMapAfter,
      ...agentShares(window, reader.total()),
      loss: lossAccount(served, reader.total(), stats),
      stats,
    };
  } finally {
    await agent.proc.kill('SIGKILL');
    await reader.close();
  }
}

/** Sockets the agent saw accepted (accept + accept4 exits on /metrics). */
function acceptedConnections(m: ReadonlyMap<string, number>): number {
  return (m.get('socktap_probe_exits_total{probe="accept"}') ?? 0) + (m.get('socktap_probe_exits_total{probe="accept4"}') ?? 0);
}

// ---------------------------------------------------------------------------------------------
// bodies: 1 KiB, 64 KiB, 1 MiB through nginx's user memory.

export interface BodyResult {
  readonly bodyBytes: number;
  readonly path: string;
  readonly requests: number;
  readonly wrk: WrkResult;
  /** Seconds of load: from wrk's start to the last poll that saw its requests. */
  readonly durationS: number;
  /** Records for the body's path, those with the right response body_size, and those truncated. */
  readonly records: number;
  readonly bodySizeCorrect: number;
  readonly truncated: number;
  readonly incomplete: number;
  /** Truncation the agent must apply: the body is larger than max_body_bytes. */
  readonly expectTruncated: boolean;
  readonly rssMiB: number;
  readonly peakRssMiB: number;
  readonly agentCpuUsPerExchange: number;
  /** The agent's CPU over the wall time from wrk's start until the sink drained. */
  readonly agentCoreShare: number;
  readonly machineBusy: number;
  readonly loss: LossAccount;
  readonly stats: Record<string, number>;
}

/** The agent's CPU per exchange that reached the sink, its share of a core, and the machine's busy share. */
function agentShares(w: CpuWindow, exchanges: number): { agentCpuUsPerExchange: number; agentCoreShare: number; machineBusy: number } {
  return { agentCpuUsPerExchange: w.processCpuUs / Math.max(1, exchanges), agentCoreShare: w.processCpuUs / w.wallUs, machineBusy: w.machineBusy };
}

async function runBody(c: ScaleConfig, nginx: Nginx, worker: number, bodyBytes: number): Promise<BodyResult> {
  const target = `/bodies/${sizeName(bodyBytes)}.json`;
  const socket = path.join(os.tmpdir(), `socktap-bench-scale-body-${process.pid}.sock`);
  const metricsAddr = `127.0.0.1:${await freePort()}`;
  const reader = await startRecordReader(socket);
  const before = await servedNow(nginx.port);
  const agent = await startAgent(worker, socket, metricsAddr);
  try {
    const cpu = startCpuWindow(agent.proc.pid);
    const run = await runCounted({ port: nginx.port, path: target, count: c.requests, connections: c.bodyConnections, close: false, before });
    const durationS = run.activeS;
    cpu.loadDone();
    await waitForSink(reader, (await servedNow(nginx.port)) - before);
    const window = cpu.processDone();
    const rssMiB = kibToMiB(statusKiB(agent.proc.pid, 'VmRSS'));
    const peakRssMiB = kibToMiB(statusKiB(agent.proc.pid, 'VmHWM'));
    const stats = await agent.stop();
    const served = (await servedNow(nginx.port)) - before - 1;
    const t = reader.byTarget().get(target);
    return {
      bodyBytes,
      path: target,
      requests: c.requests,
      wrk: run.wrk,
      durationS,
      records: t?.records ?? 0,
      bodySizeCorrect: t?.bodySizes.get(bodyBytes) ?? 0,
      truncated: t?.truncated ?? 0,
      incomplete: t?.incomplete ?? 0,
      expectTruncated: bodyBytes > MAX_BODY_BYTES,
      rssMiB,
      peakRssMiB,
      ...agentShares(window, reader.total()),
      loss: lossAccount(served, reader.total(), stats),
      stats,
    };
  } finally {
    await agent.proc.kill('SIGKILL');
    await reader.close();
  }
}

// ---------------------------------------------------------------------------------------------
// Verdicts and report.

export interface ScaleResults {
  readonly connections?: ConnectionsResult;
  readonly churn?: ChurnResult;
  readonly bodies?: readonly BodyResult[];
}

/** Steady RSS against the 150 MB target, in the target's unit. */
export function rssVerdict(rssMiB: number, connections: number): string {
  const mb = (rssMiB * 1024 * 1024) / 1e6;
  const met = mb <= TARGET_RSS_MB;
  return `agent RSS ${fix(rssMiB, 1)} MiB (${fix(mb, 1)} MB) steady with ${int(connections)} open connections ${met ? 'meets' : 'misses'} the ${TARGET_RSS_MB} MB target`;
}

/**
 * Whether RSS grew with the connections made: over the run's second half, more than
 * GROWTH_BYTES_PER_CONNECTION per connection and more than GC noise (GROWTH_NOISE_MIB).
 */
export function boundedVerdict(midRssMiB: number, endRssMiB: number, connectionsBetween: number): { bounded: boolean; text: string } {
  const growthMiB = endRssMiB - midRssMiB;
  const perConn = (growthMiB * 1024 * 1024) / Math.max(1, connectionsBetween);
  const bounded = growthMiB <= GROWTH_NOISE_MIB || perConn <= GROWTH_BYTES_PER_CONNECTION;
  const sign = growthMiB >= 0 ? '+' : '';
  return {
    bounded,
    text: `RSS ${bounded ? 'bounded' : 'grows with the connections'}: ${sign}${fix(growthMiB, 1)} MiB over the last ${int(connectionsBetween)} connections (${sign}${fix(perConn, 1)} B each; bounded below ${GROWTH_BYTES_PER_CONNECTION} B each or ${GROWTH_NOISE_MIB} MiB in all)`,
  };
}

export function bodyVerdict(b: Pick<BodyResult, 'bodyBytes' | 'records' | 'bodySizeCorrect' | 'truncated' | 'incomplete' | 'expectTruncated'>): string {
  const sizes = b.bodySizeCorrect === b.records ? `body_size ${int(b.bodyBytes)} in all ${int(b.records)} records` : `body_size ${int(b.bodyBytes)} in ${int(b.bodySizeCorrect)} of ${int(b.records)} records`;
  const want = b.expectTruncated ? b.records - b.incomplete : 0;
  const trunc =
    b.truncated === want
      ? b.expectTruncated
        ? `truncated to ${int(MAX_BODY_BYTES)} B as configured`
        : 'none truncated'
      : `${int(b.truncated)} truncated, expected ${int(want)}`;
  return `${sizeLabel(b.bodyBytes)}: ${sizes}, ${trunc}`;
}

export function scaleVerdicts(r: ScaleResults): string[] {
  const out: string[] = [];
  if (r.connections) {
    const x = r.connections;
    out.push(`connections: ${rssVerdict(x.steadyRssMiB, x.opened)}`);
    if (x.failed > 0 || x.closedByServer > 0) out.push(`connections: ${int(x.failed)} failed to open, ${int(x.closedByServer)} closed by nginx during the hold`);
    out.push(`connections: ${lossVerdict(x.loss, x.stats)}`);
  }
  if (r.churn) {
    const x = r.churn;
    out.push(`churn: ${boundedVerdict(x.midRssMiB, x.endRssMiB, x.connectionsAfterMid).text}`);
    out.push(`churn: connection table after ${int(x.accepted)} accepted: ${int(x.trackedAfter)} tracked${x.connsMapAfter === null ? '' : `, ${int(x.connsMapAfter)} kernel entries`}`);
    out.push(`churn: ${lossVerdict(x.loss, x.stats)}`);
  }
  for (const b of r.bodies ?? []) {
    out.push(`bodies ${bodyVerdict(b)}; ${lossVerdict(b.loss, b.stats)}`);
  }
  return out;
}

const mib = (v: number) => fix(v, 1);
const orDash = (v: number | null) => (v === null || Number.isNaN(v) ? '-' : int(v));

function connectionsRows(x: ConnectionsResult): string[][] {
  return [
    ['connections open (failed)', `${int(x.opened)} (${int(x.failed)})`],
    ['ramp, s', fix(x.rampS, 1)],
    ['agent RSS idle, MiB', mib(x.idleRssMiB)],
    ['agent RSS steady (end of hold), MiB', mib(x.steadyRssMiB)],
    ['agent RSS over the hold min - max, MiB', `${mib(x.holdRssMinMiB)} - ${mib(x.holdRssMaxMiB)}`],
    ['agent RSS peak (VmHWM), MiB', mib(x.peakRssMiB)],
    ['RSS per open connection, bytes', int(x.rssBytesPerConnection)],
    ['tracked connections (accepted - closed), held / after close', `${orDash(x.trackedAtHold)} / ${orDash(x.trackedAfterClose)}`],
    ['kernel connection table entries, held / after close', `${orDash(x.connsMapAtHold)} / ${orDash(x.connsMapAfterClose)}`],
    ['exchanges during the hold', int(x.holdExchanges)],
    ['agent CPU µs / exchange (hold)', fix(x.holdAgentCpuUsPerExchange)],
    ['agent CPU, share of one core (hold)', pct(x.holdAgentCoreShare)],
    ['served / at sink / missing', `${int(x.loss.served)} / ${int(x.loss.atSink)} / ${int(x.loss.missing)}`],
  ];
}

function churnRows(x: ChurnResult): string[][] {
  return [
    ['connections (one request each)', `${int(x.loss.served)} served in ${fix(x.durationS, 1)} s (${int(x.loss.served / x.durationS)}/s)`],
    ['agent RSS idle / at half / end, MiB', `${mib(x.idleRssMiB)} / ${mib(x.midRssMiB)} / ${mib(x.endRssMiB)}`],
    ['agent RSS peak (VmHWM), MiB', mib(x.peakRssMiB)],
    ['RSS growth per connection, second half, bytes', fix(x.growthBytesPerConnection, 1)],
    ['accepted (agent) / tracked after / kernel table after', `${int(x.accepted)} / ${orDash(x.trackedAfter)} / ${orDash(x.connsMapAfter)}`],
    ['agent CPU µs / exchange', fix(x.agentCpuUsPerExchange)],
    ['agent CPU, share of one core', pct(x.agentCoreShare)],
    ['machine busy', pct(x.machineBusy)],
    ['served / at sink / missing', `${int(x.loss.served)} / ${int(x.loss.atSink)} / ${int(x.loss.missing)}`],
  ];
}

const BODY_HEADER = ['body', 'served', 'at sink', 'missing', 'body_size right', 'truncated', 'MB/s', 'agent µs/exchange', 'agent core', 'RSS MiB (peak)', 'machine busy', 'EventLost', 'dropped'];

function bodyRows(bodies: readonly BodyResult[]): string[][] {
  return bodies.map((b) => [
    sizeLabel(b.bodyBytes),
    int(b.loss.served),
    int(b.loss.atSink),
    int(b.loss.missing),
    `${int(b.bodySizeCorrect)} / ${int(b.records)}`,
    int(b.truncated),
    fix(b.wrk.bytesRead / b.durationS / 1e6, 0),
    fix(b.agentCpuUsPerExchange),
    pct(b.agentCoreShare),
    `${mib(b.rssMiB)} (${mib(b.peakRssMiB)})`,
    pct(b.machineBusy),
    int(b.stats.EventLost ?? 0),
    int((b.stats.TotalEventsDroppedAtEventQueueLimit ?? 0) + (b.stats.TotalEventsDroppedAtParsing ?? 0)),
  ]);
}

function counterLine(stats: Readonly<Record<string, number>>): string {
  return Object.entries(stats)
    .map(([k, v]) => `${k} ${int(v)}`)
    .join(', ');
}

/** Agent RSS per scenario (steady or end as the bar, the run's lowest and peak as the whisker), against 150 MB. */
export function rssChart(r: ScaleResults): string {
  const bars: ChartBar[] = [];
  if (r.connections) bars.push({ label: `${int(r.connections.connections)} connections`, min: r.connections.holdRssMinMiB, median: r.connections.steadyRssMiB, max: r.connections.peakRssMiB });
  if (r.churn) bars.push({ label: `${int(r.churn.connections)} short conns`, min: r.churn.idleRssMiB, median: r.churn.endRssMiB, max: r.churn.peakRssMiB });
  for (const b of r.bodies ?? []) bars.push({ label: `bodies ${sizeLabel(b.bodyBytes)}`, min: b.rssMiB, median: b.rssMiB, max: b.peakRssMiB });
  const targetMiB = (TARGET_RSS_MB * 1e6) / (1024 * 1024);
  const top = Math.max(targetMiB, ...bars.map((b) => b.max));
  return ratioChartSvg(bars, {
    title: 'socktap RSS by scenario (bar: steady or end; whisker: lowest to peak)',
    axisLabel: 'agent RSS, MiB',
    axisMax: Math.ceil(top / 100) * 100,
    tickStep: 100,
    target: { value: targetMiB, label: `target ${TARGET_RSS_MB} MB (10k conns)` },
    format: (v) => `${v.toFixed(0)} MiB`,
    tickFormat: (v) => v.toFixed(0),
  });
}

function markdown(c: ScaleConfig, m: MachineFacts, r: ScaleResults, image: string): string {
  const parts = [
    `## Scale: 10k connections, churn, large bodies

nginx (1 worker, access log off; \`worker_connections\` and the open-files limit raised for the held connections)
with \`socktap run --pid <worker> --format none --uds <socket> --max-body-bytes ${MAX_BODY_BYTES} --metrics-addr <addr>\` in its own
process, a fresh agent per scenario, exporting to a reader in the harness that tallies every record (request target, response
\`body_size\` and \`body_truncated\`) and discards it. Loss accounting compares the records at the sink with nginx's own request count
(\`stub_status\`, read on a new connection each time so the agent captures those exchanges whole, and counted on both sides),
with the agent's final stats line for any difference. RSS is the agent's VmRSS (VmHWM: its peak) from /proc; agent CPU is its
user + system time from /proc, per exchange at the sink and as a share of one core over the load until the sink drained (for
the held connections: over the hold). Target (DESIGN.md §4): agent RSS steady with 10k open connections <= ${TARGET_RSS_MB} MB (10^6 bytes),
nothing lost below saturation and every loss above it counted.

**Result:**

${scaleVerdicts(r).map((v) => `- ${v}`).join('\n')}

${image}`,
  ];
  if (r.connections) {
    const x = r.connections;
    parts.push(`### ${int(x.connections)} keep-alive connections

A client in the harness opens ${int(x.connections)} connections (at most ${RAMP_PENDING} connecting at once), each sending one GET of the
${int(x.bodyBytes)}-byte JSON file when connected and then one every ${int(x.intervalMs)} ms (spread evenly: about ${int((x.connections * 1000) / x.intervalMs)} requests/s).
Once all are open and have had their first answer, they are held ${x.holdS} s; RSS is read every second and at the end. The agent has no
gauge of its connection table: "tracked" is its probe counters' accepted minus closed sockets from /metrics, "kernel table" the
entries of its \`conns\` BPF map (bpftool).

${markdownTable(['measure', 'value'], connectionsRows(x))}

Agent counters: ${counterLine(x.stats)}.`);
  }
  if (r.churn) {
    const x = r.churn;
    parts.push(`### ${int(x.connections)} short connections

\`wrk -t1 -c${x.wrkConnections} -s bench/lua/count.lua\` with \`Connection: close\`: one request per connection, wrk reconnecting after
each answer, until ${int(x.connections)} answers (nginx serves the few requests in flight when wrk stops as well; they are counted).
RSS is read 4 times a second against the connections made so far; "bounded" compares the end with the point where half were made.
"Accepted" is every connection the agent saw accepted: the status reads, and the few wrk opened but did not use when it stopped, included.

${markdownTable(['measure', 'value'], churnRows(x))}

Agent counters: ${counterLine(x.stats)}.`);
  }
  if (r.bodies && r.bodies.length > 0) {
    parts.push(`### Bodies of 1 KiB, 64 KiB, 1 MiB

nginx serves JSON files of each size from a location with \`sendfile off\`, so every body passes through its user memory and
the syscalls the agent traces. Per size, \`wrk -t1 -c${c.bodyConnections} -s bench/lua/count.lua\` (keep-alive, as fast as it goes: this is
saturation, not a paced load) makes ${int(c.requests)} requests. Each record's response must say the file's size in \`body_size\` and, with
\`max_body_bytes\` ${int(MAX_BODY_BYTES)}, \`body_truncated: true\` only for the 1 MiB body.

${markdownTable(BODY_HEADER, bodyRows(r.bodies))}

${r.bodies.map((b) => `${sizeLabel(b.bodyBytes)}: ${counterLine(b.stats)}.`).join('\n')}`);
  }
  parts.push(`Machine: kernel \`${m.kernel}\`, ${m.cpuModel}, nproc ${m.nproc}, ${m.memGiB} GiB, node ${m.node}, ${m.nginx}, ${m.wrk}; run ${m.date}.

Rerun: \`${rerunCommand(c)}\` (JSON: \`${path.relative(packageRoot(), c.out)}\`).`);
  return parts.join('\n\n');
}

function printResults(r: ScaleResults): void {
  if (r.connections) console.log(`\nconnections\n${textTable(['measure', 'value'], connectionsRows(r.connections))}`);
  if (r.churn) console.log(`\nchurn\n${textTable(['measure', 'value'], churnRows(r.churn))}`);
  if (r.bodies) console.log(`\nbodies\n${textTable(BODY_HEADER, bodyRows(r.bodies))}`);
  console.log(`\n${scaleVerdicts(r).join('\n')}`);
}

async function main(): Promise<void> {
  const root = packageRoot();
  const c = parseScaleConfig(process.argv.slice(2), root);
  if (!c) {
    console.log(USAGE);
    return;
  }
  checkRoot();
  checkTools();
  // nginx's master, started next, inherits the limit: its worker then needs no worker_rlimit_nofile.
  if (c.scenarios.includes('connections')) ensureNofile(Math.max(c.connections + 512, nginxNofile(c.connections)), `--connections ${c.connections}`);
  const machine = machineFacts();
  const files: Record<string, Buffer> = {};
  for (const size of BODY_SIZES) files[`bodies/${sizeName(size)}.json`] = paddedJson(size);
  const nginx = await startNginx({ files, serverConfig: 'location /bodies/ { sendfile off; }' });
  try {
    const worker = c.scenarios.includes('connections') ? await raiseNginxConnections(nginx, c.connections) : nginx.workerPid;
    console.log(`nginx worker ${worker} on port ${nginx.port}; scenarios: ${c.scenarios.join(', ')}`);
    const r: { connections?: ConnectionsResult; churn?: ChurnResult; bodies?: BodyResult[] } = {};
    if (c.scenarios.includes('connections')) {
      console.log(`connections: opening ${int(c.connections)} keep-alive connections`);
      r.connections = await runConnections(c, nginx, worker);
      console.log(`  ${lossVerdict(r.connections.loss, r.connections.stats)}`);
    }
    if (c.scenarios.includes('churn')) {
      console.log(`churn: ${int(c.churn)} connections with Connection: close`);
      r.churn = await runChurn(c, nginx, worker);
      console.log(`  ${lossVerdict(r.churn.loss, r.churn.stats)}`);
    }
    if (c.scenarios.includes('bodies')) {
      r.bodies = [];
      for (const size of BODY_SIZES) {
        console.log(`bodies: ${int(c.requests)} requests of ${sizeLabel(size)}`);
        const b = await runBody(c, nginx, worker, size);
        r.bodies.push(b);
        console.log(`  ${fix(b.durationS, 1)} s; ${bodyVerdict(b)}; ${lossVerdict(b.loss, b.stats)}; agent ${fix(b.agentCpuUsPerExchange)} µs/exchange, RSS ${mib(b.rssMiB)} MiB`);
      }
    }
    printResults(r);
    writeJson(c.out, { benchmark: SECTION, command: rerunCommand(c), machine, config: { ...c, maxBodyBytes: MAX_BODY_BYTES, targetRssMB: TARGET_RSS_MB }, results: r, verdicts: scaleVerdicts(r) });
    const image = writeChart(c.out, c.docs, rssChart(r), 'agent RSS by scenario');
    writeSection(c.docs, DOCS_TITLE, SECTION, markdown(c, machine, r, image));
    console.log(`wrote ${path.relative(process.cwd(), c.out)} and the ${SECTION} section of ${path.relative(process.cwd(), c.docs)}`);
  } finally {
    await nginx.stop();
  }
}

if (require.main === module) benchmarkMain(main, USAGE);
