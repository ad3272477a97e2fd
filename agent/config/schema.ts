/**
 * The agent configuration: one schema for the YAML file, the SOCKTAP_* environment and CLI flags,
 * and for infra/, which renders the ConfigMap through it, so a deployment can never produce a
 * config the agent rejects. Keys are the reference agent's (ebpf-tracer) plus ours.
 * Free of Node imports on purpose.
 */
import { z } from 'zod';
import { parse, stringify } from 'yaml';
import { LOG_FORMATS, LOG_LEVELS } from '../log/levels';
import { formatDuration } from './duration';
import {
  absolutePath,
  bool,
  comm,
  duration,
  headerMap,
  headerName,
  hostPort,
  httpUrl,
  intIn,
  k8sKey,
  must,
  oneOf,
  powerOfTwo,
} from './fields';
import { toConfigError } from './issues';
import { DEFAULT_MIRRORING_KEYS } from '../k8s/mirroring-rules';

/** Capture directions: connections a process accepted (`ingress`), opened (`egress`), or both. */
export const CAPTURE_MODES = ['all', 'ingress', 'egress'] as const;

/** Headers whose values are replaced by `[REDACTED]` unless `redact_headers` says otherwise. */
export const DEFAULT_REDACT_HEADERS = [
  'Authorization',
  'Proxy-Authorization',
  'Cookie',
  'Set-Cookie',
  'X-Api-Key',
  'X-Auth-Token',
  'X-Access-Token',
  'X-Refresh-Token',
  'X-Csrf-Token',
  'X-Xsrf-Token',
  'X-Amz-Security-Token',
] as const;

const MAPPING = must('a mapping');
const MAX_QUEUE = 10_000_000;

const udsExporter = z.strictObject(
  {
    /** Send exchanges as JSON lines over the unix socket at `unix_domain_socket_addr`. @default true */
    enabled: bool().default(true),
    /**
     * Listen on the socket (consumers connect to socktap) instead of connecting to it (socktap
     * connects to a collector listening there, as the reference agent does). @default false
     */
    listen: bool().default(false),
  },
  MAPPING,
);

const stdoutExporter = z.strictObject(
  {
    /** Write exchanges to standard output. @default false */
    enabled: bool().default(false),
    /** `jsonl`: one exchange record per line; `pretty`: for people. @default 'jsonl' */
    format: oneOf(['jsonl', 'pretty']).default('jsonl'),
  },
  MAPPING,
);

const otlpExporter = z.strictObject(
  {
    /** Export exchanges as OTLP/HTTP traces. @default false */
    enabled: bool().default(false),
    /** Collector base URL; `/v1/traces` is appended. @default 'http://localhost:4318' (the OTLP/HTTP default) */
    endpoint: httpUrl('http://host:4318').default('http://localhost:4318'),
    /** Extra request headers, e.g. an API key for a hosted collector. Logged redacted. @default {} */
    headers: headerMap().default(() => ({})),
  },
  MAPPING,
);

const harExporter = z.strictObject(
  {
    /** Write exchanges to a HAR 1.2 file. @default false */
    enabled: bool().default(false),
    /** The HAR file; required when `enabled`. */
    path: z.string(must('a file path')).refine((v) => v !== '' && !v.includes('\0'), must('a file path')).optional(),
  },
  MAPPING,
);

const exporters = z.strictObject(
  {
    /** @default { enabled: true, listen: false } */
    uds: udsExporter.prefault({}),
    /** @default { enabled: false, format: 'jsonl' } */
    stdout: stdoutExporter.prefault({}),
    /** @default { enabled: false, endpoint: 'http://localhost:4318', headers: {} } */
    otlp: otlpExporter.prefault({}),
    /** @default { enabled: false } */
    har: harExporter.prefault({}),
  },
  MAPPING,
);

const targets = z.strictObject(
  {
    /** Process ids (thread group ids) to capture. @default [] */
    pids: z.array(intIn(1, 4_194_304, 'a process id from 1 to 4194304'), must('a list of process ids')).default(() => []),
    /** Process names (comm, at most 15 bytes) to capture. @default [] */
    comms: z.array(comm(), must('a list of process names')).default(() => []),
    /** Local or remote TCP ports to capture. @default [] */
    ports: z.array(intIn(1, 65535, 'a port from 1 to 65535'), must('a list of ports')).default(() => []),
  },
  MAPPING,
);

/** The agent configuration schema. Parse input with it (or `parseConfig`) to get an `AgentConfig`. */
export const AgentConfigSchema = z
  .strictObject(
    {
      // --- keys of the reference agent ---
      /** Least severe level logged. @default 'info' */
      log_level: oneOf(LOG_LEVELS).default('info'),
      /** Where the host's /proc is mounted (`/hostproc` in Kubernetes). @default '/proc' */
      proc_fs_path: absolutePath().default('/proc'),
      /**
       * The unix socket the `uds` exporter uses. At most 107 bytes: sun_path holds 108 with the NUL.
       * @default '/var/log/sock/eve.json' (the reference agent's)
       */
      unix_domain_socket_addr: absolutePath('an absolute socket path of at most 107 bytes', 107).default('/var/log/sock/eve.json'),
      /** Kernel-to-agent ring buffer size in 4 KiB pages (the reference: perf buffer pages). @default 1024 */
      perfmap_queue_size: powerOfTwo(1, 65536, 'pages').default(1024),
      /** Exchanges queued for the unix socket before new ones are dropped and counted. @default 10000 */
      uds_event_queue_size: intIn(1, MAX_QUEUE).default(10_000),
      /**
       * Capture events queued for parsing before new ones are dropped and counted in
       * `TotalEventsDroppedAtEventQueueLimit`. @default 50000
       */
      probe_event_queue_size: intIn(1, MAX_QUEUE).default(50_000),
      /** Kubernetes: capture in every namespace not labelled `traceableai-mirror=disabled`. @default false */
      capture_all_namespaces: bool().default(false),
      /** Watch the Kubernetes API and capture pods by the mirroring rules. @default false */
      k8s_enabled: bool().default(false),
      /** Namespace label switching mirroring on (`enabled`) or off (`disabled`). @default 'traceableai-mirror' */
      mirror_namespace_label: k8sKey().default(DEFAULT_MIRRORING_KEYS.namespaceLabel),
      /** Pod annotation; `"false"` switches a pod off. @default 'mirror.traceable.ai/enabled' */
      mirror_pod_enabled_annotation: k8sKey().default(DEFAULT_MIRRORING_KEYS.podEnabledAnnotation),
      /** Pod annotation choosing the pod's mode (`ingress`, `egress`, `all`). @default 'mirror.traceable.ai/mode' */
      mirror_pod_mode_annotation: k8sKey().default(DEFAULT_MIRRORING_KEYS.podModeAnnotation),
      /** Namespace annotation choosing the default mode of its pods. @default 'mirror.traceable.ai/defaultMode' */
      mirror_namespace_mode_annotation: k8sKey().default(DEFAULT_MIRRORING_KEYS.namespaceDefaultModeAnnotation),
      /**
       * Directions captured when no pod or namespace annotation says otherwise: `ingress`
       * (connections a process accepted), `egress` (connections it opened) or `all`.
       * @default 'ingress' (the reference's default for pods)
       */
      mode: oneOf(CAPTURE_MODES).default('ingress'),
      /**
       * Accepted so reference configs load unchanged; it has no effect (syscall tracepoints never
       * miss a return, unlike kretprobes) and the loader says so.
       */
      max_active_ret_probe: z.unknown().optional(),

      // --- socktap's keys ---
      /** Log line format: `text` (logfmt, as the reference) or `json`. @default 'text' */
      log_format: oneOf(LOG_FORMATS).default('text'),
      /** Body bytes kept per request and per response; `body_size` still counts them all. @default 65536 */
      max_body_bytes: intIn(0, 16_777_216).default(65_536),
      /**
       * Undo gzip, deflate and br content codings of captured bodies (bounded): `body` and
       * `body_size` are then the decoded content and the record says `content_decoded: true`.
       * A body whose encoded form exceeds `max_body_bytes` stays encoded. @default false
       */
      decode_content: bool().default(false),
      /**
       * TLS plaintext through uprobes on OpenSSL (SSL_read/SSL_write) in the libssl and the
       * OpenSSL-exporting executables (node) that targeted processes map. Off: TLS connections
       * are not reported at all. @default true
       */
      tls_capture: bool().default(true),
      /**
       * Let the native addon write the JSON lines of plain exchanges itself (in order, Content-Length
       * or no body, ASCII) and hand the rest to the JavaScript parser, when every exporter writes
       * JSON exchange lines (uds, stdout jsonl). The lines are the same either way; off, every
       * exchange takes the JavaScript path, at about twice the CPU. @default true
       */
      fast_path: bool().default(true),
      /** Headers whose values are replaced by `[REDACTED]`, matched case-insensitively. @default DEFAULT_REDACT_HEADERS */
      redact_headers: z.array(headerName(), must('a list of HTTP header names')).default(() => [...DEFAULT_REDACT_HEADERS]),
      /** Where exchanges go. */
      exporters: exporters.prefault({}),
      /**
       * How often the stats lines are logged: a duration (`60s`, `1m`) or seconds. Parsed to
       * milliseconds. @default '60s'
       */
      stats_interval: duration(1000, 86_400_000).default(60_000),
      /** Serve Prometheus `/metrics` on this `host:port`. @default no metrics endpoint */
      metrics_addr: hostPort('127.0.0.1:9464').optional(),
      /** Standalone mode (`socktap run`): what to capture; a process matching any selector is. */
      targets: targets.prefault({}),
    },
    must('a mapping of configuration keys'),
  )
  .superRefine((config, ctx) => {
    const har = config.exporters.har;
    if (har.enabled && har.path === undefined) {
      ctx.addIssue({ code: 'custom', path: ['exporters', 'har', 'path'], input: undefined, message: 'must be a file path when exporters.har.enabled is true, got nothing' });
    }
  });

/** Deeply readonly view of a plain data type. */
export type DeepReadonly<T> = T extends readonly (infer E)[]
  ? readonly DeepReadonly<E>[]
  : T extends object
    ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
    : T;

/** Deeply optional view, for overrides (flags) layered over a config. */
export type DeepPartial<T> = T extends readonly unknown[] ? T : T extends object ? { [K in keyof T]?: DeepPartial<T[K]> } : T;

/** The effective configuration: every default applied, `stats_interval` in milliseconds. */
export type AgentConfig = DeepReadonly<z.output<typeof AgentConfigSchema>>;

/** What a config file (or `renderConfigYaml`'s reader) may hold: every key optional. */
export type AgentConfigInput = z.input<typeof AgentConfigSchema>;

/** Overrides in input form (e.g. parsed CLI flags), merged over file and environment. */
export type AgentConfigOverrides = DeepPartial<AgentConfigInput>;

export type CaptureMode = (typeof CAPTURE_MODES)[number];

/**
 * Validates `input` and applies defaults.
 * @throws ConfigError naming each bad key by its path; `origin` (e.g. a file name) is added to each.
 */
export function parseConfig(input: unknown, origin?: string): AgentConfig {
  const result = AgentConfigSchema.safeParse(input ?? {});
  if (!result.success) throw toConfigError(AgentConfigSchema, result.error.issues, () => (origin === undefined ? undefined : { label: origin }));
  return result.data;
}

/** Every default: what an empty config file means. */
export const DEFAULT_CONFIG: AgentConfig = deepFreeze(AgentConfigSchema.parse({}));

/**
 * The config as YAML, every key written (defaults too) so the file says what the agent does.
 * `stats_interval` is written as a duration (`1m`) since a bare number there means seconds.
 * The output is checked by parsing it back: what this renders, the agent accepts.
 */
export function renderConfigYaml(config: AgentConfig): string {
  const plain = JSON.parse(JSON.stringify(config)) as Record<string, unknown>;
  plain.stats_interval = formatDuration(config.stats_interval);
  // Written with YAML 1.1 rules so strings like `yes`, `on` or `0x10` get quoted: tools on the way
  // to the cluster (Go yaml.v2, Helm) read them as booleans or numbers otherwise.
  const text = stringify(plain, { lineWidth: 0, version: '1.1' });
  parseConfig(parse(text), 'rendered config');
  return text;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
