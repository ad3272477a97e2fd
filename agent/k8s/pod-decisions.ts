/**
 * Pod decisions: discovery's pods + the mirroring rules + the process scan -> what the kernel
 * allow map holds (cgroup ids) and how exchanges are labelled (pod, namespace, service, container,
 * mode). `computeTargets` is the pure join; `PodDecisions` keeps the per-pod decisions, logs each
 * one as the reference agent does, and recomputes the targets on demand.
 *
 * Log lines (DESIGN §3), one per decision that changed what the agent does with a pod:
 *   msg="Added pod to maps. {\"Name\":\"web-1\",\"Namespace\":\"shop\",\"Service\":\"web\",\"Enabled\":true,\"Mode\":0}"
 *   msg="Removed pod from maps. {\"Name\":\"web-1\",\"Namespace\":\"shop\"}"
 * Like the reference, disabled pods are "added" too, with `"Enabled":false`: the line says the agent
 * saw the pod and decided. `Service` is "" when no service selects the pod (the reference's Go
 * string). Mode numbers: MIRROR_MODE_NUMBER (0 ingress, 1 egress, 2 all).
 */
import type { Logger } from '../log/logger';
import type { PodChange } from './discovery';
import { decideMirroring, MIRROR_MODE_NUMBER, resolveMirroringConfig, type MirroringConfig, type MirroringDecision, type MirrorMode, type ResolvedMirroringConfig } from './mirroring-rules';
import type { PodInfo } from './pod-view';
import type { PodCgroupScan } from './process-scan';

/** What an exchange from a targeted process is labelled with. */
export interface PodTarget {
  readonly cgroupId: bigint;
  readonly mode: MirrorMode;
  readonly podUid: string;
  readonly pod: string;
  readonly namespace: string;
  readonly service: string | null;
  /** 64 hex digits; null for a pod-level cgroup (no container below it). */
  readonly containerId: string | null;
  /** From the pod's status; null while the status does not list the container yet. */
  readonly containerName: string | null;
  readonly pids: readonly number[];
}

export interface TargetSet {
  /** For Tracer.setTargets({ cgroupIds }). Ascending. */
  readonly cgroupIds: bigint[];
  readonly byCgroupId: ReadonlyMap<bigint, PodTarget>;
  /** For labelling records, which carry the pid. */
  readonly byPid: ReadonlyMap<number, PodTarget>;
  /**
   * Processes of enabled pods whose cgroup has no v2 id here (v1-only host): the caller may
   * target them by pid instead. Ascending.
   */
  readonly fallbackPids: number[];
}

export interface PodDecision {
  readonly pod: PodInfo;
  readonly decision: MirroringDecision;
}

/** Joins decided pods with a process scan. CRI-O's conmon is never a target. */
export function computeTargets(decisions: Iterable<PodDecision>, scan: PodCgroupScan): TargetSet {
  const enabled = new Map<string, PodDecision>();
  for (const d of decisions) if (d.decision.enabled) enabled.set(d.pod.uid, d);
  const byCgroupId = new Map<bigint, PodTarget>();
  const byPid = new Map<number, PodTarget>();
  for (const cg of scan.cgroups) {
    const d = enabled.get(cg.podUid);
    if (d === undefined || cg.conmon === true) continue;
    const target: PodTarget = {
      cgroupId: cg.cgroupId,
      mode: d.decision.mode,
      podUid: d.pod.uid,
      pod: d.pod.name,
      namespace: d.pod.namespace,
      service: d.pod.service,
      containerId: cg.containerId ?? null,
      containerName: d.pod.containers.find((c) => c.id === cg.containerId)?.name ?? null,
      pids: cg.pids,
    };
    byCgroupId.set(cg.cgroupId, target);
    for (const pid of cg.pids) byPid.set(pid, target);
  }
  const fallbackPids = scan.unresolved.filter((p) => enabled.has(p.podUid)).map((p) => p.pid).sort((a, b) => a - b);
  return { cgroupIds: [...byCgroupId.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)), byCgroupId, byPid, fallbackPids };
}

/** The JSON of the "Added pod to maps." line, keys in the reference's order. */
export function addedPodMessage(pod: PodInfo, decision: MirroringDecision): string {
  const body = { Name: pod.name, Namespace: pod.namespace, Service: pod.service ?? '', Enabled: decision.enabled, Mode: MIRROR_MODE_NUMBER[decision.mode] };
  return `Added pod to maps. ${JSON.stringify(body)}`;
}

export function removedPodMessage(pod: PodInfo): string {
  return `Removed pod from maps. ${JSON.stringify({ Name: pod.name, Namespace: pod.namespace })}`;
}

export interface PodDecisionsOptions {
  /** Rule config: capture_all_namespaces, mode, label/annotation keys. */
  readonly rules?: MirroringConfig;
  readonly logger?: Logger;
}

export class PodDecisions {
  private readonly rules: ResolvedMirroringConfig;
  private readonly logger?: Logger;
  private readonly decided = new Map<string, PodDecision & { logged: string; warned: string }>();

  constructor(options: PodDecisionsOptions = {}) {
    this.rules = resolveMirroringConfig(options.rules);
    this.logger = options.logger;
  }

  /** Applies one discovery change; returns true when the decision for the pod changed. */
  apply(change: PodChange): boolean {
    const { pod } = change;
    const prev = this.decided.get(pod.uid);
    if (change.type === 'removed') {
      if (prev === undefined) return false;
      this.decided.delete(pod.uid);
      this.logger?.info(removedPodMessage(prev.pod));
      return prev.decision.enabled;
    }
    const decision = decideMirroring(
      { namespaceLabels: pod.namespaceLabels, namespaceAnnotations: pod.namespaceAnnotations, podAnnotations: pod.annotations },
      this.rules,
    );
    const logged = addedPodMessage(pod, decision);
    const warned = decision.warnings.join('\n');
    if (warned !== '' && warned !== prev?.warned) {
      for (const w of decision.warnings) this.logger?.warn(w, { pod: `${pod.namespace}/${pod.name}` });
    }
    // Containers starting also arrive as updates: re-log only when the line would differ.
    if (logged !== prev?.logged) this.logger?.info(logged);
    this.decided.set(pod.uid, { pod, decision, logged, warned });
    return prev === undefined ? decision.enabled : prev.decision.enabled !== decision.enabled || prev.decision.mode !== decision.mode || prev.pod.service !== pod.service;
  }

  decision(podUid: string): PodDecision | undefined {
    const d = this.decided.get(podUid);
    return d === undefined ? undefined : { pod: d.pod, decision: d.decision };
  }

  /** Every pod decided, enabled or not. */
  decisions(): PodDecision[] {
    return [...this.decided.values()].map((d) => ({ pod: d.pod, decision: d.decision }));
  }

  /** The targets for a process scan taken now. */
  targets(scan: PodCgroupScan): TargetSet {
    return computeTargets(this.decided.values(), scan);
  }
}
