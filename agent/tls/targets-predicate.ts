/**
 * The user-space twin of the kernel's target filter: does this pid match the targets? The TLS
 * scanner uses it to choose whose libraries to attach to. Uprobes are per file and the BPF side
 * filters by process again, so an answer that is briefly stale (a process that just changed its
 * comm or cgroup) costs at most one scan interval, never a wrong capture.
 */
import fs from 'node:fs';
import path from 'node:path';
import { findCgroupV2Mount, parseProcCgroup, resolveCgroupId } from '../k8s/cgroup-path';

/** The process selectors of Tracer targets; a process matching any of them is targeted. */
export interface PidTargets {
  /** Every process but the agent. */
  readonly all?: boolean;
  readonly tgids?: readonly number[];
  /** Main-thread comm, as in /proc/<pid>/comm. */
  readonly comms?: readonly string[];
  /** cgroup v2 ids (inode of the cgroup directory, what bpf_get_current_cgroup_id() returns). */
  readonly cgroupIds?: readonly bigint[];
}

export interface PidPredicateOptions {
  /** @default '/proc' */
  readonly procRoot?: string;
  /** Never targeted. @default process.pid */
  readonly selfPid?: number;
  /** Where the cgroup v2 hierarchy is mounted. @default findCgroupV2Mount(), looked up when first needed */
  readonly cgroupMount?: string;
}

export function pidPredicate(t: PidTargets, opts: PidPredicateOptions = {}): (pid: number) => boolean {
  const procRoot = opts.procRoot ?? '/proc';
  const self = opts.selfPid ?? process.pid;
  const all = t.all === true;
  const tgids = new Set(t.tgids ?? []);
  const comms = new Set(t.comms ?? []);
  const cgroupIds = new Set(t.cgroupIds ?? []);
  let mount: string | undefined | null = opts.cgroupMount ?? null; // null: not looked up yet
  const cgroupMount = () => (mount === null ? (mount = findCgroupV2Mount()) : mount);
  return (pid) => {
    if (pid === self) return false;
    if (all || tgids.has(pid)) return true;
    if (comms.size > 0) {
      const comm = readText(path.join(procRoot, String(pid), 'comm'));
      // Only the newline the kernel appends: comm may legitimately end in a space.
      if (comm !== undefined && comms.has(comm.replace(/\n$/, ''))) return true;
    }
    if (cgroupIds.size > 0) {
      const id = cgroupIdOfPid(procRoot, pid, cgroupMount());
      if (id !== undefined && cgroupIds.has(id)) return true;
    }
    return false;
  };
}

/** The process's cgroup v2 id, or undefined (exited, no v2 line, no v2 mount, cgroup removed). */
export function cgroupIdOfPid(procRoot: string, pid: number, mount: string | undefined): bigint | undefined {
  if (mount === undefined) return undefined;
  const text = readText(path.join(procRoot, String(pid), 'cgroup'));
  const v2Path = text === undefined ? undefined : parseProcCgroup(text).v2Path;
  return v2Path === undefined ? undefined : resolveCgroupId(mount, v2Path)?.id;
}

function readText(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined; // exited between readdir and read
  }
}
