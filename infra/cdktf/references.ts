/**
 * Where one socktap object names another. The CDKTF construct turns these names into references
 * to the other resource, which gives Terraform its apply order (namespace first, the DaemonSet
 * after what it mounts). `depends_on` would say the same, but cdktf's HCL synthesis writes it as
 * quoted strings, which Terraform rejects; references work in JSON and HCL alike.
 */

/** A path in a Kubernetes object; `*` stands for every item of a list. */
export interface ObjectReference {
  /** Kind of the referring object; `*` for every namespaced kind. */
  readonly from: string;
  readonly path: readonly string[];
  /** Kind of the object named there. */
  readonly to: string;
}

export const OBJECT_REFERENCES: readonly ObjectReference[] = [
  { from: '*', path: ['metadata', 'namespace'], to: 'Namespace' },
  { from: 'ClusterRoleBinding', path: ['roleRef', 'name'], to: 'ClusterRole' },
  { from: 'ClusterRoleBinding', path: ['subjects', '*', 'name'], to: 'ServiceAccount' },
  { from: 'ClusterRoleBinding', path: ['subjects', '*', 'namespace'], to: 'Namespace' },
  { from: 'DaemonSet', path: ['spec', 'template', 'spec', 'serviceAccountName'], to: 'ServiceAccount' },
  { from: 'DaemonSet', path: ['spec', 'template', 'spec', 'volumes', '*', 'configMap', 'name'], to: 'ConfigMap' },
  {
    from: 'DaemonSet',
    path: ['spec', 'template', 'spec', 'containers', '*', 'env', '*', 'valueFrom', 'secretKeyRef', 'name'],
    to: 'Secret',
  },
];

/**
 * A copy of `object` where every name of a `targets` object at a known reference path is
 * replaced by `targets[kind].reference`. Names that do not match (a user's own Secret) stay.
 */
export function linkReferences<T>(
  kind: string,
  object: T,
  targets: ReadonlyMap<string, { readonly name: string; readonly reference: string }>,
): T {
  let out = structuredCloneJson(object);
  for (const ref of OBJECT_REFERENCES) {
    if (ref.from !== '*' && ref.from !== kind) continue;
    const target = targets.get(ref.to);
    if (target === undefined || ref.to === kind) continue;
    out = replaceAt(out, ref.path, (value) => (value === target.name ? target.reference : value)) as T;
  }
  return out;
}

function replaceAt(node: unknown, path: readonly string[], fn: (value: unknown) => unknown): unknown {
  if (path.length === 0) return fn(node);
  const [head, ...rest] = path;
  if (head === '*') return Array.isArray(node) ? node.map((item) => replaceAt(item, rest, fn)) : node;
  if (node === null || typeof node !== 'object' || Array.isArray(node) || !(head in node)) return node;
  return { ...(node as Record<string, unknown>), [head]: replaceAt((node as Record<string, unknown>)[head], rest, fn) };
}

/** Objects here may hold cdktf tokens (class instances): copy plain containers only, share the rest. */
function structuredCloneJson<T>(value: T): T {
  if (Array.isArray(value)) return value.map(structuredCloneJson) as T;
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, structuredCloneJson(v)])) as T;
  }
  return value;
}
