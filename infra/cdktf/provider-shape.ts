/**
 * The one converter between Kubernetes JSON (what the spec renders) and the shape of the
 * @cdktf/provider-kubernetes `*V1` resources, in both directions.
 *
 * The Terraform provider names things its own way: repeated blocks are singular (`container`,
 * `volume_mount`, `toleration`, `port`, `rule`, `subject`), a few fields are renamed
 * (`updateStrategy` is `strategy`, `hostPID` is `host_pid`), int-or-string fields and file modes
 * are strings, and a Secret's `data` is plain text the provider encodes. Everything else is the
 * Kubernetes field in camelCase (props) or snake_case (synthesized JSON). The tables below are the
 * only place these differences are written down; `fromTerraformJson` inverts them so tests can
 * compare what Terraform would apply with what the spec rendered.
 */

type Json = unknown;
type JsonObject = Record<string, Json>;

/** Kubernetes list field -> provider block name, wherever it appears. */
const BLOCK_RENAMES: Readonly<Record<string, string>> = {
  containers: 'container',
  initContainers: 'initContainer',
  volumes: 'volume',
  volumeMounts: 'volumeMount',
  volumeDevices: 'volumeDevice',
  tolerations: 'toleration',
  ports: 'port',
  rules: 'rule',
  subjects: 'subject',
  nodeSelectorTerms: 'nodeSelectorTerm',
  topologySpreadConstraints: 'topologySpreadConstraint',
  readinessGates: 'readinessGate',
  sysctls: 'sysctl',
  httpHeaders: 'httpHeader',
  hostPID: 'hostPid',
  hostIPC: 'hostIpc',
  downwardAPI: 'downwardApi',
  nonResourceURLs: 'nonResourceUrls',
};

/** Top-level renames that only hold for one kind. */
const KIND_RENAMES: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  ServiceAccount: { imagePullSecrets: 'imagePullSecret', secrets: 'secret' },
  // The provider takes plain text in `data` and base64 in `binary_data`; Kubernetes takes plain
  // text in `stringData` and base64 in `data`.
  Secret: { stringData: 'data', data: 'binaryData' },
};

/** Renames below `spec` of a DaemonSet. */
const DAEMONSET_SPEC_RENAMES: Readonly<Record<string, string>> = { updateStrategy: 'strategy' };

/**
 * Fields whose value is a string-keyed map: copied as they are, their keys are data, not field
 * names (a label could be called `ports`).
 */
const MAP_FIELDS = new Set([
  'labels',
  'annotations',
  'matchLabels',
  'nodeSelector',
  'data',
  'stringData',
  'binaryData',
  'limits',
  'requests',
]);

/** Fields the provider types as strings where Kubernetes has an int-or-string or an integer. */
const STRING_FIELDS = new Set(['maxUnavailable', 'maxSurge', 'tolerationSeconds']);
/** `port` is an int-or-string inside probe actions, but a list of port blocks in a container. */
const PROBE_ACTIONS = new Set(['httpGet', 'tcpSocket']);
/** File modes: Kubernetes wants the integer, the provider an octal string such as "0644". */
const MODE_FIELDS = new Set(['defaultMode', 'mode']);

function isPlainObject(value: Json): value is JsonObject {
  return value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype;
}

function invert(table: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(table).map(([k, v]) => [v, k]));
}

/**
 * The provider props for one Kubernetes object (without `apiVersion` and `kind`). Values that are
 * not plain JSON (cdktf tokens, IResolvables) are passed through untouched, so callers may bind
 * fields to Terraform expressions before converting.
 */
export function toProviderConfig(object: { kind: string } & JsonObject): JsonObject {
  const out: JsonObject = {};
  const kindRenames = KIND_RENAMES[object.kind] ?? {};
  for (const [key, value] of Object.entries(object)) {
    if (key === 'apiVersion' || key === 'kind') continue;
    const name = kindRenames[key] ?? BLOCK_RENAMES[key] ?? key;
    if (object.kind === 'DaemonSet' && key === 'spec' && isPlainObject(value)) {
      out[name] = convertObject(value, DAEMONSET_SPEC_RENAMES, undefined);
    } else {
      out[name] = MAP_FIELDS.has(key) ? value : convertValue(value, key);
    }
  }
  return out;
}

function convertObject(object: JsonObject, extraRenames: Readonly<Record<string, string>>, parentKey: string | undefined): JsonObject {
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(object)) {
    const name = extraRenames[key] ?? BLOCK_RENAMES[key] ?? key;
    if (MAP_FIELDS.has(key)) out[name] = value;
    else if (typeof value === 'number' && toStringField(key, parentKey)) out[name] = String(value);
    else if (typeof value === 'number' && MODE_FIELDS.has(key)) out[name] = `0${value.toString(8)}`;
    else out[name] = convertValue(value, key);
  }
  return out;
}

function toStringField(key: string, parentKey: string | undefined): boolean {
  return STRING_FIELDS.has(key) || (key === 'port' && parentKey !== undefined && PROBE_ACTIONS.has(parentKey));
}

function convertValue(value: Json, key: string): Json {
  if (Array.isArray(value)) return value.map((item) => (isPlainObject(item) ? convertObject(item, {}, key) : item));
  if (isPlainObject(value)) return convertObject(value, {}, key);
  return value;
}

// ---------------------------------------------------------------------------------------------
// Back from synthesized Terraform JSON (snake_case) to Kubernetes JSON.

/** Terraform resource type -> Kubernetes apiVersion and kind. */
export const RESOURCE_KINDS: Readonly<Record<string, { apiVersion: string; kind: string }>> = {
  kubernetes_namespace_v1: { apiVersion: 'v1', kind: 'Namespace' },
  kubernetes_service_account_v1: { apiVersion: 'v1', kind: 'ServiceAccount' },
  kubernetes_cluster_role_v1: { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole' },
  kubernetes_cluster_role_binding_v1: { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding' },
  kubernetes_config_map_v1: { apiVersion: 'v1', kind: 'ConfigMap' },
  kubernetes_secret_v1: { apiVersion: 'v1', kind: 'Secret' },
  kubernetes_daemon_set_v1: { apiVersion: 'apps/v1', kind: 'DaemonSet' },
};

/** Terraform meta-arguments and provider-only settings that are not part of the Kubernetes object. */
const TERRAFORM_ONLY = new Set(['depends_on', 'count', 'for_each', 'provider', 'lifecycle', 'wait_for_rollout', 'timeouts']);

const UNRENAME_BLOCKS = invert(BLOCK_RENAMES);
const UNRENAME_DAEMONSET_SPEC = invert(DAEMONSET_SPEC_RENAMES);
const PROVIDER_MAP_FIELDS = new Set([...MAP_FIELDS, 'binaryData']);

function camel(snake: string): string {
  return snake.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/**
 * The Kubernetes object a synthesized `kubernetes_*_v1` resource stands for: the inverse of
 * `toProviderConfig` followed by cdktf's snake_casing.
 */
export function fromTerraformJson(resourceType: string, resource: JsonObject): JsonObject {
  const kind = RESOURCE_KINDS[resourceType];
  if (kind === undefined) throw new Error(`fromTerraformJson: resource type must be one of ${Object.keys(RESOURCE_KINDS).join(', ')}, got ${resourceType}`);
  const unrenameKind = invert(KIND_RENAMES[kind.kind] ?? {});
  const out: JsonObject = { apiVersion: kind.apiVersion, kind: kind.kind };
  for (const [snakeKey, value] of Object.entries(resource)) {
    if (TERRAFORM_ONLY.has(snakeKey)) continue;
    const key = camel(snakeKey);
    const name = unrenameKind[key] ?? UNRENAME_BLOCKS[key] ?? key;
    if (kind.kind === 'DaemonSet' && key === 'spec' && isPlainObject(value)) {
      out[name] = revertObject(value, UNRENAME_DAEMONSET_SPEC, undefined);
    } else {
      out[name] = PROVIDER_MAP_FIELDS.has(key) ? value : revertValue(value, key);
    }
  }
  return out;
}

function revertObject(object: JsonObject, extraUnrenames: Readonly<Record<string, string>>, parentKey: string | undefined): JsonObject {
  const out: JsonObject = {};
  for (const [snakeKey, value] of Object.entries(object)) {
    const key = camel(snakeKey);
    const name = toStringField(key, parentKey) ? key : (extraUnrenames[key] ?? UNRENAME_BLOCKS[key] ?? key);
    if (PROVIDER_MAP_FIELDS.has(key)) out[name] = value;
    else if (typeof value === 'string' && toStringField(key, parentKey)) out[name] = intOrString(value);
    else if (typeof value === 'string' && MODE_FIELDS.has(key)) out[name] = parseInt(value, 8);
    else out[name] = revertValue(value, key);
  }
  return out;
}

function revertValue(value: Json, key: string): Json {
  if (Array.isArray(value)) return value.map((item) => (isPlainObject(item) ? revertObject(item, {}, key) : item));
  if (isPlainObject(value)) return revertObject(value, {}, key);
  return value;
}

/** Kubernetes int-or-string: digits are the integer, anything else ("25%", a port name) the string. */
function intOrString(value: string): number | string {
  return /^\d+$/.test(value) ? Number(value) : value;
}
