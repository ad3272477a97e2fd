/** The agent's namespace, when the spec creates it. */
import type { ResolvedEbpfAgentOptions } from './defaults';
import type { KubeObject } from './kube';
import { commonLabels } from './names';

export function renderNamespace(r: ResolvedEbpfAgentOptions): KubeObject | undefined {
  if (r.namespace.create !== true) return undefined;
  const labels: Record<string, string> = {
    ...r.namespace.labels,
    ...commonLabels(r),
    // The agent needs privileged pods (hostPath mounts, BPF); the Pod Security admission rejects
    // them in namespaces enforcing `baseline` or `restricted`.
    'pod-security.kubernetes.io/enforce': 'privileged',
    // The agent's own traffic (exports to collectors) is not worth capturing, and capturing it
    // with mirroring.allNamespaces would feed every export back into the next one.
    [r.mirroring.namespaceLabel]: 'disabled',
  };
  const annotations = { ...r.annotations, ...r.namespace.annotations };
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: r.namespace.name, labels, ...(Object.keys(annotations).length > 0 ? { annotations } : {}) },
  };
}
