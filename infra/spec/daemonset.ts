/**
 * The agent DaemonSet: one pod per node.
 *
 * hostPID stays false. The agent never needs the host PID namespace: BPF reports host tgids, and
 * everything it reads about a process comes from the host's /proc, mounted read-only at
 * /hostproc (`proc_fs_path`). Sharing the host PID namespace would additionally let the agent
 * signal and ptrace-attach to every process on the node, which it has no use for.
 */
import type { ResolvedEbpfAgentOptions } from './defaults';
import type { KubeObject } from './kube';
import { fingerprint } from './hash';
import { commonLabels, metadata, objectNames, selectorLabels } from './names';
import { containerSecurityContext } from './security-context';
import { containerVolumeMounts, podVolumes } from './volumes';
import { nodeAffinity, tolerations, updateStrategy } from './scheduling';
import { containerEnv } from './container-env';

export const CONTAINER_NAME = 'agent';
export const METRICS_PORT_NAME = 'metrics';
/** Pod template annotation holding a fingerprint of the config, so a config change rolls the pods. */
export const CONFIG_HASH_ANNOTATION = 'socktap.dev/config-hash';

function probes(r: ResolvedEbpfAgentOptions): Record<string, unknown> {
  if (r.probes.enabled !== true) return {};
  // Liveness is lenient (the agent may pause while loading BPF programs on a busy node);
  // readiness reports when capture is attached.
  return {
    livenessProbe: { httpGet: { path: '/healthz', port: METRICS_PORT_NAME }, initialDelaySeconds: 10, periodSeconds: 10, timeoutSeconds: 2, failureThreshold: 3 },
    readinessProbe: { httpGet: { path: '/readyz', port: METRICS_PORT_NAME }, initialDelaySeconds: 2, periodSeconds: 5, timeoutSeconds: 2, failureThreshold: 3 },
  };
}

function container(r: ResolvedEbpfAgentOptions): Record<string, unknown> {
  return {
    name: CONTAINER_NAME,
    image: r.image,
    imagePullPolicy: r.imagePullPolicy,
    args: [...r.args],
    env: containerEnv(r),
    ports: [{ name: METRICS_PORT_NAME, containerPort: r.metrics.port, protocol: 'TCP' }],
    resources: {
      requests: { ...r.resources.requests },
      limits: { ...r.resources.limits },
    },
    securityContext: containerSecurityContext(r),
    volumeMounts: containerVolumeMounts(r),
    ...probes(r),
  };
}

export function renderDaemonSet(r: ResolvedEbpfAgentOptions, configYaml: string): KubeObject {
  const names = objectNames(r);
  const podSpec: Record<string, unknown> = {
    serviceAccountName: names.serviceAccount,
    hostPID: false,
    ...(r.priorityClassName === undefined ? {} : { priorityClassName: r.priorityClassName }),
    ...(Object.keys(r.nodeSelector).length === 0 ? {} : { nodeSelector: { ...r.nodeSelector } }),
    affinity: nodeAffinity(r),
    tolerations: tolerations(r),
    ...(r.imagePullSecrets.length === 0 ? {} : { imagePullSecrets: r.imagePullSecrets.map((name) => ({ name })) }),
    // Enough for the agent to flush queued exchanges and detach its programs on SIGTERM.
    terminationGracePeriodSeconds: 30,
    containers: [container(r)],
    volumes: podVolumes(r),
  };
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: metadata(r, names.daemonSet, 'namespaced'),
    spec: {
      selector: { matchLabels: selectorLabels(r) },
      updateStrategy: updateStrategy(r),
      template: {
        metadata: { labels: commonLabels(r), annotations: { [CONFIG_HASH_ANNOTATION]: fingerprint(configYaml) } },
        spec: podSpec,
      },
    },
  };
}
