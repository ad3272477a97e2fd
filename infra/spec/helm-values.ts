/**
 * Migration from the reference agent's Helm chart: its values.yaml -> socktap options, with a
 * warning for every value that is set but has no counterpart here. Values are passed through as
 * given; `resolveOptions` then checks them like any other options.
 */
import { parse } from 'yaml';
import { SpecValidationError } from './errors';
import type { EbpfAgentOptions, Toleration, UpdateStrategyOptions } from './options';

export interface HelmValuesResult {
  readonly options: EbpfAgentOptions;
  readonly warnings: string[];
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] extends object ? Mutable<T[K]> : T[K] };
type Options = Mutable<EbpfAgentOptions> & Record<string, unknown>;

interface Context {
  readonly values: Record<string, unknown>;
  readonly options: Options;
  readonly warnings: string[];
}

/** What each reference value becomes. A value not listed here is reported when it is set. */
const MAPPINGS: Readonly<Record<string, (value: unknown, ctx: Context) => void>> = {
  token: (v, { options }) => {
    if (v !== '') options.token = v as string;
  },
  environment: (v, { options, values }) => {
    // ebpfEnvironment, when set, names the eBPF agent's environment more specifically.
    if (v !== '' && isUnset(values.ebpfEnvironment)) options.environment = v as string;
  },
  ebpfEnvironment: (v, { options }) => {
    if (v !== '') options.environment = v as string;
  },
  // The reference's platform agent as a DaemonSet; socktap has no platform agent, and its docs
  // say to keep this false for eBPF capture.
  runAsDaemonSet: (v, { warnings }) => {
    if (v === true) warnings.push('runAsDaemonSet: true concerns the reference platform agent, which socktap does not have; ignored (socktap always runs as a DaemonSet)');
  },
  ebpfCaptureEnabled: (v, { warnings }) => {
    if (v === false) warnings.push('ebpfCaptureEnabled: false would deploy no capture at all; socktap is the eBPF capture agent, so the manifests deploy it anyway');
  },
  daemonSetMirroringEnabled: (v, ctx) => {
    mirroring(ctx).enabled = v as boolean;
  },
  daemonSetMirrorAllNamespaces: (v, ctx) => {
    // As in the reference chart, mirroring all namespaces needs daemon-set mirroring on.
    if (v === true && ctx.values.daemonSetMirroringEnabled === false) {
      ctx.warnings.push('daemonSetMirrorAllNamespaces: true has no effect while daemonSetMirroringEnabled is false (as in the reference chart); ignored');
      return;
    }
    mirroring(ctx).allNamespaces = v as boolean;
  },
  ebpfRunAsPrivileged: (v, { options }) => {
    options.security = { ...options.security, mode: v === false ? 'capabilities' : 'privileged' };
  },
  // Privileged containers hold every capability, so the list only matters when not privileged.
  ebpfAllowedCapabilities: (v, { options, values }) => {
    if (isUnset(v) || values.ebpfRunAsPrivileged !== false) return;
    options.security = { ...options.security, mode: 'capabilities', capabilities: v as string[] };
  },
  ebpfDeployOnMaster: (v, { options }) => {
    options.scheduleOnControlPlane = v as boolean;
  },
  ebpfNodeSelectors: (v, { options }) => {
    if (!isUnset(v)) options.nodeSelector = v as Record<string, string>;
  },
  // An empty list keeps socktap's default (tolerate every taint) rather than tolerating none.
  ebpfTolerations: (v, { options }) => {
    if (!isUnset(v)) options.tolerations = v as Toleration[];
  },
  ebpfPriorityClass: (v, { options }) => {
    const pc = record(v);
    if (pc.enabled === true && typeof pc.name === 'string' && pc.name !== '') options.priorityClassName = pc.name;
  },
  ebpfUpdateStrategy: (v, { options }) => {
    const s = record(v);
    if (s.enabled !== true) return;
    const strategy: Mutable<UpdateStrategyOptions> = { type: s.type as UpdateStrategyOptions['type'] };
    const rolling = record(s.rollingUpdate);
    if (s.type === 'RollingUpdate') {
      if (rolling.maxUnavailable !== undefined) strategy.maxUnavailable = rolling.maxUnavailable as number | string;
      if (rolling.maxSurge !== undefined) strategy.maxSurge = rolling.maxSurge as number | string;
    }
    options.updateStrategy = strategy;
  },
  ebpfEnvironmentVariables: (v, { options, warnings }) => {
    if (isUnset(v)) return;
    const env: Record<string, string> = {};
    for (const entry of Array.isArray(v) ? v : []) {
      const e = record(entry);
      if (typeof e.name === 'string' && e.value !== undefined) env[e.name] = String(e.value);
      else warnings.push(`ebpfEnvironmentVariables entry ${JSON.stringify(entry)} has no name and value (valueFrom is not supported); ignored`);
    }
    options.env = env;
  },
  ebpfLogLevel: (v, { options }) => {
    if (v !== '') options.logLevel = v as EbpfAgentOptions['logLevel'] & string;
  },
  imagePullPolicy: (v, { options }) => {
    if (v !== '') options.imagePullPolicy = v as EbpfAgentOptions['imagePullPolicy'] & string;
  },
  daemonSetMirroring: (v, { options, warnings }) => {
    const dm = record(v);
    for (const key of Object.keys(dm)) {
      if (key !== 'resources' && !isUnset(dm[key])) warnings.push(`daemonSetMirroring.${key} is not supported by socktap; ignored`);
    }
    const res = record(dm.resources);
    const pick = (x: unknown) => {
      const r = record(x);
      const out: { cpu?: string; memory?: string } = {};
      if (r.cpu !== undefined) out.cpu = String(r.cpu);
      if (r.memory !== undefined) out.memory = String(r.memory);
      return out;
    };
    if (!isUnset(res.requests) || !isUnset(res.limits)) options.resources = { requests: pick(res.requests), limits: pick(res.limits) };
  },
};

/** Set values without a counterpart, with the reason a user should know. */
const UNSUPPORTED: Readonly<Record<string, string>> = {
  imageRegistry: 'socktap has its own image (option image)',
  ebpfTracerImageName: 'socktap has its own image (option image)',
  ebpfTracerVersion: 'socktap has its own image (option image)',
  ebpfServiceAccountName: 'the ServiceAccount is named after the installation (option name)',
  ebpfBtfDownloadsPath: 'socktap always mounts an emptyDir for BTF files at /var/lib/socktap/btf',
  ebpfEnableJavaTlsCapture: 'Java TLS capture is not supported (socktap captures OpenSSL through uprobes)',
  ebpfSslKeylogIncludeRules: 'TLS key logging is not supported (socktap captures OpenSSL plaintext through uprobes)',
  ebpfSecurityContext: 'the security context follows option security.mode',
  useCustomSecurityContext: 'the security context follows option security.mode',
  commonContainerSecurityContext: 'the security context follows option security.mode',
  ebpfSELinuxOptionsEnabled: 'SELinux options are not supported',
  endpoint: 'socktap exports over a unix socket or OTLP (options exporters.uds, exporters.otlp), not to a platform agent endpoint',
};

function isUnset(v: unknown): boolean {
  if (v === undefined || v === null || v === '' || v === false) return true;
  if (Array.isArray(v)) return v.length === 0;
  return typeof v === 'object' && Object.keys(v as object).length === 0;
}

function record(v: unknown): Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

function mirroring(ctx: Context): Mutable<NonNullable<EbpfAgentOptions['mirroring']>> {
  return (ctx.options.mirroring ??= {});
}

/**
 * Maps a reference chart values.yaml to socktap options.
 * @throws SpecValidationError when the text is not YAML or not a mapping.
 */
export function fromHelmValues(valuesYamlText: string): HelmValuesResult {
  let values: unknown;
  try {
    values = parse(valuesYamlText) ?? {};
  } catch (err) {
    throw new SpecValidationError([`values.yaml must be valid YAML, got an error: ${(err as Error).message.split('\n')[0]}`]);
  }
  if (values === null || typeof values !== 'object' || Array.isArray(values)) {
    throw new SpecValidationError([`values.yaml must be a mapping of chart values, got ${Array.isArray(values) ? 'a list' : JSON.stringify(values)}`]);
  }
  const ctx: Context = { values: values as Record<string, unknown>, options: {}, warnings: [] };
  for (const [key, value] of Object.entries(ctx.values)) {
    const map = MAPPINGS[key];
    if (map !== undefined) {
      if (value !== null && value !== undefined) map(value, ctx);
      continue;
    }
    // A value left at its off/empty default asks for nothing socktap lacks.
    if (isUnset(value)) continue;
    const reason = UNSUPPORTED[key];
    ctx.warnings.push(reason === undefined ? `${key} is not supported by socktap; ignored` : `${key} is not supported: ${reason}; ignored`);
  }
  return { options: ctx.options, warnings: ctx.warnings };
}
