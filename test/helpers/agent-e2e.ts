/**
 * Shared by the end-to-end tests that run the built `socktap run` against real servers and
 * clients: the agent process (records on stdout, the final stats line), what a record must say
 * of a body or a head a client saw, the per-server exchange check, and gated curl runs.
 */
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fixtures, freePort, run, start, tempDir, type Proc } from './procs';
import { waitLine } from './fixtures';
import type { ExchangeRecord, RequestRecord, ResponseRecord } from '../../agent/pipeline/record';

const bin = path.join(__dirname, '..', '..', 'bin', 'socktap.js');
export const DEFAULT_MAX_BODY = 65_536;
export const RECORD_KEYS = ['ts', 'duration_ns', 'direction', 'tls', 'process', 'connection', 'request', 'response'];

// ---------------------------------------------------------------------------------------------
// the agent

export type Stats = Record<string, number>;

export interface Agent {
  proc: Proc;
  /** Records on stdout so far (complete lines). */
  records(): ExchangeRecord[];
  /** Waits until `n` records are out. */
  waitRecords(n: number, timeoutMs?: number): Promise<void>;
  /** SIGINT; resolves with every record and the final stats line once the agent exited 0. */
  stop(): Promise<{ records: ExchangeRecord[]; stats: Stats }>;
}

export async function until(what: string, pred: () => boolean, timeoutMs: number, detail: () => string = () => ''): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${detail() ? `: ${detail()}` : ''}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export function parseRecords(stdout: string): ExchangeRecord[] {
  return stdout
    .split('\n')
    .filter((l, i, all) => l !== '' && i < all.length - 1) // only complete lines
    .map((l) => JSON.parse(l) as ExchangeRecord);
}

/** The stats lines' counters: `msg="stats {\"ControlEventReceived\":4,...}"` (logfmt-quoted JSON). */
export function statsLines(stderr: string): Stats[] {
  const out: Stats[] = [];
  for (const line of stderr.split('\n')) {
    const m = /msg="stats (\{.*\})"/.exec(line);
    if (m) out.push(JSON.parse(m[1].replace(/\\"/g, '"')) as Stats);
  }
  return out;
}

/** `socktap run ARGS`, ready once it says it is capturing. Stats only at the end (interval 1h). */
export async function startAgent(t: TestContext, args: string[]): Promise<Agent> {
  const proc = start(process.execPath, [bin, 'run', '--stats-interval', '1h', ...args]);
  t.after(() => proc.kill('SIGKILL'));
  let exited = false;
  void proc.exited.then(() => (exited = true));
  await until('the agent to attach', () => exited || /msg="capturing /.test(proc.stderr()), 20_000, () => proc.stderr());
  assert.equal(exited, false, `the agent exited at start: ${proc.stderr()}`);
  return {
    proc,
    records: () => parseRecords(proc.stdout()),
    async waitRecords(n, timeoutMs = 15_000) {
      await until(`${n} records`, () => parseRecords(proc.stdout()).length >= n, timeoutMs, () => `got ${parseRecords(proc.stdout()).length}; stderr: ${proc.stderr()}`);
    },
    async stop() {
      const code = await proc.kill('SIGINT');
      assert.equal(code, 0, `agent exit: ${proc.stderr()}`);
      assert.ok(proc.stdout().endsWith('\n') || proc.stdout() === '', 'stdout ends with a complete line');
      const stats = statsLines(proc.stderr());
      assert.equal(stats.length, 1, `exactly one stats line (the final one): ${proc.stderr()}`);
      assert.match(proc.stderr(), /level=info msg="probe stat \{/);
      return { records: parseRecords(proc.stdout()), stats: stats[0] };
    },
  };
}

/** The final stats line agrees with `n` records delivered to one sink and nothing lost or failed. */
export function assertCleanStats(stats: Stats, n: number): void {
  assert.deepEqual(
    {
      TotalRequestsParsed: stats.TotalRequestsParsed,
      TotalRequestsSent: stats.TotalRequestsSent,
      ReqParsingErrors: stats.ReqParsingErrors,
      ResParsingErrors: stats.ResParsingErrors,
      EventLost: stats.EventLost,
      TotalEventsDroppedAtEventQueueLimit: stats.TotalEventsDroppedAtEventQueueLimit,
    },
    { TotalRequestsParsed: n, TotalRequestsSent: n, ReqParsingErrors: 0, ResParsingErrors: 0, EventLost: 0, TotalEventsDroppedAtEventQueueLimit: 0 },
  );
}

// ---------------------------------------------------------------------------------------------
// expected records

export type Headers = Array<[string, string]>;
export type Body = Pick<RequestRecord, 'body' | 'body_encoding' | 'body_size' | 'body_truncated'>;

/** What the record says of a body of these bytes: utf8 when valid UTF-8, else base64, cut at `max`. */
export function body(bytes: Buffer | string, max = DEFAULT_MAX_BODY): Body {
  const b = Buffer.from(bytes);
  const kept = b.subarray(0, max);
  try {
    return { body: new TextDecoder('utf-8', { fatal: true }).decode(kept), body_encoding: 'utf8', body_size: b.length, body_truncated: b.length > max };
  } catch {
    return { body: kept.toString('base64'), body_encoding: 'base64', body_size: b.length, body_truncated: b.length > max };
  }
}

/** Node's rawHeaders ([k1, v1, k2, v2, ...]) as header pairs. */
export function pairs(raw: string[]): Headers {
  const out: Headers = [];
  for (let i = 0; i < raw.length; i += 2) out.push([raw[i], raw[i + 1]]);
  return out;
}

export interface Head {
  version: string;
  status: number;
  reason: string;
  headers: Headers;
}

/** Response heads as a client saved them (`curl -D`, or the raw bytes): consecutive heads, bodies skipped by the caller. */
export function parseHead(text: string): Head {
  const [statusLine, ...lines] = text.split('\r\n');
  const m = /^HTTP\/(\d\.\d) (\d{3}) ?(.*)$/.exec(statusLine);
  assert.ok(m, `status line ${JSON.stringify(statusLine)}`);
  return {
    version: m[1],
    status: Number(m[2]),
    reason: m[3],
    headers: lines.map((l) => {
      const i = l.indexOf(':');
      return [l.slice(0, i), l.slice(i + 1).trim()] as [string, string];
    }),
  };
}

/** Every head `curl -D FILE` wrote (one per response, interim 1xx heads included). */
export function curlHeads(file: string): Head[] {
  return fs
    .readFileSync(file, 'latin1')
    .split('\r\n\r\n')
    .filter((h) => h !== '')
    .map(parseHead);
}

export function header(h: Headers, name: string): string | undefined {
  return h.find(([k]) => k.toLowerCase() === name.toLowerCase())?.[1];
}

/** Headers the way the record shows them: default-redacted names get `[REDACTED]`. */
export function redacted(h: Headers): Headers {
  const secret = new Set(['authorization', 'proxy-authorization', 'cookie', 'set-cookie', 'x-api-key']);
  return h.map(([k, v]) => [k, secret.has(k.toLowerCase()) ? '[REDACTED]' : v]);
}

export interface Expected {
  request: RequestRecord;
  response: ResponseRecord | null;
  /** The client process (egress side); null when only the server side is captured. */
  clientPid: number | null;
  clientComm: string;
  /** The client's port as the server saw it, when known (the Node fixture logs it). */
  remotePort?: number;
  /** The exchange did not finish: the record says so. */
  incomplete?: 'closed' | 'timeout';
}

export function req(method: string, target: string, headers: Headers, b: Body = body('')): RequestRecord {
  return { method, target, version: '1.1', headers: redacted(headers), ...b };
}

export function res(head: Head, b: Body = body(''), decoded = false): ResponseRecord {
  const r: ResponseRecord = { status: head.status, reason: head.reason, version: head.version, headers: redacted(head.headers), ...b };
  if (decoded) r.content_decoded = true;
  return r;
}

/**
 * The records of one server: for each exchange, in order, exactly one ingress record (the
 * server's side) and, when a client is expected, exactly one egress record (the client's side),
 * equal to `expected` and on matching ports. Returns the [ingress, egress] pairs.
 */
export function assertExchanges(
  records: ExchangeRecord[],
  server: { pid: number; comm: string; port: number; tls?: boolean },
  expected: Expected[],
): Array<[ExchangeRecord, ExchangeRecord | undefined]> {
  const byTs = (a: ExchangeRecord, b: ExchangeRecord) => (a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : 0);
  const ingress = records.filter((r) => r.direction === 'ingress').sort(byTs);
  const egress = records.filter((r) => r.direction === 'egress').sort(byTs);
  const list = (rs: ExchangeRecord[]) => rs.map((r) => `${r.request.method} ${r.request.target} -> ${r.response?.status}`);
  const want = expected.map((e) => `${e.request.method} ${e.request.target} -> ${e.response?.status}`);
  assert.deepEqual(list(ingress), want, 'ingress records: each exchange exactly once, in order');
  assert.deepEqual(list(egress), expected.filter((e) => e.clientPid !== null).map((e) => `${e.request.method} ${e.request.target} -> ${e.response?.status}`), 'egress records: each exchange exactly once, in order');
  const out: Array<[ExchangeRecord, ExchangeRecord | undefined]> = [];
  let j = 0;
  expected.forEach((e, i) => {
    const what = `exchange ${i} (${want[i]})`;
    const s = ingress[i];
    const keys = e.incomplete ? [...RECORD_KEYS, 'incomplete'] : RECORD_KEYS;
    assert.deepEqual(Object.keys(s), keys, `${what}: ingress record keys`);
    assert.equal(s.incomplete, e.incomplete, `${what}: ingress incomplete`);
    assert.equal(s.tls, server.tls ?? false, `${what}: ingress tls`);
    assert.ok(s.duration_ns > 0, `${what}: duration`);
    assert.deepEqual(s.process, { pid: server.pid, comm: server.comm, container_id: null, pod: null, namespace: null, service: null }, `${what}: server process`);
    assert.deepEqual(s.connection.local, { ip: '127.0.0.1', port: server.port }, `${what}: server local endpoint`);
    assert.equal(s.connection.remote.ip, '127.0.0.1');
    if (e.remotePort !== undefined) assert.equal(s.connection.remote.port, e.remotePort, `${what}: server remote port = the client port the server saw`);
    assert.ok(s.connection.id.startsWith(`${server.pid}:`), `${what}: server connection id ${s.connection.id}`);
    assert.deepEqual(s.request, e.request, `${what}: ingress request`);
    assert.deepEqual(s.response, e.response, `${what}: ingress response`);
    if (e.clientPid === null) {
      out.push([s, undefined]);
      return;
    }
    const c = egress[j++];
    assert.deepEqual(Object.keys(c), keys, `${what}: egress record keys`);
    assert.equal(c.incomplete, e.incomplete, `${what}: egress incomplete`);
    assert.equal(c.tls, server.tls ?? false, `${what}: egress tls`);
    assert.deepEqual(c.process, { pid: e.clientPid, comm: e.clientComm, container_id: null, pod: null, namespace: null, service: null }, `${what}: client process`);
    assert.deepEqual(c.connection.remote, { ip: '127.0.0.1', port: server.port }, `${what}: client remote endpoint`);
    assert.deepEqual(c.connection.local, s.connection.remote, `${what}: client local endpoint = server remote endpoint`);
    assert.ok(c.connection.id.startsWith(`${e.clientPid}:`), `${what}: client connection id ${c.connection.id}`);
    assert.deepEqual(c.request, e.request, `${what}: egress request`);
    assert.deepEqual(c.response, e.response, `${what}: egress response`);
    out.push([s, c]);
  });
  assert.equal(j, egress.length);
  return out;
}


let curlVersion: string | undefined;
export async function curlUserAgent(): Promise<string> {
  curlVersion ??= (await run('curl', ['--version'])).stdout.split(' ')[1];
  return `curl/${curlVersion}`;
}

export interface CurlResult {
  pid: number;
  heads: Head[];
  /** What curl wrote to -o (the response bodies, undecoded). */
  out: Buffer;
}

/**
 * curl ARGS URL... with -D and -o into a temp dir, started gated (`sh -c 'read x; exec curl'`): its
 * pid is known, and can be targeted, before it opens a socket. `run` lets it go and writes stdin
 * `input` in pieces.
 */
export function gatedCurl(args: string[], input?: string[]): { pid: number; run(): Promise<CurlResult> } {
  const tmp = tempDir('socktap-curl-');
  const headsFile = path.join(tmp, 'heads');
  const outFile = path.join(tmp, 'out');
  const p = start('sh', ['-c', 'read x; exec "$@"', 'sh', 'curl', '-s', '-S', '-D', headsFile, '-o', outFile, ...args]);
  return {
    pid: p.pid,
    async run() {
      p.child.stdin!.write('go\n');
      for (const piece of input ?? []) {
        await new Promise((r) => setTimeout(r, 50));
        p.child.stdin!.write(piece);
      }
      p.child.stdin!.end();
      assert.equal(await p.exited, 0, `curl ${args.join(' ')}: ${p.stderr()}`);
      return { pid: p.pid, heads: curlHeads(headsFile), out: fs.existsSync(outFile) ? fs.readFileSync(outFile) : Buffer.alloc(0) };
    },
  };
}

/** curl, ungated: for tests that capture the server side only. */
export function curl(args: string[]): Promise<CurlResult> {
  return gatedCurl(args).run();
}

/** The request heads curl sends: Host, User-Agent, Accept, then `extra` in order. */
export async function curlHeaders(port: number, ...extra: Headers): Promise<Headers> {
  return [['Host', `127.0.0.1:${port}`], ['User-Agent', await curlUserAgent()], ['Accept', '*/*'], ...extra];
}

/** test/fixtures/exchanges/api-server.mjs on a free port (`extra`: e.g. `--tls CERT KEY`). */
export interface NodeServer {
  proc: Proc;
  port: number;
  /** The requests it served so far, as Node parsed them. */
  served(): Array<{ method: string; url: string; httpVersion: string; rawHeaders: string[]; bodyBytes: number; remotePort: number }>;
}

export async function startNodeServer(t: TestContext, ...extra: string[]): Promise<NodeServer> {
  const port = await freePort();
  const proc = start(process.execPath, [path.join(fixtures, 'exchanges', 'api-server.mjs'), String(port), '127.0.0.1', ...extra]);
  t.after(() => proc.kill('SIGKILL'));
  await waitLine(proc, 'listening ');
  return {
    proc,
    port,
    served: () =>
      proc
        .stdout()
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l)),
  };
}
