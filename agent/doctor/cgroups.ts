/** Mount table parsing and the cgroup layout (v1, v2, hybrid): pod filtering uses v2 ids. */
import path from 'node:path';
import { readText } from './fs-probe';
import { CheckResult, DoctorEnv } from './types';

// 9. cgroup layout

export interface MountEntry {
  mountPoint: string;
  fsType: string;
  /** Superblock options (mountinfo) or mount options (/proc/mounts); v1 controllers appear here. */
  options: string[];
}

// Mount tables escape space, tab, newline and backslash as \ooo.
const unescapeMount = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));

/** Parses `/proc/<pid>/mountinfo` or `/proc/mounts` text (told apart by mountinfo's ` - `). */
export function parseMounts(text: string): MountEntry[] {
  const entries: MountEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const sep = line.indexOf(' - ');
    if (sep >= 0) {
      const pre = line.slice(0, sep).split(' ');
      const post = line.slice(sep + 3).split(' ');
      if (pre.length < 5 || post.length < 3) continue;
      entries.push({ mountPoint: unescapeMount(pre[4]), fsType: post[0], options: post[2].split(',') });
    } else {
      const f = line.split(' ');
      if (f.length < 4) continue;
      entries.push({ mountPoint: unescapeMount(f[1]), fsType: f[2], options: f[3].split(',') });
    }
  }
  return entries;
}

export interface CgroupLayout {
  /** unified: v2 only; hybrid: v1 controllers plus a v2 mount; v1: no v2 mount; none: no cgroupfs. */
  kind: 'unified' | 'hybrid' | 'v1' | 'none';
  /** Where the v2 hierarchy is mounted (`/sys/fs/cgroup` preferred when bind-mounted twice). */
  v2MountPoint?: string;
  /** v1 controllers and named hierarchies (`name=systemd`), sorted. */
  v1Controllers: string[];
}

const V1_CONTROLLERS = new Set([
  'blkio', 'cpu', 'cpuacct', 'cpuset', 'devices', 'freezer', 'hugetlb', 'memory',
  'misc', 'net_cls', 'net_prio', 'perf_event', 'pids', 'rdma',
]);

export function detectCgroupLayout(mountTableText: string): CgroupLayout {
  const mounts = parseMounts(mountTableText);
  const v2 = mounts.filter((m) => m.fsType === 'cgroup2').map((m) => m.mountPoint);
  const v1 = mounts.filter((m) => m.fsType === 'cgroup');
  const controllers = new Set<string>();
  for (const m of v1) for (const o of m.options) if (V1_CONTROLLERS.has(o) || o.startsWith('name=')) controllers.add(o);
  const v1Controllers = [...controllers].sort();
  const v2MountPoint = v2.includes('/sys/fs/cgroup') ? '/sys/fs/cgroup' : v2[0];
  if (v2MountPoint !== undefined) return { kind: v1.length ? 'hybrid' : 'unified', v2MountPoint, v1Controllers };
  return { kind: v1.length ? 'v1' : 'none', v1Controllers };
}

export function checkCgroups(env: DoctorEnv): CheckResult {
  const base = { id: 'cgroups', title: 'cgroup layout' };
  const sources = [path.join(env.procRoot, 'self/mountinfo'), path.join(env.procRoot, 'mounts')];
  let table: string | undefined;
  for (const file of sources) {
    const r = readText(file);
    if (r.state === 'present') {
      table = r.text;
      break;
    }
  }
  if (table === undefined) return { ...base, status: 'warn', detail: `cannot read ${sources.join(' or ')}` };
  const layout = detectCgroupLayout(table);
  const list = layout.v1Controllers.join(', ');
  // bpf_get_current_cgroup_id() always answers from the v2 hierarchy; without a v2 mount every
  // task sits in its root, so pods cannot be told apart in the kernel.
  const fix =
    'boot with systemd.unified_cgroup_hierarchy=1, or use a hybrid layout (cgroup2 at /sys/fs/cgroup/unified)';
  switch (layout.kind) {
    case 'unified':
      return { ...base, status: 'ok', detail: `v2 unified at ${layout.v2MountPoint}` };
    case 'hybrid':
      return { ...base, status: 'ok', detail: `hybrid: v1 controllers (${list}) + v2 at ${layout.v2MountPoint}` };
    case 'v1':
      return {
        ...base,
        status: 'warn',
        detail:
          `v1 only (${list}): in-kernel pod filtering by cgroup id needs the v2 hierarchy; ` +
          'bpf_get_current_cgroup_id returns the v2 id',
        fix,
      };
    case 'none':
      return {
        ...base,
        status: 'warn',
        detail: 'no cgroup filesystem mounted: in-kernel pod filtering by cgroup id is unavailable',
        fix,
      };
  }
}
