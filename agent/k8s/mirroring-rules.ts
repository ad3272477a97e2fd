/**
 * The mirroring rules (DESIGN §3 "Mirroring rules"): which pods are captured and in which mode.
 * One pure function, `decideMirroring`, decides for one pod from its namespace's labels and
 * annotations, its own annotations and the agent config. Nothing else in the agent interprets
 * these labels, so a reader finds every rule, and every conflict, here.
 *
 * Precedence, strongest first:
 *   enabled: namespace label `disabled` > pod annotation `enabled: "false"` >
 *            namespace label `enabled` > `capture_all_namespaces` > off
 *   mode:    pod annotation `mode` > namespace annotation `defaultMode` > config `mode` > ingress
 *
 * Unknown values are never silently guessed at; each one adds a warning and falls back safely:
 *   - an on/off key (namespace label, pod `enabled` annotation) with an unknown value counts as
 *     "off": a typo such as `traceableai-mirror=Disable` or `enabled: "no"` was most likely an
 *     attempt to switch capture off, and capturing traffic nobody opted into is the worse mistake;
 *   - a mode annotation with an unknown value is ignored and the next level decides (namespace
 *     default, then config), because every mode is an opted-in capture and only its extent differs.
 * Values are compared after trimming and lower-casing (`Enabled`, ` egress `), which kubectl users
 * write and the reference agent's Go code would reject only by accident.
 */

/** ingress = connections the pod accepted, egress = connections it opened, all = both. */
export type MirrorMode = 'ingress' | 'egress' | 'all';

export const MIRROR_MODES: readonly MirrorMode[] = ['ingress', 'egress', 'all'];

/**
 * Numbers in the "Added pod to maps" log line. The reference agent documents 0 for ingress and 1
 * for egress; it has no "all", so 2 is ours. Do not renumber: log parsers depend on these.
 */
export const MIRROR_MODE_NUMBER: Readonly<Record<MirrorMode, number>> = { ingress: 0, egress: 1, all: 2 };

/** The label and annotation names the rules read. */
export interface MirroringKeys {
  /** Namespace label; `enabled` or `disabled`. @default 'traceableai-mirror' */
  readonly namespaceLabel: string;
  /** Pod annotation; `"false"` switches a pod off. @default 'mirror.traceable.ai/enabled' */
  readonly podEnabledAnnotation: string;
  /** Pod annotation; `ingress`, `egress` or `all`. @default 'mirror.traceable.ai/mode' */
  readonly podModeAnnotation: string;
  /** Namespace annotation; the mode of the namespace's pods. @default 'mirror.traceable.ai/defaultMode' */
  readonly namespaceDefaultModeAnnotation: string;
}

/** The reference agent's names, so clusters already labelled for it keep working. */
export const DEFAULT_MIRRORING_KEYS: MirroringKeys = Object.freeze({
  namespaceLabel: 'traceableai-mirror',
  podEnabledAnnotation: 'mirror.traceable.ai/enabled',
  podModeAnnotation: 'mirror.traceable.ai/mode',
  namespaceDefaultModeAnnotation: 'mirror.traceable.ai/defaultMode',
});

export interface MirroringConfig {
  /** Mirror every namespace not labelled disabled (config `capture_all_namespaces`). @default false */
  readonly captureAllNamespaces?: boolean;
  /** Mode when neither the pod nor its namespace says (config `mode`). @default 'ingress' */
  readonly defaultMode?: MirrorMode;
  /** Label and annotation names. @default DEFAULT_MIRRORING_KEYS */
  readonly keys?: Partial<MirroringKeys>;
}

/** What the rules read about one pod. Absent maps are empty maps (the API omits empty ones). */
export interface MirroringInput {
  readonly namespaceLabels?: Readonly<Record<string, string>> | null;
  readonly namespaceAnnotations?: Readonly<Record<string, string>> | null;
  readonly podAnnotations?: Readonly<Record<string, string>> | null;
}

export interface MirroringDecision {
  readonly enabled: boolean;
  /** Decided even when disabled, so the log line shows what would apply. */
  readonly mode: MirrorMode;
  /** One entry per unknown value, naming the key, the value and the fallback taken. */
  readonly warnings: string[];
}

/** The config with every default applied: the one place defaults are set. */
export interface ResolvedMirroringConfig {
  readonly captureAllNamespaces: boolean;
  readonly defaultMode: MirrorMode;
  readonly keys: MirroringKeys;
}

export function resolveMirroringConfig(config: MirroringConfig = {}): ResolvedMirroringConfig {
  const defaultMode = config.defaultMode ?? 'ingress';
  if (!MIRROR_MODES.includes(defaultMode)) {
    throw new TypeError(`defaultMode must be one of ${MIRROR_MODES.join(', ')}, got ${JSON.stringify(defaultMode)}`);
  }
  const keys = { ...DEFAULT_MIRRORING_KEYS, ...definedOnly(config.keys ?? {}) };
  for (const [name, value] of Object.entries(keys)) {
    if (typeof value !== 'string' || value === '') {
      throw new TypeError(`keys.${name} must be a non-empty string, got ${JSON.stringify(value)}`);
    }
  }
  return { captureAllNamespaces: config.captureAllNamespaces ?? false, defaultMode, keys };
}

export function decideMirroring(input: MirroringInput, config: MirroringConfig = {}): MirroringDecision {
  const { captureAllNamespaces, defaultMode, keys } = resolveMirroringConfig(config);
  const warnings: string[] = [];
  const nsLabels = input.namespaceLabels ?? {};
  const nsAnnotations = input.namespaceAnnotations ?? {};
  const podAnnotations = input.podAnnotations ?? {};

  let enabled = captureAllNamespaces;
  const nsLabel = normalized(nsLabels[keys.namespaceLabel]);
  if (nsLabel === 'enabled') enabled = true;
  else if (nsLabel === 'disabled') enabled = false;
  else if (nsLabel !== undefined) {
    enabled = false;
    warnings.push(unknown('namespace label', keys.namespaceLabel, nsLabels[keys.namespaceLabel], '"enabled" or "disabled"', 'mirroring off for the namespace'));
  }

  // The pod annotation can only switch a pod off: "true" does not pull a pod into a namespace
  // that is not mirrored (the reference agent behaves the same way).
  const podEnabled = normalized(podAnnotations[keys.podEnabledAnnotation]);
  if (podEnabled === 'false') enabled = false;
  else if (podEnabled !== undefined && podEnabled !== 'true') {
    enabled = false;
    warnings.push(unknown('pod annotation', keys.podEnabledAnnotation, podAnnotations[keys.podEnabledAnnotation], '"true" or "false"', 'mirroring off for the pod'));
  }

  let mode = defaultMode;
  const nsMode = modeOf(nsAnnotations[keys.namespaceDefaultModeAnnotation]);
  if (nsMode.mode !== undefined) mode = nsMode.mode;
  else if (nsMode.invalid) {
    warnings.push(unknown('namespace annotation', keys.namespaceDefaultModeAnnotation, nsAnnotations[keys.namespaceDefaultModeAnnotation], MODES_TEXT, `mode ${mode} from the agent config`));
  }
  const podMode = modeOf(podAnnotations[keys.podModeAnnotation]);
  if (podMode.mode !== undefined) mode = podMode.mode;
  else if (podMode.invalid) {
    const from = nsMode.mode !== undefined ? 'the namespace default' : 'the agent config';
    warnings.push(unknown('pod annotation', keys.podModeAnnotation, podAnnotations[keys.podModeAnnotation], MODES_TEXT, `mode ${mode} from ${from}`));
  }

  return { enabled, mode, warnings };
}

const MODES_TEXT = '"ingress", "egress" or "all"';

function normalized(value: string | undefined): string | undefined {
  return typeof value === 'string' ? value.trim().toLowerCase() : undefined;
}

function modeOf(raw: string | undefined): { mode?: MirrorMode; invalid: boolean } {
  const value = normalized(raw);
  if (value === undefined) return { invalid: false };
  return (MIRROR_MODES as readonly string[]).includes(value) ? { mode: value as MirrorMode, invalid: false } : { invalid: true };
}

function unknown(kind: string, key: string, value: string | undefined, expected: string, fallback: string): string {
  return `${kind} ${key} must be ${expected}, got ${JSON.stringify(value)}: using ${fallback}`;
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
