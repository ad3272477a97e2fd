/**
 * `socktap capture`: the raw byte streams of chosen processes, per connection and direction, in
 * stream order. The engine's view without HTTP parsing: for checking what the kernel side sees.
 */
import { parse, positiveNumber, targetsFromFlags } from '../args';
import { StreamView } from '../stream-view';
import { untilStopped } from '../shutdown';
import { Tracer } from '../../capture/tracer';
import type { CaptureEvent } from '../../capture/events';

export const captureHelp = `Usage: socktap capture (--pid PID... | --all) [--duration SECONDS] [--json]

Captures the TCP byte streams of the given processes and prints them in stream order.

  --pid PID        process to capture (repeatable, or comma-separated)
  --all            every process on the host except socktap itself
  --duration S     stop after S seconds (default: until Ctrl-C)
  --json           one JSON object per event on stdout (payload in base64)

Logs and the final counters go to stderr.`;

function jsonEvent(ev: CaptureEvent): string {
  const conn = ev.conn.key;
  if (ev.kind === 'open') {
    return JSON.stringify({ kind: 'open', conn, role: ev.role, source: ev.source, family: ev.family, local: ev.local, remote: ev.remote, comm: ev.comm, ts_ns: String(ev.tsNs) });
  }
  if (ev.kind === 'close') {
    return JSON.stringify({ kind: 'close', conn, ingress_bytes: Number(ev.ingressBytes), egress_bytes: Number(ev.egressBytes), ts_ns: String(ev.tsNs) });
  }
  return JSON.stringify({
    kind: 'data', conn, direction: ev.direction, syscall: ev.syscall, pos: ev.pos, len: ev.len,
    payload: ev.payload.toString('base64'), no_payload: ev.noPayload, truncated: ev.truncated,
    ts_ns: String(ev.tsNs),
  });
}

export async function captureCommand(argv: string[]): Promise<number> {
  const { values } = parse(
    argv,
    {
      pid: { type: 'string', multiple: true },
      all: { type: 'boolean' },
      duration: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    'capture',
  );
  if (values.help) {
    process.stdout.write(captureHelp + '\n');
    return 0;
  }
  const targets = targetsFromFlags(values);
  const duration = positiveNumber('duration', values.duration);
  const tracer = new Tracer({ targets }).start();
  const view = new StreamView((line) => process.stdout.write(line + '\n'));
  tracer.on('batch', (events) => {
    for (const ev of events) {
      if (values.json) process.stdout.write(jsonEvent(ev) + '\n');
      else view.add(ev);
    }
  });
  process.stderr.write(`socktap: capturing ${targets.all ? 'all processes' : `pid ${targets.pids.join(', ')}`}${duration ? ` for ${duration} s` : ''} (Ctrl-C to stop)\n`);
  await untilStopped(duration);
  const stats = await tracer.stop();
  process.stderr.write(
    `socktap: ${stats.connsOpened} connections, ${stats.dataEvents} data events, lost ${stats.lostEvents} events (${stats.lostBytes} B), ` +
      `hand-off drops ${stats.handoffDroppedRecords}\n`,
  );
  return 0;
}
