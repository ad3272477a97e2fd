/**
 * The one place options are checked. Every problem becomes one line, "<option path> must be
 * <form>, got <value>", and all of them are thrown together in one SpecValidationError.
 * Values that end up in the agent config are checked by the agent's own schema, so the spec can
 * never accept a value the agent would reject (or reject one it accepts).
 */
import { AgentConfigSchema } from '../../agent/config/schema';
import { show } from '../../agent/config/fields';
import { formatPath } from '../../agent/config/issues';
import { closest } from '../../agent/config/suggest';
import { applyDefaults, asRecord, DEFAULTS, type ResolvedEbpfAgentOptions } from './defaults';
import { agentConfigInput, OPTION_FOR_CONFIG_KEY } from './agent-config';
import { SpecValidationError } from './errors';
import type { EbpfAgentOptions } from './options';
import { RESERVED_ENV } from './container-env';
import { socketDirectory } from './volumes';
import {
  isCapabilityName,
  isCountOrPercent,
  isDnsLabel,
  isDnsSubdomain,
  isEnvName,
  isImageReference,
  isLabelValue,
  isQualifiedName,
  isSecretKey,
  isZeroCount,
  quantityValue,
} from './forms';

/**
 * Where mappings are expected and which keys they may hold. `map`: a string-to-string mapping
 * with free keys; `leaf`: any value (checked below). TypeScript checks the table lists every option.
 */
type Shape = 'leaf' | 'map' | { readonly [key: string]: Shape };
const SHAPE = {
  name: 'leaf',
  namespace: { name: 'leaf', create: 'leaf', labels: 'map', annotations: 'map' },
  labels: 'map',
  annotations: 'map',
  token: 'leaf',
  tokenSecretRef: { name: 'leaf', key: 'leaf' },
  environment: 'leaf',
  mirroring: { enabled: 'leaf', allNamespaces: 'leaf', namespaceLabel: 'leaf', podEnabledAnnotation: 'leaf', podModeAnnotation: 'leaf', namespaceModeAnnotation: 'leaf' },
  mode: 'leaf',
  maxBodyBytes: 'leaf',
  redactHeaders: 'leaf',
  exporters: { uds: { enabled: 'leaf', path: 'leaf' }, otlp: { endpoint: 'leaf', headers: 'map' }, stdout: { enabled: 'leaf' } },
  logLevel: 'leaf',
  metrics: { port: 'leaf' },
  agentConfig: {
    perfmap_queue_size: 'leaf',
    uds_event_queue_size: 'leaf',
    probe_event_queue_size: 'leaf',
    stats_interval: 'leaf',
    log_format: 'leaf',
    max_active_ret_probe: 'leaf',
  },
  security: { mode: 'leaf', capabilities: 'leaf' },
  image: 'leaf',
  imagePullPolicy: 'leaf',
  imagePullSecrets: 'leaf',
  args: 'leaf',
  env: 'map',
  resources: { requests: { cpu: 'leaf', memory: 'leaf' }, limits: { cpu: 'leaf', memory: 'leaf' } },
  nodeSelector: 'map',
  tolerations: 'leaf',
  scheduleOnControlPlane: 'leaf',
  priorityClassName: 'leaf',
  updateStrategy: { type: 'leaf', maxUnavailable: 'leaf', maxSurge: 'leaf' },
  probes: { enabled: 'leaf' },
} as const satisfies { readonly [K in keyof Required<EbpfAgentOptions>]: Shape };

class Issues {
  readonly list: string[] = [];
  must(path: string, form: string, value: unknown): void {
    this.list.push(`${path} must be ${form}, got ${show(value)}`);
  }
  /** Checks `ok` for a value the user gave (undefined means the default, already valid). */
  check(path: string, value: unknown, ok: boolean, form: string): void {
    if (value !== undefined && !ok) this.must(path, form, value);
  }
}

/** Defaults, then validation. @throws SpecValidationError listing every problem. */
export function resolveOptions(options: EbpfAgentOptions = {}): ResolvedEbpfAgentOptions {
  const issues = new Issues();
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new SpecValidationError([`options must be a mapping of socktap options, got ${show(options)}`]);
  }
  checkShape(options, SHAPE, '', issues);
  const resolved = applyDefaults(options);
  checkValues(resolved, options, issues);
  checkAgentConfig(resolved, issues);
  if (issues.list.length > 0) throw new SpecValidationError(issues.list);
  return resolved;
}

function checkShape(value: unknown, shape: Shape, path: string, issues: Issues): void {
  if (shape === 'leaf' || value === undefined) return;
  const where = path === '' ? 'options' : path;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    issues.must(where, shape === 'map' ? 'a mapping of names to strings' : `a mapping with keys ${Object.keys(shape).join(', ')}`, value);
    return;
  }
  for (const [key, child] of Object.entries(value as Record<string, unknown>)) {
    const childPath = path === '' ? key : `${path}.${key}`;
    if (shape === 'map') {
      if (typeof child !== 'string') issues.must(childPath, 'a string', child);
      continue;
    }
    const childShape = shape[key];
    if (childShape === undefined) {
      const guess = closest(key, Object.keys(shape));
      const hint = guess === undefined ? `one of ${Object.keys(shape).join(', ')}` : `a known option (did you mean ${guess}?)`;
      issues.list.push(`${childPath} must be ${hint.startsWith('one of') ? `a known option, ${hint}` : hint}, got an unknown option`);
      continue;
    }
    checkShape(child, childShape, childPath, issues);
  }
}

const isBool = (v: unknown) => typeof v === 'boolean';
const isText = (v: unknown) => typeof v === 'string' && v !== '' && !/[\0\r\n]/.test(v);

function checkValues(r: ResolvedEbpfAgentOptions, raw: EbpfAgentOptions, issues: Issues): void {
  // Suffixes `-config` and `-token` are appended; keep every derived name a valid label.
  issues.check('name', raw.name, isDnsLabel(r.name, 56), 'a DNS label of at most 56 characters (a-z, 0-9, -)');
  issues.check('namespace.name', raw.namespace?.name, isDnsLabel(r.namespace.name), 'a DNS label (a-z, 0-9, -; at most 63)');
  issues.check('namespace.create', raw.namespace?.create, isBool(r.namespace.create), 'true or false');
  checkLabels('labels', r.labels, issues);
  checkLabels('namespace.labels', r.namespace.labels, issues);
  checkAnnotationKeys('annotations', r.annotations, issues);
  checkAnnotationKeys('namespace.annotations', r.namespace.annotations, issues);

  issues.check('token', raw.token, isText(r.token), 'a non-empty string without line breaks');
  if (raw.tokenSecretRef !== undefined) {
    if (!isDnsSubdomain(r.tokenSecretRef?.name)) issues.must('tokenSecretRef.name', 'the name of a Secret (a DNS subdomain)', r.tokenSecretRef?.name);
    issues.check('tokenSecretRef.key', raw.tokenSecretRef?.key, isSecretKey(r.tokenSecretRef?.key), 'a Secret key (letters, digits, -._)');
  }
  if (raw.token !== undefined && raw.tokenSecretRef !== undefined) {
    issues.list.push('token must be left unset when tokenSecretRef is given (the token comes from one place), got both');
  }
  issues.check('environment', raw.environment, isText(r.environment), 'a non-empty string without line breaks');

  const m = r.mirroring;
  issues.check('mirroring.enabled', raw.mirroring?.enabled, isBool(m.enabled), 'true or false');
  issues.check('mirroring.allNamespaces', raw.mirroring?.allNamespaces, isBool(m.allNamespaces), 'true or false');
  if (m.enabled === false && m.allNamespaces === true) {
    issues.list.push('mirroring.allNamespaces must be false when mirroring.enabled is false (nothing is mirrored then), got true');
  }
  for (const key of ['namespaceLabel', 'podEnabledAnnotation', 'podModeAnnotation', 'namespaceModeAnnotation'] as const) {
    issues.check(`mirroring.${key}`, raw.mirroring?.[key], isQualifiedName(m[key]), 'a label or annotation key like example.com/name');
  }

  issues.check('exporters.uds.path', raw.exporters?.uds?.path, typeof r.exporters.uds.path !== 'string' || !r.exporters.uds.path.startsWith('/') || (socketDirectory(r.exporters.uds.path) !== '/' && !r.exporters.uds.path.split('/').includes('..')), 'a socket path in a directory other than / (the directory is mounted from the host), without ..');
  issues.check('metrics.port', raw.metrics?.port, Number.isInteger(r.metrics.port) && r.metrics.port >= 1 && r.metrics.port <= 65535, 'a port from 1 to 65535');

  checkSecurity(r, raw, issues);

  issues.check('image', raw.image, isImageReference(r.image), 'an image reference like ghcr.io/socktap/socktap:0.1.0');
  issues.check('imagePullPolicy', raw.imagePullPolicy, ['Always', 'IfNotPresent', 'Never'].includes(r.imagePullPolicy), 'one of Always, IfNotPresent, Never');
  checkList('imagePullSecrets', r.imagePullSecrets, isDnsSubdomain, 'the name of a Secret (a DNS subdomain)', issues);
  checkList('args', r.args, (v) => typeof v === 'string', 'a string', issues);
  // Values were checked by the shape check (strings); here the names.
  for (const name of Object.keys(r.env)) {
    if (!isEnvName(name)) issues.must(`env.${name}`, 'named with letters, digits, -._ (not starting with a digit)', name);
    else if (RESERVED_ENV.includes(name)) issues.must(`env.${name}`, `a variable socktap does not set itself (it sets ${RESERVED_ENV.join(', ')})`, name);
  }

  checkResources(r, issues);
  checkLabels('nodeSelector', r.nodeSelector, issues);
  checkTolerations(r.tolerations, issues);
  issues.check('scheduleOnControlPlane', raw.scheduleOnControlPlane, isBool(r.scheduleOnControlPlane), 'true or false');
  issues.check('priorityClassName', raw.priorityClassName, isDnsSubdomain(r.priorityClassName), 'the name of a PriorityClass (a DNS subdomain)');

  const s = r.updateStrategy;
  issues.check('updateStrategy.type', raw.updateStrategy?.type, s.type === 'RollingUpdate' || s.type === 'OnDelete', 'one of RollingUpdate, OnDelete');
  issues.check('updateStrategy.maxUnavailable', raw.updateStrategy?.maxUnavailable, isCountOrPercent(s.maxUnavailable), 'a count (0 or more) or a percentage like 25%');
  issues.check('updateStrategy.maxSurge', raw.updateStrategy?.maxSurge, isCountOrPercent(s.maxSurge), 'a count (0 or more) or a percentage like 25%');
  if (isCountOrPercent(s.maxUnavailable) && isCountOrPercent(s.maxSurge) && isZeroCount(s.maxUnavailable) && isZeroCount(s.maxSurge)) {
    issues.list.push(`updateStrategy.maxUnavailable must be more than 0 when updateStrategy.maxSurge is 0 (else no pod can be replaced), got ${show(s.maxUnavailable)}`);
  }
  issues.check('probes.enabled', raw.probes?.enabled, isBool(r.probes.enabled), 'true or false');
}

function checkSecurity(r: ResolvedEbpfAgentOptions, raw: EbpfAgentOptions, issues: Issues): void {
  const mode = r.security.mode;
  issues.check('security.mode', raw.security?.mode, mode === 'privileged' || mode === 'capabilities', 'one of privileged, capabilities');
  const given = asRecord(raw.security).capabilities;
  if (given === undefined) return;
  if (mode === 'privileged') {
    issues.must('security.capabilities', 'left unset when security.mode is privileged (a privileged container has every capability)', given);
    return;
  }
  if (typeof given === 'string') {
    issues.check('security.capabilities', given, given === 'default' || given === 'least-privilege', 'default, least-privilege or a list of capability names');
    return;
  }
  if (!Array.isArray(given) || given.length === 0) {
    issues.must('security.capabilities', 'default, least-privilege or a non-empty list of capability names', given);
    return;
  }
  checkList('security.capabilities', given, isCapabilityName, 'a capability name without CAP_, like BPF or SYS_PTRACE', issues);
  if (!given.includes('BPF') && !given.includes('SYS_ADMIN')) {
    issues.must('security.capabilities', 'a list holding BPF or SYS_ADMIN (loading BPF programs needs one of them)', given);
  }
}

function checkResources(r: ResolvedEbpfAgentOptions, issues: Issues): void {
  for (const kind of ['requests', 'limits'] as const) {
    for (const resource of ['cpu', 'memory'] as const) {
      const value = r.resources[kind][resource];
      issues.check(`resources.${kind}.${resource}`, value, quantityValue(value) !== undefined, `a quantity like ${DEFAULTS[kind][resource]}`);
    }
  }
  for (const resource of ['cpu', 'memory'] as const) {
    const request = quantityValue(r.resources.requests[resource]);
    const limit = quantityValue(r.resources.limits[resource]);
    if (request !== undefined && limit !== undefined && request > limit) {
      issues.must(`resources.requests.${resource}`, `at most resources.limits.${resource} (${r.resources.limits[resource]})`, r.resources.requests[resource]);
    }
  }
}

function checkTolerations(list: unknown, issues: Issues): void {
  if (!Array.isArray(list)) {
    issues.must('tolerations', 'a list of tolerations', list);
    return;
  }
  list.forEach((t: unknown, i) => {
    const path = `tolerations[${i}]`;
    if (t === null || typeof t !== 'object' || Array.isArray(t)) return issues.must(path, 'a mapping with key, operator, value, effect, tolerationSeconds', t);
    const tol = t as Record<string, unknown>;
    for (const key of Object.keys(tol)) {
      if (!['key', 'operator', 'value', 'effect', 'tolerationSeconds'].includes(key)) issues.must(`${path}.${key}`, 'one of key, operator, value, effect, tolerationSeconds', key);
    }
    issues.check(`${path}.key`, tol.key, isQualifiedName(tol.key), 'a node taint key');
    issues.check(`${path}.operator`, tol.operator, tol.operator === 'Exists' || tol.operator === 'Equal', 'one of Exists, Equal');
    issues.check(`${path}.effect`, tol.effect, ['NoSchedule', 'PreferNoSchedule', 'NoExecute'].includes(tol.effect as string), 'one of NoSchedule, PreferNoSchedule, NoExecute');
    issues.check(`${path}.value`, tol.value, isLabelValue(tol.value), 'a taint value (at most 63 letters, digits, -_.)');
    if (tol.operator === 'Exists' && tol.value !== undefined && tol.value !== '') issues.must(`${path}.value`, 'empty when operator is Exists', tol.value);
    if (tol.key === undefined && tol.operator === 'Equal') issues.must(`${path}.operator`, 'Exists when no key is given (it then matches every taint)', tol.operator);
    issues.check(`${path}.tolerationSeconds`, tol.tolerationSeconds, Number.isInteger(tol.tolerationSeconds), 'a whole number of seconds');
    if (tol.tolerationSeconds !== undefined && tol.effect !== 'NoExecute') issues.must(`${path}.tolerationSeconds`, 'left unset unless effect is NoExecute', tol.tolerationSeconds);
  });
}

function checkLabels(path: string, labels: Readonly<Record<string, string>>, issues: Issues): void {
  for (const [key, value] of Object.entries(labels)) {
    if (!isQualifiedName(key)) issues.must(`${path}.${key}`, 'named with a label key like example.com/name', key);
    else if (typeof value === 'string' && !isLabelValue(value)) issues.must(`${path}.${key}`, 'a label value (at most 63 letters, digits, -_., alphanumeric at both ends)', value);
  }
}

function checkAnnotationKeys(path: string, annotations: Readonly<Record<string, string>>, issues: Issues): void {
  for (const key of Object.keys(annotations)) {
    if (!isQualifiedName(key)) issues.must(`${path}.${key}`, 'named with an annotation key like example.com/name', key);
  }
}

function checkList(path: string, list: unknown, ok: (v: unknown) => boolean, form: string, issues: Issues): void {
  if (!Array.isArray(list)) return issues.must(path, `a list of ${form.replace(/^an? /, '')}s`, list);
  list.forEach((v, i) => issues.check(`${path}[${i}]`, v, ok(v), form));
}

/**
 * Runs the agent's schema over the config the options produce and renames each issue's config key
 * to the option that set it: `max_body_bytes must be ...` becomes `maxBodyBytes must be ...`.
 */
function checkAgentConfig(r: ResolvedEbpfAgentOptions, issues: Issues): void {
  const port = Number.isInteger(r.metrics.port) && r.metrics.port >= 1 && r.metrics.port <= 65535 ? r.metrics.port : DEFAULTS.metricsPort;
  const result = AgentConfigSchema.safeParse(agentConfigInput({ ...r, metrics: { port } }));
  if (result.success) return;
  for (const issue of result.error.issues) {
    const optionPath = optionPathFor(issue.path);
    if (issue.code === 'unrecognized_keys') {
      issues.list.push(`${optionPath} must hold only keys the agent knows, got ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}`);
      continue;
    }
    // The already-reported checks of the same values (uds path) are not repeated.
    if (issues.list.some((line) => line.startsWith(`${optionPath} must`))) continue;
    issues.list.push(`${optionPath} ${issue.message}`);
  }
}

/** `['redact_headers', 2]` -> `redactHeaders[2]`; the longest mapped prefix decides. */
export function optionPathFor(configPath: readonly PropertyKey[]): string {
  for (let n = configPath.length; n > 0; n--) {
    const option = OPTION_FOR_CONFIG_KEY[formatPath(configPath.slice(0, n))];
    if (option !== undefined) return option + configPath.slice(n).map((s) => (typeof s === 'number' ? `[${s}]` : `.${String(s)}`)).join('');
  }
  return `agentConfig.${formatPath(configPath)}`;
}
