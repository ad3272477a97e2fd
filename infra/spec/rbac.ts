/**
 * Identity and rights: the agent watches pods, namespaces and services cluster-wide to apply the
 * mirroring rules and to name captured traffic. Read-only, nothing more.
 */
import type { ResolvedEbpfAgentOptions } from './defaults';
import type { KubeObject } from './kube';
import { metadata, objectNames } from './names';

export function renderServiceAccount(r: ResolvedEbpfAgentOptions): KubeObject {
  return { apiVersion: 'v1', kind: 'ServiceAccount', metadata: metadata(r, objectNames(r).serviceAccount, 'namespaced') };
}

export function renderClusterRole(r: ResolvedEbpfAgentOptions): KubeObject {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: metadata(r, objectNames(r).clusterRole, 'cluster'),
    rules: [{ apiGroups: [''], resources: ['pods', 'namespaces', 'services'], verbs: ['get', 'list', 'watch'] }],
  };
}

export function renderClusterRoleBinding(r: ResolvedEbpfAgentOptions): KubeObject {
  const names = objectNames(r);
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: metadata(r, names.clusterRoleBinding, 'cluster'),
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: names.clusterRole },
    subjects: [{ kind: 'ServiceAccount', name: names.serviceAccount, namespace: r.namespace.name }],
  };
}
