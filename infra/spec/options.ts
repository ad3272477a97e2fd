/**
 * What a user may say about a socktap installation. Every field is optional and a plain value;
 * `defaults.ts` is the one place the defaults below are applied, `validate.ts` the one place they
 * are checked. Reference Helm chart values are named in brackets where one maps to a field.
 */
import type { AgentConfigInput, CaptureMode } from '../../agent/config/schema';
import type { LogLevel } from '../../agent/log/levels';

export type { CaptureMode, LogLevel };

/** How the agent container gets the rights to load BPF programs. */
export type SecurityMode = 'privileged' | 'capabilities';

/** A named capability set, or an explicit list of Linux capability names without `CAP_`. */
export type CapabilitySet = 'default' | 'least-privilege' | readonly string[];

export type ImagePullPolicy = 'Always' | 'IfNotPresent' | 'Never';

export interface EbpfAgentOptions {
  /**
   * Base name of every object (DaemonSet, ServiceAccount, ClusterRole, ConfigMap, Secret), and the
   * `app.kubernetes.io/instance` label. A DNS label: lower-case letters, digits and `-`.
   * @default 'socktap'
   */
  readonly name?: string;

  /** The namespace the agent runs in. @default { name: 'socktap', create: true } */
  readonly namespace?: NamespaceOptions;

  /** Labels added to every object (the selector labels stay fixed). @default {} */
  readonly labels?: Readonly<Record<string, string>>;

  /** Annotations added to every object. @default {} */
  readonly annotations?: Readonly<Record<string, string>>;

  /**
   * Access token, stored in a Secret the agent reads as `SOCKTAP_ACCESS_TOKEN`; never written to
   * the ConfigMap. Give this or `tokenSecretRef`, not both. [`token`]
   * @default no token
   */
  readonly token?: string;

  /** An existing Secret holding the access token, instead of `token`. @default no secret */
  readonly tokenSecretRef?: SecretKeyRef;

  /**
   * Environment name the agent reports its data under (`SOCKTAP_ENVIRONMENT`). [`environment`]
   * @default no environment
   */
  readonly environment?: string;

  /** Which pods are captured, by DESIGN's mirroring rules. */
  readonly mirroring?: MirroringOptions;

  /**
   * Directions captured when no pod or namespace annotation says otherwise.
   * @default 'ingress'
   */
  readonly mode?: CaptureMode;

  /** Body bytes kept per request and per response (`max_body_bytes`). @default 65536 */
  readonly maxBodyBytes?: number;

  /**
   * Headers whose values are replaced by `[REDACTED]`, matched case-insensitively.
   * @default the agent's DEFAULT_REDACT_HEADERS (Authorization, Cookie, Set-Cookie, X-Api-Key, ...)
   */
  readonly redactHeaders?: readonly string[];

  /** Where captured exchanges go. @default the unix socket only */
  readonly exporters?: ExportersOptions;

  /** Least severe agent log level. @default 'info' */
  readonly logLevel?: LogLevel;

  /** The agent's metrics and health endpoint (`/metrics`, `/healthz`, `/readyz`). */
  readonly metrics?: MetricsOptions;

  /**
   * Further agent configuration keys the options above do not cover (queue sizes, stats
   * interval, log format). Checked with the agent's own schema. @default {}
   */
  readonly agentConfig?: AgentConfigExtras;

  /** Privileged container or a capability list. */
  readonly security?: SecurityOptions;

  /** Agent image. @default `ghcr.io/socktap/socktap:<socktap version>` */
  readonly image?: string;

  /** [`imagePullPolicy`] @default 'IfNotPresent' */
  readonly imagePullPolicy?: ImagePullPolicy;

  /** Names of Secrets in the namespace used to pull the image. @default [] */
  readonly imagePullSecrets?: readonly string[];

  /** Container arguments (the image's entrypoint is `socktap`). @default ['run', '--config', '/etc/socktap/config.yaml'] */
  readonly args?: readonly string[];

  /** Extra environment variables for the agent container. @default {} */
  readonly env?: Readonly<Record<string, string>>;

  /** CPU and memory of the agent container. [`daemonSetMirroring.resources`] */
  readonly resources?: ResourceOptions;

  /** Only nodes with these labels run the agent. [`ebpfNodeSelectors`] @default {} */
  readonly nodeSelector?: Readonly<Record<string, string>>;

  /** [`ebpfTolerations`] @default [{ operator: 'Exists' }]: every node, whatever its taints */
  readonly tolerations?: readonly Toleration[];

  /**
   * Run on control-plane nodes too. By default node affinity keeps the agent off them: they run
   * no workloads worth capturing. [`ebpfDeployOnMaster`]
   * @default false
   */
  readonly scheduleOnControlPlane?: boolean;

  /** [`ebpfPriorityClass.name`] @default no priority class */
  readonly priorityClassName?: string;

  /** [`ebpfUpdateStrategy`] @default { type: 'RollingUpdate', maxUnavailable: 1 } */
  readonly updateStrategy?: UpdateStrategyOptions;

  /** Liveness and readiness probes on the health endpoint. @default { enabled: true } */
  readonly probes?: ProbeOptions;
}

export interface NamespaceOptions {
  /** A DNS label. @default 'socktap' */
  readonly name?: string;
  /**
   * Create the namespace (labelled `pod-security.kubernetes.io/enforce=privileged` and excluded
   * from mirroring), or use an existing one, which then needs that pod-security label itself.
   * @default true
   */
  readonly create?: boolean;
  /** Extra labels on a created namespace. @default {} */
  readonly labels?: Readonly<Record<string, string>>;
  /** Annotations on a created namespace. @default {} */
  readonly annotations?: Readonly<Record<string, string>>;
}

export interface SecretKeyRef {
  /** Secret in the agent's namespace. */
  readonly name: string;
  /** @default 'token' */
  readonly key?: string;
}

export interface MirroringOptions {
  /**
   * Watch the Kubernetes API and capture pods by the mirroring rules (`k8s_enabled`). When false
   * the agent captures nothing in the cluster until configured otherwise. [`daemonSetMirroringEnabled`]
   * @default true
   */
  readonly enabled?: boolean;
  /**
   * Capture in every namespace not labelled disabled (`capture_all_namespaces`). Requires
   * `enabled`. [`daemonSetMirrorAllNamespaces`]
   * @default false
   */
  readonly allNamespaces?: boolean;
  /** Namespace label: `enabled` turns mirroring on, `disabled` off. @default 'traceableai-mirror' */
  readonly namespaceLabel?: string;
  /** Pod annotation: `"false"` turns mirroring off for the pod. @default 'mirror.traceable.ai/enabled' */
  readonly podEnabledAnnotation?: string;
  /** Pod annotation: capture mode of the pod. @default 'mirror.traceable.ai/mode' */
  readonly podModeAnnotation?: string;
  /** Namespace annotation: default mode of the namespace's pods. @default 'mirror.traceable.ai/defaultMode' */
  readonly namespaceModeAnnotation?: string;
}

export interface ExportersOptions {
  /** JSON lines on a unix socket on the node. @default { enabled: true, path: '/var/log/sock/eve.json' } */
  readonly uds?: UdsExporterOptions;
  /** OTLP/HTTP traces; on when `endpoint` is given. @default off */
  readonly otlp?: OtlpExporterOptions;
  /** Exchange records on the container's stdout (`kubectl logs`). @default { enabled: false } */
  readonly stdout?: { readonly enabled?: boolean };
}

export interface UdsExporterOptions {
  /** @default true */
  readonly enabled?: boolean;
  /**
   * Socket path on the node; its directory is mounted from the host so node-local consumers
   * reach it. At most 107 bytes. @default '/var/log/sock/eve.json'
   */
  readonly path?: string;
}

export interface OtlpExporterOptions {
  /** Collector base URL, e.g. `http://otel-collector.observability:4318`. @default no OTLP export */
  readonly endpoint?: string;
  /** Extra request headers. They land in the ConfigMap: put credentials in `token` instead. @default {} */
  readonly headers?: Readonly<Record<string, string>>;
}

export interface MetricsOptions {
  /** Container port (named `metrics`) for `/metrics`, `/healthz` and `/readyz`. @default 9464 */
  readonly port?: number;
}

/** Agent config keys that no other option decides. */
export type AgentConfigExtras = Pick<
  AgentConfigInput,
  'perfmap_queue_size' | 'uds_event_queue_size' | 'probe_event_queue_size' | 'stats_interval' | 'log_format' | 'max_active_ret_probe'
>;

export interface SecurityOptions {
  /**
   * `privileged`: a privileged container, as the reference chart (`ebpfRunAsPrivileged: true`).
   * `capabilities`: not privileged, all capabilities dropped and `capabilities` added.
   * @default 'privileged'
   */
  readonly mode?: SecurityMode;
  /**
   * Capabilities added in `capabilities` mode. `default`: BPF, PERFMON, SYS_ADMIN, SYS_PTRACE,
   * SYS_RESOURCE, DAC_READ_SEARCH (SYS_ADMIN for kernels before 5.8 and for cgroup and tracefs
   * access). `least-privilege`: the same without SYS_ADMIN (kernel 5.8+). Or an explicit list.
   * @default 'default'
   */
  readonly capabilities?: CapabilitySet;
}

export interface ResourceOptions {
  /** @default { cpu: '100m', memory: '128Mi' } */
  readonly requests?: ResourceAmounts;
  /** @default { cpu: '1', memory: '512Mi' } */
  readonly limits?: ResourceAmounts;
}

export interface ResourceAmounts {
  /** A Kubernetes quantity, e.g. `100m` or `1`. */
  readonly cpu?: string;
  /** A Kubernetes quantity, e.g. `128Mi`. */
  readonly memory?: string;
}

export interface Toleration {
  /** @default every key (with operator Exists) */
  readonly key?: string;
  /** @default 'Equal' */
  readonly operator?: 'Exists' | 'Equal';
  readonly value?: string;
  /** @default every effect */
  readonly effect?: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
  readonly tolerationSeconds?: number;
}

export interface UpdateStrategyOptions {
  /** @default 'RollingUpdate' */
  readonly type?: 'RollingUpdate' | 'OnDelete';
  /** Nodes whose agent may be down during a rolling update: a count or a percentage. @default 1 */
  readonly maxUnavailable?: number | string;
  /** Nodes that may run an old and a new agent at once. @default 0 */
  readonly maxSurge?: number | string;
}

export interface ProbeOptions {
  /** @default true */
  readonly enabled?: boolean;
}
