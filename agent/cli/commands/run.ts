/**
 * `socktap run`: capture the chosen processes and deliver their HTTP exchanges to the sinks.
 * By default the records go to stdout (`--format jsonl`: exactly DESIGN's record, one per line,
 * and nothing else); logs and stats lines go to stderr.
 */
import { parse } from '../args';
import { untilStopped } from '../shutdown';
import { loadConfig } from '../../config/load';
import type { AgentConfig, AgentConfigOverrides } from '../../config/schema';
import { describeConfig, describeSystem, readSystemInfo } from '../../config/describe';
import { createLogger, type Logger } from '../../log/logger';
import { AgentRuntime } from '../../runtime/agent-runtime';
import { KubernetesMode } from '../../runtime/kubernetes-mode';
import { createSinks } from '../../sinks/from-config';
import { PRETTY_HEADER } from '../../sinks/pretty-line';
import { SocktapError } from '../../util/errors';
import type { Targets } from '../../capture/tracer';

export const runHelp = `Usage: socktap run (--pid PID | --comm NAME | --port PORT | --all)... [options]

Captures the HTTP/1.x exchanges of the chosen processes and delivers them: to stdout by default,
and to a unix socket, an OTLP collector or a HAR file when asked.

What to capture (repeatable, or comma-separated; a process matching any selector is captured):
  --pid PID              process id
  --comm NAME            process name as in /proc/PID/comm (at most 15 bytes); processes
                         started later are captured from their first call
  --all                  every process on the host except socktap itself
  --port PORT            only connections on this port: with --mode ingress the local port the
                         process accepted on; with --mode egress the remote port it connected to.
                         Without --pid/--comm/--all, every process is considered.
  --mode MODE            ingress (default): exchanges the processes served; egress: calls they
                         made; all: both

Where exchanges go:
  --format FORMAT        stdout: jsonl (default) one exchange record per line and nothing else;
                         pretty: a readable table; none: nothing on stdout
  --uds PATH             also send JSON lines to the unix socket PATH (socktap connects to a
                         listener there and reconnects with backoff)
  --uds-listen           listen on the --uds PATH instead (socket mode 0660); consumers connect
  --otlp URL             also export OTLP/HTTP traces to the collector at URL (e.g.
                         http://127.0.0.1:4318; /v1/traces is appended)
  --har FILE             also write a HAR 1.2 file

Other options:
  --config FILE          YAML config file (keys as in the agent config; flags override it, and
                         SOCKTAP_* environment variables override the file)
  --max-body-bytes N     body bytes kept per message (default 65536)
  --no-tls               no uprobes on OpenSSL: TLS connections are then not reported (by
                         default their plaintext is captured from the libssl, or the node
                         binary, that the processes map)
  --no-fast-path         every exchange through the JavaScript parser (by default the addon
                         writes the lines of plain exchanges itself when every sink writes
                         JSON lines; the lines are the same, at about half the CPU)
  --stats-interval D     how often the stats lines are logged, e.g. 10s or 1m (default 60s)
  --metrics-addr H:P     serve Prometheus /metrics, /healthz and /readyz on H:P
  --duration S           stop after S seconds (default: until Ctrl-C or SIGTERM)
  --log-level LEVEL      trace, debug, info (default), warn, error
  --log-format FORMAT    text (default) or json, for the lines on stderr
  -h, --help             this text

Authorization, Cookie, Set-Cookie, X-Api-Key and similar header values are redacted
(config key redact_headers). Ctrl-C or SIGTERM stops cleanly: the sinks are flushed and the final
stats lines are printed on stderr.`;

export const FLAGS = {
  config: { type: 'string' },
  pid: { type: 'string', multiple: true },
  comm: { type: 'string', multiple: true },
  port: { type: 'string', multiple: true },
  all: { type: 'boolean' },
  mode: { type: 'string' },
  format: { type: 'string' },
  uds: { type: 'string' },
  'uds-listen': { type: 'boolean' },
  otlp: { type: 'string' },
  har: { type: 'string' },
  'max-body-bytes': { type: 'string' },
  'no-tls': { type: 'boolean' },
  'no-fast-path': { type: 'boolean' },
  'stats-interval': { type: 'string' },
  'metrics-addr': { type: 'string' },
  duration: { type: 'string' },
  'log-level': { type: 'string' },
  'log-format': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

type RunFlags = ReturnType<typeof parse<typeof FLAGS>>['values'];

/** Repeatable, comma-separated list flags. */
function list(values: string[] | undefined): string[] {
  return (values ?? []).flatMap((v) => v.split(',')).filter((v) => v !== '');
}

/** Whole numbers stay strings when they are not: the schema then names the key and the bad value. */
function numbers(values: string[]): (number | string)[] {
  return values.map((v) => (/^\d+$/.test(v) ? Number(v) : v));
}

/** The flags in config form; the schema validates them with the file and environment. */
export function flagsToConfig(v: RunFlags): AgentConfigOverrides {
  const format = v.format;
  const stdout = format === undefined ? undefined : format === 'none' ? { enabled: false } : { enabled: true, format: format as 'jsonl' | 'pretty' };
  const o: AgentConfigOverrides = {
    mode: v.mode as AgentConfigOverrides['mode'],
    max_body_bytes: v['max-body-bytes'] === undefined ? undefined : (numbers([v['max-body-bytes']])[0] as number),
    stats_interval: v['stats-interval'],
    tls_capture: v['no-tls'] ? false : undefined,
    fast_path: v['no-fast-path'] ? false : undefined,
    metrics_addr: v['metrics-addr'],
    log_level: v['log-level'] as AgentConfigOverrides['log_level'],
    log_format: v['log-format'] as AgentConfigOverrides['log_format'],
    unix_domain_socket_addr: v.uds,
    targets: {
      pids: v.pid ? (numbers(list(v.pid)) as number[]) : undefined,
      comms: v.comm ? list(v.comm) : undefined,
      ports: v.port ? (numbers(list(v.port)) as number[]) : undefined,
    },
    exporters: {
      stdout,
      uds: v.uds !== undefined || v['uds-listen'] ? { enabled: true, listen: v['uds-listen'] === true ? true : undefined } : undefined,
      otlp: v.otlp === undefined ? undefined : { enabled: true, endpoint: v.otlp },
      har: v.har === undefined ? undefined : { enabled: true, path: v.har },
    },
  };
  return o;
}

/** Config key (first segments of the path) -> the flag that sets it, for error messages. */
const FLAG_OF_KEY: Record<string, string> = {
  mode: '--mode',
  max_body_bytes: '--max-body-bytes',
  tls_capture: '--no-tls',
  fast_path: '--no-fast-path',
  stats_interval: '--stats-interval',
  metrics_addr: '--metrics-addr',
  log_level: '--log-level',
  log_format: '--log-format',
  unix_domain_socket_addr: '--uds',
  'targets.pids': '--pid',
  'targets.comms': '--comm',
  'targets.ports': '--port',
  'exporters.otlp': '--otlp',
  'exporters.har': '--har',
  'exporters.stdout': '--format',
  'exporters.uds': '--uds-listen',
};

export function flagOfKey(path: readonly PropertyKey[]): string | undefined {
  return FLAG_OF_KEY[path.slice(0, 2).join('.')] ?? FLAG_OF_KEY[String(path[0])];
}

/**
 * What the kernel captures and which ports the pipeline keeps. Ports alone mean every process
 * (the port decides); nothing at all is a usage error, not a silent "capture nothing".
 */
export function selection(config: AgentConfig, all: boolean): { targets: Targets; ports: number[] } {
  const { pids, comms, ports } = config.targets;
  // Kubernetes mode: the pods the mirroring rules select are the targets (see kubernetes-mode.ts).
  if (config.k8s_enabled) return { targets: {}, ports: [...ports] };
  const processSelectors = pids.length + comms.length;
  if (!all && processSelectors === 0 && ports.length === 0) {
    throw new SocktapError('SOCKTAP_USAGE', 'choose what to capture with --pid PID, --comm NAME, --port PORT or --all (or targets: in the config file)');
  }
  // The kernel keeps only connections on the ports (local for ingress, remote for egress), so
  // `--port` alone does not copy every process's traffic; the pipeline checks again by direction.
  const portMatch = config.mode === 'ingress' ? 'local' : config.mode === 'egress' ? 'remote' : 'both';
  return {
    targets: { all: all || processSelectors === 0, pids: [...pids], comms: [...comms], ports: [...ports], portMatch },
    ports: [...ports],
  };
}

function describeSelection(t: Targets, ports: readonly number[]): string {
  const parts: string[] = [];
  if (t.all) parts.push('all processes');
  if (t.pids?.length) parts.push(`pid ${t.pids.join(',')}`);
  if (t.comms?.length) parts.push(`comm ${t.comms.join(',')}`);
  if (ports.length) parts.push(`port ${ports.join(',')}`);
  return parts.join(', ');
}

export async function runCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, FLAGS, 'run');
  if (values.help) {
    process.stdout.write(runHelp + '\n');
    return 0;
  }
  if (values['uds-listen'] && values.uds === undefined && values.config === undefined) {
    throw new SocktapError('SOCKTAP_USAGE', '--uds-listen needs the socket path: --uds PATH');
  }
  if (values.format !== undefined && !['jsonl', 'pretty', 'none'].includes(values.format)) {
    throw new SocktapError('SOCKTAP_USAGE', `--format must be one of jsonl, pretty, none, got '${values.format}'`);
  }
  const duration = values.duration === undefined ? undefined : Number(values.duration);
  if (duration !== undefined && !(duration > 0)) {
    throw new SocktapError('SOCKTAP_USAGE', `--duration must be a positive number of seconds, got '${values.duration}'`);
  }
  // Standalone defaults: records to stdout; the unix socket only when asked for.
  const { config, notices } = loadConfig({
    file: values.config,
    base: { exporters: { stdout: { enabled: true }, uds: { enabled: false } } },
    flags: flagsToConfig(values),
    flagName: flagOfKey,
  });
  const log = createLogger({ level: config.log_level, format: config.log_format });
  for (const n of notices) log.warn(n);
  const { targets, ports } = selection(config, values.all === true);
  if (config.k8s_enabled && (values.pid || values.comm || values.all)) {
    throw new SocktapError('SOCKTAP_USAGE', 'with k8s_enabled: true the mirroring rules choose the pods: drop --pid, --comm and --all');
  }
  log.info(describeConfig(config));
  log.info(describeSystem(readSystemInfo()));
  return runAgent({ config, targets, ports, log, duration });
}

async function runAgent(o: { config: AgentConfig; targets: Targets; ports: number[]; log: Logger; duration?: number }): Promise<number> {
  const { config, log } = o;
  const k8s = config.k8s_enabled ? new KubernetesMode({ config, log }) : undefined;
  const sinks = await createSinks(config, log);
  if (sinks.length === 0) log.warn('every exporter is disabled: exchanges are parsed and counted but go nowhere');
  const runtime = new AgentRuntime({ config, targets: o.targets, ports: o.ports, sinks, log, processPolicy: k8s?.processPolicy });
  try {
    await runtime.start();
  } catch (err) {
    await Promise.all(sinks.map((s) => s.close(0)));
    throw err;
  }
  try {
    await k8s?.start(runtime.tracer);
  } catch (err) {
    await k8s?.stop();
    await runtime.stop(0);
    throw err;
  }
  if (config.exporters.stdout.enabled && config.exporters.stdout.format === 'pretty') process.stdout.write(PRETTY_HEADER + '\n');
  const what = k8s ? 'the pods the mirroring rules select' : describeSelection(o.targets, o.ports);
  log.info(`capturing ${what} (mode ${config.mode}; sinks ${sinks.map((s) => s.name).join(', ') || 'none'})`);
  await untilStopped(o.duration);
  await k8s?.stop();
  await runtime.stop();
  return 0;
}
