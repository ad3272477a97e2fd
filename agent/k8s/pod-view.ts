/**
 * What the agent needs to know about one pod, resolved from the API objects: the pod, its
 * namespace (labels and annotations feed the mirroring rules) and the service selecting it.
 * Pure functions over plain objects, so they work on the library's model classes (list results)
 * and on raw JSON (watch events) alike.
 */
import type { ContainerRuntime } from './cgroup-path';

type StringMap = Readonly<Record<string, string>>;

/** The fields read from a Pod (a subset of V1Pod). */
export interface PodObject {
  readonly metadata?: { readonly uid?: string; readonly name?: string; readonly namespace?: string; readonly labels?: StringMap; readonly annotations?: StringMap };
  readonly spec?: { readonly nodeName?: string };
  readonly status?: {
    readonly phase?: string;
    readonly containerStatuses?: readonly ContainerStatusObject[];
    readonly initContainerStatuses?: readonly ContainerStatusObject[];
    readonly ephemeralContainerStatuses?: readonly ContainerStatusObject[];
  };
}

interface ContainerStatusObject {
  readonly name?: string;
  readonly containerID?: string;
}

/** The fields read from a Namespace. */
export interface NamespaceObject {
  readonly metadata?: { readonly name?: string; readonly labels?: StringMap; readonly annotations?: StringMap };
}

/** The fields read from a Service. */
export interface ServiceObject {
  readonly metadata?: { readonly name?: string; readonly namespace?: string };
  readonly spec?: { readonly selector?: StringMap };
}

export interface ContainerRef {
  readonly name: string;
  /** 64 hex digits, without the `<runtime>://` prefix. */
  readonly id: string;
  readonly runtime: ContainerRuntime;
}

export interface PodInfo {
  readonly uid: string;
  readonly name: string;
  readonly namespace: string;
  readonly nodeName: string;
  readonly phase: string;
  readonly labels: StringMap;
  readonly annotations: StringMap;
  readonly namespaceLabels: StringMap;
  readonly namespaceAnnotations: StringMap;
  /** Name of the service selecting the pod, or null. */
  readonly service: string | null;
  /** Containers that have started (status carries their ids). */
  readonly containers: readonly ContainerRef[];
}

const RUNTIME_SCHEME: Readonly<Record<string, ContainerRuntime>> = { containerd: 'containerd', 'cri-o': 'cri-o', docker: 'docker' };

/** `containerd://<id>` -> { id, runtime }; undefined for a container not started yet. */
export function parseContainerId(containerID: string | undefined): { id: string; runtime: ContainerRuntime } | undefined {
  if (containerID === undefined || containerID === '') return undefined;
  const sep = containerID.indexOf('://');
  if (sep < 0) return { id: containerID, runtime: 'unknown' };
  return { id: containerID.slice(sep + 3), runtime: RUNTIME_SCHEME[containerID.slice(0, sep)] ?? 'unknown' };
}

/**
 * The service whose selector matches the pod's labels, in the pod's namespace. A service with no
 * selector selects nothing (its endpoints are managed by hand). Several matches: the first by
 * name, so the answer does not depend on watch order.
 */
export function serviceForPod(namespace: string, labels: StringMap, services: Iterable<ServiceObject>): string | null {
  let best: string | null = null;
  for (const svc of services) {
    const name = svc.metadata?.name;
    const selector = svc.spec?.selector;
    if (name === undefined || svc.metadata?.namespace !== namespace || selector === undefined) continue;
    const keys = Object.keys(selector);
    if (keys.length === 0 || !keys.every((k) => labels[k] === selector[k])) continue;
    if (best === null || name < best) best = name;
  }
  return best;
}

/** The PodInfo of a pod object; undefined when it lacks uid, name or namespace. */
export function podInfoOf(pod: PodObject, namespace: NamespaceObject | undefined, services: Iterable<ServiceObject>): PodInfo | undefined {
  const m = pod.metadata;
  if (m?.uid === undefined || m.name === undefined || m.namespace === undefined) return undefined;
  const labels = m.labels ?? {};
  const containers: ContainerRef[] = [];
  const s = pod.status;
  for (const st of [...(s?.initContainerStatuses ?? []), ...(s?.containerStatuses ?? []), ...(s?.ephemeralContainerStatuses ?? [])]) {
    const ref = parseContainerId(st.containerID);
    if (ref !== undefined && st.name !== undefined) containers.push({ name: st.name, ...ref });
  }
  return {
    uid: m.uid,
    name: m.name,
    namespace: m.namespace,
    nodeName: pod.spec?.nodeName ?? '',
    phase: s?.phase ?? '',
    labels,
    annotations: m.annotations ?? {},
    namespaceLabels: namespace?.metadata?.labels ?? {},
    namespaceAnnotations: namespace?.metadata?.annotations ?? {},
    service: serviceForPod(m.namespace, labels, services),
    containers,
  };
}

/** Equal views give equal strings: changes that matter to nobody (status timestamps) are dropped. */
export function podInfoKey(info: PodInfo): string {
  return JSON.stringify([
    info.name, info.namespace, info.phase, sorted(info.labels), sorted(info.annotations),
    sorted(info.namespaceLabels), sorted(info.namespaceAnnotations), info.service,
    info.containers.map((c) => [c.name, c.id, c.runtime]),
  ]);
}

function sorted(map: StringMap): [string, string][] {
  return Object.entries(map).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}
