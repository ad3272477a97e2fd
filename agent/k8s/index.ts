/** Kubernetes awareness: mirroring rules, cgroup identity, discovery, decisions, targets. */
export {
  decideMirroring,
  resolveMirroringConfig,
  DEFAULT_MIRRORING_KEYS,
  MIRROR_MODES,
  MIRROR_MODE_NUMBER,
} from './mirroring-rules';
export type { MirrorMode, MirroringKeys, MirroringConfig, MirroringInput, MirroringDecision, ResolvedMirroringConfig } from './mirroring-rules';
export {
  parseCgroupFile,
  parseProcCgroup,
  identifyCgroupPath,
  hostPathCandidates,
  stripNamespacePrefix,
  findCgroupV2Mount,
  cgroupIdOf,
  resolveCgroupId,
} from './cgroup-path';
export type { CgroupEntry, CgroupIdentity, ContainerRuntime, QosClass } from './cgroup-path';
export { scanProcesses, groupByCgroup, scanPodCgroups } from './process-scan';
export type { ProcessCgroup, PodCgroup, PodCgroupScan, UnresolvedProcess, CgroupIdResolver, ScanPodCgroupsOptions } from './process-scan';
export { parseContainerId, serviceForPod, podInfoOf, podInfoKey } from './pod-view';
export type { PodInfo, ContainerRef, PodObject, NamespaceObject, ServiceObject } from './pod-view';
export { PodDiscovery } from './discovery';
export type { PodChange, PodChangeType, PodDiscoveryOptions, DiscoveryStats, BackoffOptions } from './discovery';
export { PodDecisions, computeTargets, addedPodMessage, removedPodMessage } from './pod-decisions';
export type { PodTarget, TargetSet, PodDecision, PodDecisionsOptions } from './pod-decisions';
export { KubernetesTargets } from './kubernetes-targets';
export type { KubernetesTargetsOptions } from './kubernetes-targets';
