/** The plain Kubernetes objects the spec produces, and the order they are applied in. */

/** A Kubernetes manifest as plain JSON: no `undefined` anywhere, ready for kubectl or an IaC adapter. */
export type KubeObject = {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  [field: string]: unknown;
};

/**
 * Everything one socktap installation consists of. `namespace` exists exactly when
 * `namespace.create` is true (the default); `secret` exists exactly when `token` is given.
 */
export interface AgentObjects {
  namespace?: KubeObject;
  serviceAccount: KubeObject;
  clusterRole: KubeObject;
  clusterRoleBinding: KubeObject;
  configMap: KubeObject;
  secret?: KubeObject;
  daemonSet: KubeObject;
}

/**
 * The objects in apply order: the namespace first (everything else lives in it), RBAC and
 * configuration before the DaemonSet that uses them, so `kubectl apply -f` of the list never
 * starts a pod that cannot find its ServiceAccount, ConfigMap or Secret.
 */
export function objectList(objects: AgentObjects): KubeObject[] {
  const ordered = [
    objects.namespace,
    objects.serviceAccount,
    objects.clusterRole,
    objects.clusterRoleBinding,
    objects.configMap,
    objects.secret,
    objects.daemonSet,
  ];
  return ordered.filter((o): o is KubeObject => o !== undefined);
}
