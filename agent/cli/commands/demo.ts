/**
 * `socktap demo`: a JSON API server and a client generating traffic on loopback, both captured,
 * their HTTP exchanges shown live, then a summary. Needs root (or BPF capabilities) like the agent itself.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse, positiveNumber } from '../args';
import { untilStopped } from '../shutdown';
import { parseConfig } from '../../config/schema';
import { createLogger } from '../../log/logger';
import { toJsonLine, type ExchangeRecord } from '../../pipeline';
import { AgentRuntime } from '../../runtime/agent-runtime';
import { PRETTY_HEADER, prettyLine } from '../../sinks/pretty-line';
import { headerValue } from '../../sinks/exchange-url';
import { selfSignedCertificate, type CertificateFiles } from '../../util/self-signed-cert';

export const demoHelp = `Usage: socktap demo [--duration SECONDS] [--quiet] [--json]

Starts a small JSON API server and a client calling it on 127.0.0.1, over HTTP and, every other
round, over HTTPS (a throwaway self-signed certificate; the plaintext comes from uprobes on the
OpenSSL built into node), captures both with eBPF (the server's side as ingress, the client's as
egress), shows each HTTP exchange live as it is parsed, and a summary at the end.

  --duration S   how long the traffic runs (default 6)
  --json         exchange records as JSON lines instead of the table
  --quiet        only the summary`;

/** Child scripts run the same way this process runs (compiled JS, or TypeScript through tsx). */
function script(name: string): string[] {
  return [...process.execArgv, path.join(__dirname, '..', '..', 'demo', name + path.extname(__filename))];
}

function readLine(child: ChildProcess, prefix: string, timeoutMs = 10000): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error(`demo: no '${prefix}' from pid ${child.pid} within ${timeoutMs} ms`)), timeoutMs);
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      const line = buf.split('\n').find((l) => l.startsWith(prefix));
      if (line) {
        clearTimeout(timer);
        resolve(line);
      }
    });
  });
}

/** `200 x12, 201 x6, 404 x2`: counts by key, keys sorted. */
function tally(values: readonly (string | number)[]): string {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(String(v), (counts.get(String(v)) ?? 0) + 1);
  return [...counts].sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, n]) => `${k} x${n}`).join(', ');
}

export async function demoCommand(argv: string[]): Promise<number> {
  const { values } = parse(
    argv,
    { duration: { type: 'string' }, quiet: { type: 'boolean' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    'demo',
  );
  if (values.help) {
    process.stdout.write(demoHelp + '\n');
    return 0;
  }
  const duration = positiveNumber('duration', values.duration) ?? 6;
  const out = (line: string) => process.stdout.write(line + '\n');

  const certDir = fs.mkdtempSync(path.join(os.tmpdir(), 'socktap-demo-'));
  let cert: CertificateFiles | undefined;
  try {
    cert = await selfSignedCertificate(certDir);
  } catch (err) {
    out(`socktap demo: no HTTPS rounds (${(err as Error).message})`);
  }
  const tlsArgs = cert ? ['--tls', cert.certificate, cert.key] : [];
  const server = spawn(process.execPath, [...script('api-server'), ...tlsArgs], { stdio: ['ignore', 'pipe', 'inherit'] });
  const traffic = spawn(process.execPath, script('traffic'), {
    stdio: ['pipe', 'pipe', 'inherit'],
    env: cert ? { ...process.env, NODE_EXTRA_CA_CERTS: cert.certificate } : process.env,
  });
  const children = [server, traffic];
  const cleanup = () => {
    children.forEach((c) => c.exitCode === null && c.kill('SIGKILL'));
    fs.rmSync(certDir, { recursive: true, force: true });
  };
  process.once('exit', cleanup);
  try {
    const ports = (await readLine(server, 'listening ')).split(' ').slice(1).map(Number);
    const port = ports[0]!;
    const tlsPort = ports[1];
    out(`socktap demo: API server pid ${server.pid} on 127.0.0.1:${port}${tlsPort ? ` (HTTPS on ${tlsPort})` : ''}, client pid ${traffic.pid}`);
    const log = createLogger({ level: 'warn' });
    const config = parseConfig({ mode: 'all', stats_interval: '1h' });
    const records: ExchangeRecord[] = [];
    const show = values.quiet ? () => {} : values.json ? (r: ExchangeRecord) => out(toJsonLine(r)) : (r: ExchangeRecord) => out(prettyLine(r));
    const runtime = new AgentRuntime({
      config,
      targets: { pids: [server.pid!, traffic.pid!] },
      sinks: [],
      log,
      onRecord: (r) => {
        records.push(r);
        show(r);
      },
    });
    await runtime.start();
    out(`socktap demo: capturing both with eBPF syscall tracepoints${tlsPort ? ' and OpenSSL uprobes' : ''} for ${duration} s (Ctrl-C to stop)\n`);
    if (!values.quiet && !values.json) out(PRETTY_HEADER);
    // The client learns the port through stdin together with the go signal.
    const clientCount = readLine(traffic, 'requests ', (duration + 15) * 1000);
    traffic.stdin!.write(`${ports.join(' ')}\n`);
    await untilStopped(duration);
    // The client finishes its round, reports how many requests it made and exits.
    traffic.kill('SIGTERM');
    const made = Number((await clientCount.catch(() => 'requests -1')).split(' ')[1]);
    await new Promise((r) => setTimeout(r, 300));
    const { tracer: stats } = await runtime.stop();
    const ingress = records.filter((r) => r.direction === 'ingress');
    const egress = records.filter((r) => r.direction === 'egress');
    const slowest = records.reduce<ExchangeRecord | undefined>((a, r) => (a && a.duration_ns >= r.duration_ns ? a : r), undefined);
    out('');
    out('socktap demo: summary');
    out(`  exchanges        ${ingress.length} served by the API server (ingress), ${egress.length} made by the client (egress); the client counted ${made} requests`);
    out(`  by status        ${tally(ingress.map((r) => r.response?.status ?? 'none'))}`);
    out(`  by endpoint      ${tally(ingress.map((r) => `${r.request.method} ${r.request.target.replace(/\/\d+$/, '/{id}')}`))}`);
    if (slowest) out(`  slowest          ${slowest.request.method} ${slowest.request.target} ${(slowest.duration_ns / 1e6).toFixed(2)} ms (${slowest.direction})`);
    out(`  over TLS         ${records.filter((r) => r.tls).length} of ${records.length} exchanges (plaintext from SSL_read/SSL_write in node)`);
    out(`  redacted         Authorization on ${records.filter((r) => headerValue(r.request.headers, 'authorization') === '[REDACTED]').length} requests`);
    out(`  data events      ${stats.dataEvents}, lost ${stats.lostEvents} events, ${stats.handoffDroppedRecords} hand-off drops`);
    const probes = Object.entries(stats.probes).filter(([, [e]]) => e > 0).map(([n, [e, x]]) => `${n} ${e}/${x}`);
    out(`  probes (entry/exit)  ${probes.join(', ')}`);
    return ingress.length > 0 && ingress.length === made && egress.length === made ? 0 : 1;
  } finally {
    cleanup();
  }
}
