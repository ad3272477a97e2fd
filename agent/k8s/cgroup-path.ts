/**
 * `/proc/<pid>/cgroup` -> which pod and container a process belongs to, and the cgroup v2 id the
 * kernel filter matches (`bpf_get_current_cgroup_id()` = inode number of the v2 directory).
 *
 * The kubelet layouts recognised, by segment name anywhere in the path (so a kubelet
 * `--cgroup-root`, kind's nesting, or the `/../..` prefixes a private cgroup namespace shows all
 * still parse):
 *   systemd driver:  kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod<uid_>.slice/
 *                    cri-containerd-<id>.scope | crio-<id>.scope | docker-<id>.scope
 *                    (guaranteed pods: kubepods.slice/kubepods-pod<uid_>.slice/...)
 *   cgroupfs driver: /kubepods/burstable/pod<uid>/<id>  (besteffort alike; guaranteed: /kubepods/pod<uid>/<id>)
 *                    CRI-O names the container directory crio-<id>; containerd and Docker use the bare id.
 * The systemd driver writes the pod uid with `_` for `-` (a dash is systemd's slice separator).
 */
import fs from 'node:fs';
import path from 'node:path';

export type ContainerRuntime = 'containerd' | 'cri-o' | 'docker' | 'unknown';
export type QosClass = 'guaranteed' | 'burstable' | 'besteffort';

/** One line of `/proc/<pid>/cgroup`: `hierarchy-id:controllers:path`. */
export interface CgroupEntry {
  readonly hierarchyId: number;
  /** v1 controllers (`cpu,cpuacct`, `name=systemd`); empty for the v2 line. */
  readonly controllers: readonly string[];
  readonly path: string;
}

export interface CgroupIdentity {
  /** Pod UID with dashes, as in `metadata.uid`; undefined when the process is in no pod. */
  readonly podUid?: string;
  /** 64 hex digits, as in `status.containerStatuses[].containerID` after the `<runtime>://`. */
  readonly containerId?: string;
  /** From the scope prefix; `unknown` for the cgroupfs driver's bare ids (pod status tells). */
  readonly runtime?: ContainerRuntime;
  readonly qos?: QosClass;
  /** Path in the v2 hierarchy as the `0::` line shows it (see hostPathCandidates for `/..`). */
  readonly v2Path?: string;
  /** CRI-O's monitor process sits in the pod's cgroup beside the container: not the app. */
  readonly conmon?: boolean;
}

export function parseCgroupFile(text: string): CgroupEntry[] {
  const entries: CgroupEntry[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    // The path may itself hold ':' (cgroup names are free-form), so split on the first two only.
    const first = line.indexOf(':');
    const second = first < 0 ? -1 : line.indexOf(':', first + 1);
    if (second < 0) continue;
    const id = Number(line.slice(0, first));
    if (!Number.isInteger(id) || id < 0) continue;
    const controllers = line.slice(first + 1, second);
    entries.push({ hierarchyId: id, controllers: controllers === '' ? [] : controllers.split(','), path: line.slice(second + 1) });
  }
  return entries;
}

const CONTAINER_ID = '[0-9a-f]{64}';
const POD_UID = '[0-9a-fA-F]{8}[-_][0-9a-fA-F]{4}[-_][0-9a-fA-F]{4}[-_][0-9a-fA-F]{4}[-_][0-9a-fA-F]{12}|[0-9a-fA-F]{32}';
const SYSTEMD_POD = new RegExp(`^kubepods(?:-(burstable|besteffort))?-pod(${POD_UID})\\.slice$`);
const CGROUPFS_POD = new RegExp(`^pod(${POD_UID})$`);
const SCOPE = new RegExp(`^(cri-containerd|crio-conmon|crio|docker)-(${CONTAINER_ID})\\.scope$`);
const CRIO_DIR = new RegExp(`^crio-(conmon-)?(${CONTAINER_ID})$`);
const BARE_ID = new RegExp(`^${CONTAINER_ID}$`);

const SCOPE_RUNTIME: Readonly<Record<string, ContainerRuntime>> = {
  'cri-containerd': 'containerd',
  crio: 'cri-o',
  'crio-conmon': 'cri-o',
  docker: 'docker',
};

/** The pod and container a cgroup path names; `{}` when it is not a kubelet pod path. */
export function identifyCgroupPath(cgroupPath: string): Omit<CgroupIdentity, 'v2Path'> {
  const cut = cgroupPath.startsWith('/..');
  const segments = cgroupPath.split('/').filter((s) => s !== '' && s !== '.' && s !== '..');
  for (let i = 0; i < segments.length; i++) {
    const pod = podSegment(segments, i, cut);
    if (pod === undefined) continue;
    const out: { podUid: string; qos?: QosClass; containerId?: string; runtime?: ContainerRuntime; conmon?: boolean } = pod;
    const next = segments[i + 1];
    if (next === undefined) return out;
    let m = SCOPE.exec(next);
    if (m !== null) return { ...out, containerId: m[2], runtime: SCOPE_RUNTIME[m[1]], ...(m[1] === 'crio-conmon' ? { conmon: true } : {}) };
    m = CRIO_DIR.exec(next);
    if (m !== null) return { ...out, containerId: m[2], runtime: 'cri-o', ...(m[1] !== undefined ? { conmon: true } : {}) };
    if (BARE_ID.test(next)) return { ...out, containerId: next, runtime: 'unknown' };
    return out;
  }
  return {};
}

/** `cut`: a cgroup namespace hid the leading segments, so `kubepods` (and the QoS) may be missing. */
function podSegment(segments: readonly string[], i: number, cut: boolean): { podUid: string; qos?: QosClass } | undefined {
  const seg = segments[i];
  const sd = SYSTEMD_POD.exec(seg);
  if (sd !== null) return { podUid: normalizeUid(sd[2]), qos: (sd[1] as QosClass | undefined) ?? 'guaranteed' };
  const fs1 = CGROUPFS_POD.exec(seg);
  // cgroupfs: pod<uid> directly under kubepods (guaranteed) or under kubepods/<qos>.
  if (fs1 !== null) {
    const parent = segments[i - 1];
    const grand = segments[i - 2];
    if (parent === 'kubepods') return { podUid: normalizeUid(fs1[1]), qos: 'guaranteed' };
    if ((parent === 'burstable' || parent === 'besteffort') && (grand === 'kubepods' || (cut && i === 1))) {
      return { podUid: normalizeUid(fs1[1]), qos: parent };
    }
    if (cut && i === 0) return { podUid: normalizeUid(fs1[1]) };
  }
  return undefined;
}

function normalizeUid(uid: string): string {
  return uid.replace(/_/g, '-').toLowerCase();
}

/**
 * Identity of a process from its `/proc/<pid>/cgroup` text. The v2 line is preferred; on v1 and
 * hybrid hosts the v1 lines carry the same kubelet path (any controller will do, they agree).
 */
export function parseProcCgroup(text: string): CgroupIdentity {
  const entries = parseCgroupFile(text);
  const v2 = entries.find((e) => e.hierarchyId === 0 && e.controllers.length === 0);
  const v2Path = v2?.path;
  const ordered = v2 === undefined ? entries : [v2, ...entries.filter((e) => e !== v2)];
  for (const e of ordered) {
    const id = identifyCgroupPath(e.path);
    if (id.podUid !== undefined) return v2Path === undefined ? id : { ...id, v2Path };
  }
  return v2Path === undefined ? {} : { v2Path };
}

/** Drops the leading `/..` segments a cgroup namespace shows for cgroups outside it. */
export function stripNamespacePrefix(cgroupPath: string): string {
  const parts = cgroupPath.split('/');
  let i = 1;
  while (parts[i] === '..') i++;
  return '/' + parts.slice(i).join('/');
}

/**
 * Where a `/proc/<pid>/cgroup` v2 path may live under the host's v2 mount, most likely first.
 * In a pod with a private cgroup namespace (containerd's default on v2) another pod's process
 * shows as `/../../kubepods-besteffort.slice/kubepods-besteffort-pod<uid>.slice/cri-containerd-<id>.scope`:
 * relative to the agent's own cgroup, with the shared ancestors cut. systemd slice names spell
 * their ancestry (`a-b-c.slice` lives at `a.slice/a-b.slice/a-b-c.slice`), so the cut part is
 * rebuilt exactly; for the cgroupfs driver the QoS level may have been cut, so both shapes are
 * offered and the caller keeps the one that exists.
 */
export function hostPathCandidates(v2Path: string): string[] {
  const stripped = stripNamespacePrefix(v2Path);
  if (stripped === v2Path) return [v2Path];
  const segments = stripped.split('/').filter((s) => s !== '');
  const head = segments[0] ?? '';
  const slice = /^(.+)\.slice$/.exec(head);
  if (slice !== null) {
    const parts = slice[1].split('-');
    const ancestors = parts.slice(0, -1).map((_, i) => `${parts.slice(0, i + 1).join('-')}.slice`);
    return ['/' + [...ancestors, ...segments].join('/')];
  }
  if (head === 'burstable' || head === 'besteffort') return ['/' + ['kubepods', ...segments].join('/')];
  if (CGROUPFS_POD.test(head)) {
    return ['kubepods', 'kubepods/burstable', 'kubepods/besteffort'].map((p) => `/${p}/${segments.join('/')}`);
  }
  return [stripped];
}

// statfs(2) f_type of cgroup2 (linux/magic.h CGROUP2_SUPER_MAGIC).
const CGROUP2_SUPER_MAGIC = 0x63677270;

/**
 * Where the v2 hierarchy is mounted: `/sys/fs/cgroup` on unified hosts, `/sys/fs/cgroup/unified`
 * on hybrid ones (v1 controllers at /sys/fs/cgroup). Decided by filesystem type, not by name,
 * because a v1 host also has a directory at /sys/fs/cgroup. `sysRoot` lets a container pass the
 * host's /sys mounted elsewhere. Undefined when there is no v2 mount (pods cannot be told apart
 * in the kernel then).
 */
export function findCgroupV2Mount(sysRoot = '/sys'): string | undefined {
  for (const candidate of [path.join(sysRoot, 'fs/cgroup'), path.join(sysRoot, 'fs/cgroup/unified')]) {
    try {
      if (fs.statfsSync(candidate).type === CGROUP2_SUPER_MAGIC) return candidate;
    } catch {
      // absent or unreadable: try the next candidate
    }
  }
  return undefined;
}

/** The cgroup v2 id of `v2Path` (a path in the hierarchy, e.g. from parseProcCgroup) under `mount`. */
export function cgroupIdOf(mount: string, v2Path: string): bigint {
  return fs.statSync(path.join(mount, v2Path), { bigint: true }).ino;
}

/**
 * The cgroup v2 id of a process's v2 path as `/proc/<pid>/cgroup` shows it, trying each
 * host-path candidate; undefined when none exists (the cgroup went away, or the v2 mount is not
 * the host's).
 */
export function resolveCgroupId(mount: string, v2Path: string): { id: bigint; hostPath: string } | undefined {
  for (const candidate of hostPathCandidates(v2Path)) {
    try {
      return { id: cgroupIdOf(mount, candidate), hostPath: candidate };
    } catch {
      // not this shape, or removed meanwhile: try the next one
    }
  }
  return undefined;
}
