/** Options -> defaults -> validation -> the normalized Kubernetes objects. */
import { resolveOptions } from './validate';
import type { EbpfAgentOptions } from './options';
import type { AgentObjects } from './kube';
import { renderAgentConfig } from './agent-config';
import { renderNamespace } from './namespace';
import { renderClusterRole, renderClusterRoleBinding, renderServiceAccount } from './rbac';
import { renderConfigMap, renderSecret } from './config-objects';
import { renderDaemonSet } from './daemonset';

/** @throws SpecValidationError listing every invalid option. */
export function renderAgentObjects(options: EbpfAgentOptions = {}): AgentObjects {
  const r = resolveOptions(options);
  const configYaml = renderAgentConfig(r);
  const objects: AgentObjects = {
    serviceAccount: renderServiceAccount(r),
    clusterRole: renderClusterRole(r),
    clusterRoleBinding: renderClusterRoleBinding(r),
    configMap: renderConfigMap(r, configYaml),
    daemonSet: renderDaemonSet(r, configYaml),
  };
  const namespace = renderNamespace(r);
  if (namespace !== undefined) objects.namespace = namespace;
  const secret = renderSecret(r);
  if (secret !== undefined) objects.secret = secret;
  // A JSON round trip guarantees plain data: no undefined, no shared references between objects.
  return JSON.parse(JSON.stringify(objects)) as AgentObjects;
}
