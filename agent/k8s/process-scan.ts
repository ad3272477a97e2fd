/**
 * Process -> pod: reads `<procRoot>/<pid>/cgroup` for every process (the host's proc is mounted at
 * `proc_fs_path`, `/hostproc` in Kubernetes) and groups the pods' processes by cgroup v2 id, the
 * key of the kernel allow map. The scan is a snapshot: processes come and go while it runs, so a
 * vanished pid is skipped, never an error.
 */
import fs from 'node:fs';
import path from 'node:path';
import { SocktapError } from '../util/errors';
import { parseProcCgroup, resolveCgroupId, type CgroupIdentity, type ContainerRuntime } from './cgroup-path';

export interface ProcessCgroup {
  readonly pid: number;
  readonly identity: CgroupIdentity;
}

/** Every process whose cgroup names a pod. */
export function scanProcesses(procRoot = '/proc'): ProcessCgroup[] {
  let names: string[];
  try {
    names = fs.readdirSync(procRoot);
  } catch (err) {
    throw new SocktapError('SOCKTAP_SYSTEM', `proc_fs_path must be a readable proc filesystem, got ${procRoot}: ${(err as Error).message}`, { cause: err });
  }
  const out: ProcessCgroup[] = [];
  for (const name of names) {
    if (!/^[1-9][0-9]*$/.test(name)) continue;
    let text: string;
    try {
      text = fs.readFileSync(path.join(procRoot, name, 'cgroup'), 'utf8');
    } catch {
      continue; // exited since readdir (ENOENT/ESRCH), or a kernel thread we may not read
    }
    const identity = parseProcCgroup(text);
    if (identity.podUid !== undefined) out.push({ pid: Number(name), identity });
  }
  return out;
}

/** The processes of one container (or pod-level) cgroup. */
export interface PodCgroup {
  readonly cgroupId: bigint;
  /** Path under the host's v2 mount. */
  readonly hostPath: string;
  readonly podUid: string;
  readonly containerId?: string;
  readonly runtime?: ContainerRuntime;
  /** CRI-O's container monitor: in the pod, but not the application. */
  readonly conmon?: boolean;
  /** Ascending. */
  readonly pids: number[];
}

/** A pod process whose cgroup has no v2 id here (v1-only host, or the cgroup just went). */
export interface UnresolvedProcess {
  readonly pid: number;
  readonly podUid: string;
  readonly containerId?: string;
}

export interface PodCgroupScan {
  /** Sorted by cgroup id. */
  readonly cgroups: PodCgroup[];
  /** Candidates for pid targets where cgroup ids cannot work. Sorted by pid. */
  readonly unresolved: UnresolvedProcess[];
}

export type CgroupIdResolver = (v2Path: string) => { id: bigint; hostPath: string } | undefined;

/** Groups processes by cgroup id; `resolveId` is injected so tests need no real cgroups. */
export function groupByCgroup(processes: readonly ProcessCgroup[], resolveId: CgroupIdResolver): PodCgroupScan {
  const byId = new Map<bigint, { hostPath: string; identity: CgroupIdentity; pids: number[] }>();
  const cache = new Map<string, ReturnType<CgroupIdResolver>>();
  const unresolved: UnresolvedProcess[] = [];
  for (const { pid, identity } of processes) {
    const podUid = identity.podUid;
    if (podUid === undefined) continue;
    const v2Path = identity.v2Path;
    let resolved: ReturnType<CgroupIdResolver>;
    if (v2Path !== undefined) {
      if (!cache.has(v2Path)) cache.set(v2Path, resolveId(v2Path));
      resolved = cache.get(v2Path);
    }
    if (resolved === undefined) {
      unresolved.push(identity.containerId === undefined ? { pid, podUid } : { pid, podUid, containerId: identity.containerId });
      continue;
    }
    const group = byId.get(resolved.id);
    if (group === undefined) byId.set(resolved.id, { hostPath: resolved.hostPath, identity, pids: [pid] });
    else group.pids.push(pid);
  }
  const cgroups: PodCgroup[] = [...byId.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([cgroupId, { hostPath, identity, pids }]) => ({
      cgroupId,
      hostPath,
      podUid: identity.podUid as string,
      ...(identity.containerId !== undefined ? { containerId: identity.containerId } : {}),
      ...(identity.runtime !== undefined ? { runtime: identity.runtime } : {}),
      ...(identity.conmon === true ? { conmon: true } : {}),
      pids: pids.sort((a, b) => a - b),
    }));
  unresolved.sort((a, b) => a.pid - b.pid);
  return { cgroups, unresolved };
}

export interface ScanPodCgroupsOptions {
  /** The host's proc (config `proc_fs_path`). @default '/proc' */
  readonly procRoot?: string;
  /** The host's cgroup v2 mount (findCgroupV2Mount()); without it every process is unresolved. */
  readonly cgroupMount?: string;
}

/** scanProcesses + groupByCgroup against the real v2 mount. */
export function scanPodCgroups(options: ScanPodCgroupsOptions = {}): PodCgroupScan {
  const mount = options.cgroupMount;
  const resolve: CgroupIdResolver = mount === undefined ? () => undefined : (p) => resolveCgroupId(mount, p);
  return groupByCgroup(scanProcesses(options.procRoot ?? '/proc'), resolve);
}
