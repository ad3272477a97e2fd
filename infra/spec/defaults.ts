/**
 * The one place defaults are applied. `applyDefaults` never throws: values of the wrong type are
 * carried through unchanged so `validate.ts` can name them, and a non-mapping where a mapping
 * belongs counts as empty (the shape check reports it).
 */
import { DEFAULT_REDACT_HEADERS, type CaptureMode } from '../../agent/config/schema';
import type { LogLevel } from '../../agent/log/levels';
import type {
  AgentConfigExtras,
  EbpfAgentOptions,
  ImagePullPolicy,
  SecurityMode,
  Toleration,
  UpdateStrategyOptions,
} from './options';
import { DEFAULT_IMAGE_REPOSITORY, SOCKTAP_VERSION } from './version';

/** Where the ConfigMap is mounted in the container and the file the agent reads. */
export const CONFIG_DIR = '/etc/socktap';
export const CONFIG_FILE = 'config.yaml';

/** The capability sets of `security.capabilities`. Names as Kubernetes wants them: no `CAP_`. */
export const LEAST_PRIVILEGE_CAPABILITIES = ['BPF', 'PERFMON', 'SYS_PTRACE', 'SYS_RESOURCE', 'DAC_READ_SEARCH'] as const;
export const DEFAULT_CAPABILITIES = ['BPF', 'PERFMON', 'SYS_ADMIN', 'SYS_PTRACE', 'SYS_RESOURCE', 'DAC_READ_SEARCH'] as const;

/** The reference agent's keys (DESIGN §3), so existing clusters' labels keep working. */
export const DEFAULT_MIRRORING_KEYS = {
  namespaceLabel: 'traceableai-mirror',
  podEnabledAnnotation: 'mirror.traceable.ai/enabled',
  podModeAnnotation: 'mirror.traceable.ai/mode',
  namespaceModeAnnotation: 'mirror.traceable.ai/defaultMode',
} as const;

export const DEFAULTS = {
  name: 'socktap',
  namespace: 'socktap',
  image: `${DEFAULT_IMAGE_REPOSITORY}:${SOCKTAP_VERSION}`,
  imagePullPolicy: 'IfNotPresent' as ImagePullPolicy,
  args: ['run', '--config', `${CONFIG_DIR}/${CONFIG_FILE}`],
  udsPath: '/var/log/sock/eve.json',
  metricsPort: 9464,
  mode: 'ingress' as CaptureMode,
  maxBodyBytes: 65_536,
  logLevel: 'info' as LogLevel,
  securityMode: 'privileged' as SecurityMode,
  requests: { cpu: '100m', memory: '128Mi' },
  limits: { cpu: '1', memory: '512Mi' },
  // Run everywhere, whatever the taints: an agent missing from a node is traffic not captured.
  tolerations: [{ operator: 'Exists' }] as Toleration[],
  updateStrategy: { type: 'RollingUpdate', maxUnavailable: 1, maxSurge: 0 } as Required<UpdateStrategyOptions>,
} as const;

type Dict = Readonly<Record<string, string>>;

/** Options with every default applied; what the renderers read. */
export interface ResolvedEbpfAgentOptions {
  readonly name: string;
  readonly namespace: { readonly name: string; readonly create: boolean; readonly labels: Dict; readonly annotations: Dict };
  readonly labels: Dict;
  readonly annotations: Dict;
  readonly token: string | undefined;
  readonly tokenSecretRef: { readonly name: string; readonly key: string } | undefined;
  readonly environment: string | undefined;
  readonly mirroring: {
    readonly enabled: boolean;
    readonly allNamespaces: boolean;
    readonly namespaceLabel: string;
    readonly podEnabledAnnotation: string;
    readonly podModeAnnotation: string;
    readonly namespaceModeAnnotation: string;
  };
  readonly mode: CaptureMode;
  readonly maxBodyBytes: number;
  readonly redactHeaders: readonly string[];
  readonly exporters: {
    readonly uds: { readonly enabled: boolean; readonly path: string };
    readonly otlp: { readonly endpoint: string | undefined; readonly headers: Dict };
    readonly stdout: { readonly enabled: boolean };
  };
  readonly logLevel: LogLevel;
  readonly metrics: { readonly port: number };
  readonly agentConfig: AgentConfigExtras;
  readonly security: { readonly mode: SecurityMode; readonly capabilities: readonly string[] };
  readonly image: string;
  readonly imagePullPolicy: ImagePullPolicy;
  readonly imagePullSecrets: readonly string[];
  readonly args: readonly string[];
  readonly env: Dict;
  readonly resources: {
    readonly requests: { readonly cpu: string; readonly memory: string };
    readonly limits: { readonly cpu: string; readonly memory: string };
  };
  readonly nodeSelector: Dict;
  readonly tolerations: readonly Toleration[];
  readonly scheduleOnControlPlane: boolean;
  readonly priorityClassName: string | undefined;
  readonly updateStrategy: Required<UpdateStrategyOptions>;
  readonly probes: { readonly enabled: boolean };
}

/** A mapping-typed option as a record; anything else as empty (reported by the shape check). */
export function asRecord(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

/** A copy of a string-map option; values are checked by validate.ts. */
function dict(value: unknown): Record<string, string> {
  return { ...asRecord(value) } as Record<string, string>;
}

export function capabilityList(set: unknown): readonly string[] {
  if (Array.isArray(set)) return [...(set as unknown[])] as string[];
  return set === 'least-privilege' ? [...LEAST_PRIVILEGE_CAPABILITIES] : [...DEFAULT_CAPABILITIES];
}

export function applyDefaults(options: EbpfAgentOptions = {}): ResolvedEbpfAgentOptions {
  const o = asRecord(options) as EbpfAgentOptions;
  const ns = asRecord(o.namespace) as NonNullable<EbpfAgentOptions['namespace']>;
  const mirroring = asRecord(o.mirroring) as NonNullable<EbpfAgentOptions['mirroring']>;
  const exporters = asRecord(o.exporters) as NonNullable<EbpfAgentOptions['exporters']>;
  const uds = asRecord(exporters.uds) as NonNullable<typeof exporters.uds>;
  const otlp = asRecord(exporters.otlp) as NonNullable<typeof exporters.otlp>;
  const stdout = asRecord(exporters.stdout) as NonNullable<typeof exporters.stdout>;
  const security = asRecord(o.security) as NonNullable<EbpfAgentOptions['security']>;
  const resources = asRecord(o.resources) as NonNullable<EbpfAgentOptions['resources']>;
  const requests = asRecord(resources.requests) as NonNullable<typeof resources.requests>;
  const limits = asRecord(resources.limits) as NonNullable<typeof resources.limits>;
  const strategy = asRecord(o.updateStrategy) as UpdateStrategyOptions;
  const secretRef = o.tokenSecretRef === undefined ? undefined : (asRecord(o.tokenSecretRef) as Partial<NonNullable<EbpfAgentOptions['tokenSecretRef']>>);
  return {
    name: o.name ?? DEFAULTS.name,
    namespace: {
      name: ns.name ?? DEFAULTS.namespace,
      create: ns.create ?? true,
      labels: dict(ns.labels),
      annotations: dict(ns.annotations),
    },
    labels: dict(o.labels),
    annotations: dict(o.annotations),
    token: o.token,
    tokenSecretRef: secretRef === undefined ? undefined : { name: secretRef.name as string, key: secretRef.key ?? 'token' },
    environment: o.environment,
    mirroring: {
      enabled: mirroring.enabled ?? true,
      allNamespaces: mirroring.allNamespaces ?? false,
      namespaceLabel: mirroring.namespaceLabel ?? DEFAULT_MIRRORING_KEYS.namespaceLabel,
      podEnabledAnnotation: mirroring.podEnabledAnnotation ?? DEFAULT_MIRRORING_KEYS.podEnabledAnnotation,
      podModeAnnotation: mirroring.podModeAnnotation ?? DEFAULT_MIRRORING_KEYS.podModeAnnotation,
      namespaceModeAnnotation: mirroring.namespaceModeAnnotation ?? DEFAULT_MIRRORING_KEYS.namespaceModeAnnotation,
    },
    mode: o.mode ?? DEFAULTS.mode,
    maxBodyBytes: o.maxBodyBytes ?? DEFAULTS.maxBodyBytes,
    redactHeaders: o.redactHeaders === undefined ? [...DEFAULT_REDACT_HEADERS] : copyList(o.redactHeaders),
    exporters: {
      uds: { enabled: uds.enabled ?? true, path: uds.path ?? DEFAULTS.udsPath },
      otlp: { endpoint: otlp.endpoint, headers: dict(otlp.headers) },
      stdout: { enabled: stdout.enabled ?? false },
    },
    logLevel: o.logLevel ?? DEFAULTS.logLevel,
    metrics: { port: asRecord(o.metrics).port as number | undefined ?? DEFAULTS.metricsPort },
    agentConfig: { ...(asRecord(o.agentConfig) as AgentConfigExtras) },
    security: { mode: security.mode ?? DEFAULTS.securityMode, capabilities: capabilityList(security.capabilities ?? 'default') },
    image: o.image ?? DEFAULTS.image,
    imagePullPolicy: o.imagePullPolicy ?? DEFAULTS.imagePullPolicy,
    imagePullSecrets: o.imagePullSecrets === undefined ? [] : copyList(o.imagePullSecrets),
    args: o.args === undefined ? [...DEFAULTS.args] : copyList(o.args),
    env: dict(o.env),
    resources: {
      requests: { cpu: requests.cpu ?? DEFAULTS.requests.cpu, memory: requests.memory ?? DEFAULTS.requests.memory },
      limits: { cpu: limits.cpu ?? DEFAULTS.limits.cpu, memory: limits.memory ?? DEFAULTS.limits.memory },
    },
    nodeSelector: dict(o.nodeSelector),
    tolerations: o.tolerations === undefined ? DEFAULTS.tolerations.map((t) => ({ ...t })) : copyList(o.tolerations),
    scheduleOnControlPlane: o.scheduleOnControlPlane ?? false,
    priorityClassName: o.priorityClassName,
    updateStrategy: {
      type: strategy.type ?? DEFAULTS.updateStrategy.type,
      maxUnavailable: strategy.maxUnavailable ?? DEFAULTS.updateStrategy.maxUnavailable,
      maxSurge: strategy.maxSurge ?? DEFAULTS.updateStrategy.maxSurge,
    },
    probes: { enabled: asRecord(o.probes).enabled as boolean | undefined ?? true },
  };
}

/** Lists are copied so later changes to the caller's arrays cannot change rendered objects. */
function copyList<T>(value: readonly T[]): T[] {
  return Array.isArray(value) ? [...value] : (value as unknown as T[]);
}
