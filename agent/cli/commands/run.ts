/**
 * `socktap run`: capture the chosen processes and write their HTTP exchanges. stdout carries only
 * exchange records (`--format jsonl`: exactly DESIGN's record, one per line); logs and the final
 * stats lines go to stderr.
 */
import { parse, positiveNumber, targetsFromFlags } from '../args';
import { untilStopped } from '../shutdown';
import { Tracer } from '../../capture/tracer';
import { ExchangeAssembler, toJsonLine } from '../../pipeline';
import type { ExchangeRecord } from '../../pipeline';
import { createLogger } from '../../log/logger';
import { logStats } from '../../log/stats-line';
import { SocktapError } from '../../util/errors';

export const runHelp = `Usage: socktap run (--pid PID... | --all) [options]

Captures the HTTP/1.x exchanges of the chosen processes and writes them to stdout.

  --pid PID            process to capture (repeatable, or comma-separated)
  --all                every process on the host except socktap itself
  --mode MODE          ingress (default): exchanges the processes served;
                       egress: calls they made; all: both
  --format FORMAT      jsonl (default): one exchange record per line, nothing else on stdout;
                       pretty: one readable line per exchange
  --max-body-bytes N   body bytes kept per message (default 65536)
  --duration S         stop after S seconds (default: until Ctrl-C)
  --log-format FORMAT  text (default) or json, for the lines on stderr

Authorization, Cookie, Set-Cookie, X-Api-Key and similar header values are redacted.
Ctrl-C or SIGTERM stops cleanly and prints the final stats lines on stderr.`;

const MODES = ['ingress', 'egress', 'all'] as const;
const FORMATS = ['jsonl', 'pretty'] as const;

function oneOf<T extends string>(flag: string, value: string | undefined, allowed: readonly T[], def: T): T {
  if (value === undefined) return def;
  if (!(allowed as readonly string[]).includes(value)) {
    throw new SocktapError('SOCKTAP_USAGE', `--${flag} must be one of ${allowed.join(', ')}, got '${value}'`);
  }
  return value as T;
}

/** One readable line: when, what, answer, how long, who. */
export function prettyLine(r: ExchangeRecord): string {
  const status = r.response ? `${r.response.status} ${r.response.reason}` : `(no response: ${r.incomplete ?? 'incomplete'})`;
  const ms = (r.duration_ns / 1e6).toFixed(1);
  const peer = `${r.connection.remote.ip}:${r.connection.remote.port}`;
  return `${r.ts.slice(11, 23)}  ${r.direction === 'ingress' ? '<-' : '->'} ${r.request.method} ${r.request.target} -> ${status}  ${ms} ms  ${r.process.comm}[${r.process.pid}] ${r.direction === 'ingress' ? 'from' : 'to'} ${peer}`;
}

export async function runCommand(argv: string[]): Promise<number> {
  const { values } = parse(
    argv,
    {
      pid: { type: 'string', multiple: true },
      all: { type: 'boolean' },
      mode: { type: 'string' },
      format: { type: 'string' },
      'max-body-bytes': { type: 'string' },
      duration: { type: 'string' },
      'log-format': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    'run',
  );
  if (values.help) {
    process.stdout.write(runHelp + '\n');
    return 0;
  }
  const targets = targetsFromFlags(values);
  const mode = oneOf('mode', values.mode, MODES, 'ingress');
  const format = oneOf('format', values.format, FORMATS, 'jsonl');
  const logFormat = oneOf('log-format', values['log-format'], ['text', 'json'] as const, 'text');
  const maxBodyBytes = positiveNumber('max-body-bytes', values['max-body-bytes']);
  if (maxBodyBytes !== undefined && !Number.isInteger(maxBodyBytes)) {
    throw new SocktapError('SOCKTAP_USAGE', `--max-body-bytes must be a whole number, got '${values['max-body-bytes']}'`);
  }
  const duration = positiveNumber('duration', values.duration);
  const log = createLogger({ format: logFormat });

  const tracer = new Tracer({ targets }).start();
  let written = 0;
  const assembler = new ExchangeAssembler({ clock: tracer.clock, mode, maxBodyBytes }, (record) => {
    process.stdout.write((format === 'jsonl' ? toJsonLine(record) : prettyLine(record)) + '\n');
    written++;
  });
  tracer.on('batch', (events) => {
    for (const ev of events) assembler.add(ev);
  });
  // Idle connections give up their pending requests as incomplete ('timeout').
  const expiry = setInterval(() => assembler.expire(process.hrtime.bigint()), 1000);
  log.info(`capturing ${targets.all ? 'all processes' : `pid ${targets.pids.join(', ')}`} (mode ${mode}, format ${format})`);
  await untilStopped(duration);
  clearInterval(expiry);
  const stats = await tracer.stop();
  const a = assembler.stats;
  logStats(
    log,
    {
      ControlEventReceived: stats.openEvents + stats.closeEvents,
      DataEventReceived: stats.dataEvents,
      TotalRequestsParsed: a.exchanges,
      ReqParsingErrors: a.requestParseErrors,
      ResParsingErrors: a.responseParseErrors,
      EventLost: stats.lostEvents,
      TotalRequestsSent: written,
      TotalEventsDroppedAtEventQueueLimit: stats.handoffDroppedRecords,
      TotalEventsDroppedAtParsing: a.orphanEvents,
    },
    stats.probes,
  );
  return 0;
}
