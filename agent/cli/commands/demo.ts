/**
 * `socktap demo`: a JSON API server and a client generating traffic on loopback, both captured,
 * shown live, then a summary. Needs root (or BPF capabilities) like the agent itself.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { parse, positiveNumber } from '../args';
import { StreamView } from '../stream-view';
import { untilStopped } from '../shutdown';
import { Tracer } from '../../capture/tracer';

export const demoHelp = `Usage: socktap demo [--duration SECONDS] [--quiet]

Starts a small JSON API server and a client calling it on 127.0.0.1, captures both with eBPF,
prints the captured streams live and a summary at the end.

  --duration S   how long the traffic runs (default 6)
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

export async function demoCommand(argv: string[]): Promise<number> {
  const { values } = parse(
    argv,
    { duration: { type: 'string' }, quiet: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    'demo',
  );
  if (values.help) {
    process.stdout.write(demoHelp + '\n');
    return 0;
  }
  const duration = positiveNumber('duration', values.duration) ?? 6;
  const out = (line: string) => process.stdout.write(line + '\n');

  const server = spawn(process.execPath, script('api-server'), { stdio: ['ignore', 'pipe', 'inherit'] });
  const traffic = spawn(process.execPath, script('traffic'), { stdio: ['pipe', 'ignore', 'inherit'] });
  const children = [server, traffic];
  const cleanup = () => children.forEach((c) => c.exitCode === null && c.kill('SIGKILL'));
  process.once('exit', cleanup);
  try {
    const port = Number((await readLine(server, 'listening ')).split(' ')[1]);
    out(`socktap demo: API server pid ${server.pid} on 127.0.0.1:${port}, client pid ${traffic.pid}`);
    const tracer = new Tracer({ targets: { pids: [server.pid!, traffic.pid!] } }).start();
    out(`socktap demo: capturing both with eBPF syscall tracepoints for ${duration} s (Ctrl-C to stop)\n`);
    const view = new StreamView(values.quiet ? () => {} : out);
    tracer.on('batch', (events) => events.forEach((e) => view.add(e)));
    // The client learns the port through stdin together with the go signal.
    traffic.stdin!.write(`${port}\n`);
    await untilStopped(duration);
    // The client finishes its round and exits; the server then closes its side: wait for both,
    // so the summary includes the closes.
    const clientExited = new Promise((r) => traffic.once('exit', r));
    traffic.kill('SIGTERM');
    await Promise.race([clientExited, new Promise((r) => setTimeout(r, 3000))]);
    await new Promise((r) => setTimeout(r, 200));
    const stats = await tracer.stop();
    const t = view.totals;
    out('');
    out('socktap demo: summary');
    out(`  connections      ${t.connections} seen, ${t.closed} closed`);
    out(`  bytes captured   ${t.bytes.ingress} received, ${t.bytes.egress} sent (by the two processes)`);
    out(`  data events      ${stats.dataEvents}`);
    out(`  lost             ${stats.lostEvents} events, ${stats.handoffDroppedRecords} hand-off drops`);
    const probes = Object.entries(stats.probes).filter(([, [e]]) => e > 0).map(([n, [e, x]]) => `${n} ${e}/${x}`);
    out(`  probes (entry/exit)  ${probes.join(', ')}`);
    return stats.dataEvents > 0 ? 0 : 1;
  } finally {
    cleanup();
  }
}
