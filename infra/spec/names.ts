/** Object names and labels, decided here once so every renderer and adapter agrees. */
import type { ResolvedEbpfAgentOptions } from './defaults';
import { SOCKTAP_VERSION } from './version';

export function objectNames(r: ResolvedEbpfAgentOptions) {
  return {
    serviceAccount: r.name,
    // Cluster-scoped: two installations in different namespaces need different `name`s.
    clusterRole: r.name,
    clusterRoleBinding: r.name,
    configMap: `${r.name}-config`,
    secret: `${r.name}-token`,
    daemonSet: r.name,
  };
}

/** The DaemonSet selector. Immutable once applied, so it holds only what never changes. */
export function selectorLabels(r: ResolvedEbpfAgentOptions): Record<string, string> {
  return { 'app.kubernetes.io/name': 'socktap', 'app.kubernetes.io/instance': r.name };
}

/**
 * Labels on every object. No `managed-by`: it would differ between Pulumi and CDKTF, and the two
 * must render the same objects.
 */
export function commonLabels(r: ResolvedEbpfAgentOptions): Record<string, string> {
  return {
    ...r.labels,
    ...selectorLabels(r),
    'app.kubernetes.io/component': 'ebpf-agent',
    'app.kubernetes.io/part-of': 'socktap',
    'app.kubernetes.io/version': SOCKTAP_VERSION,
  };
}

/** Metadata of an object; `annotations` only when there are some, so manifests stay minimal. */
export function metadata(
  r: ResolvedEbpfAgentOptions,
  name: string,
  scope: 'namespaced' | 'cluster',
): { name: string; namespace?: string; labels: Record<string, string>; annotations?: Record<string, string> } {
  return {
    name,
    ...(scope === 'namespaced' ? { namespace: r.namespace.name } : {}),
    labels: commonLabels(r),
    ...(Object.keys(r.annotations).length > 0 ? { annotations: { ...r.annotations } } : {}),
  };
}
