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
  const namespace = renderNamespace(r);
  const secret = renderSecret(r);
  const objects: AgentObjects = {
    ...(namespace === undefined ? {} : { namespace }),
    serviceAccount: renderServiceAccount(r),
    clusterRole: renderClusterRole(r),
    clusterRoleBinding: renderClusterRoleBinding(r),
    configMap: renderConfigMap(r, configYaml),
    ...(secret === undefined ? {} : { secret }),
    daemonSet: renderDaemonSet(r, configYaml),
  };
  // A JSON round trip guarantees plain data: no undefined, no shared references between objects.
  return JSON.parse(JSON.stringify(objects)) as AgentObjects;
}
