/** Validates rendered objects against the Kubernetes OpenAPI schema (kubernetes-models). */
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Secret } from 'kubernetes-models/v1/Secret';
import { ClusterRole } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRole';
import { ClusterRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRoleBinding';
import { DaemonSet } from 'kubernetes-models/apps/v1/DaemonSet';
import type { KubeObject } from '../../infra/spec';

const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  Namespace: Namespace as never,
  ServiceAccount: ServiceAccount as never,
  ConfigMap: ConfigMap as never,
  Secret: Secret as never,
  ClusterRole: ClusterRole as never,
  ClusterRoleBinding: ClusterRoleBinding as never,
  DaemonSet: DaemonSet as never,
};

/** @throws when the object does not match its kind's schema (or the kind is unknown here). */
export function validateKubeObject(obj: KubeObject): void {
  const Model = MODELS[obj.kind];
  if (Model === undefined) throw new Error(`no schema model for kind ${obj.kind}`);
  new Model(structuredClone(obj) as never).validate();
}
