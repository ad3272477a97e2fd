/**
 * `socktap doctor` checks: what this kernel and this process allow, and what to do about the rest.
 * Every check reads through the roots in `DoctorEnv`, so tests point them at fixture trees; none
 * of them changes the system (the agent mounts tracefs, doctor only reports).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { KernelFeatureProbe } from '../capture/native';

export type CheckStatus = 'ok' | 'warn' | 'fail';

export interface CheckResult {
  /** Stable identifier, for `--json` consumers. */
  id: string;
  title: string;
  status: CheckStatus;
  detail: string;
  /** What to do when the status is not `ok`. */
  fix?: string;
}

export interface DoctorEnv {
  /** @default '/proc' */
  procRoot: string;
  /** @default '/sys' */
  sysRoot: string;
  /** @default '/boot' */
  bootRoot: string;
  /** Kernel release, as `uname -r` prints it. */
  uname: string;
  /** The native addon's probe; absent when the addon could not be loaded. */
  features?: KernelFeatureProbe;
  /** Why `features` is absent (shown by the feature checks). */
  featuresError?: string;
}

/** Ids of every check, in report order. */
export const CHECK_IDS = [
  'kernel',
  'btf',
  'tracefs',
  'syscall-tracepoints',
  'lockdown',
  'capabilities',
  'ringbuf',
  'bpf-loop',
  'tracepoint-programs',
  'probe-read-user',
  'cgroup-id',
  'kprobes',
  'uprobes',
  'cgroups',
] as const;

/** The syscalls bpf/socktap.bpf.c attaches to, entry and exit each. */
export const TRACED_SYSCALLS = [
  'accept', 'accept4', 'connect', 'close', 'read', 'write', 'readv', 'writev',
  'sendto', 'recvfrom', 'sendmsg', 'recvmsg', 'sendmmsg', 'recvmmsg', 'sendfile64',
] as const;

// ---------------------------------------------------------------------------------------------
// File access: "absent" and "permission denied" lead to different advice, so they stay apart.

type PathState = 'present' | 'absent' | 'denied';

function errState(err: unknown): Exclude<PathState, 'present'> {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'EACCES' || code === 'EPERM' ? 'denied' : 'absent';
}

function pathState(p: string): PathState {
  try {
    fs.statSync(p);
    return 'present';
  } catch (err) {
    return errState(err);
  }
}

type ReadResult = { state: 'present'; text: string } | { state: 'absent' | 'denied' };

function readText(p: string): ReadResult {
  try {
    return { state: 'present', text: fs.readFileSync(p, 'utf8') };
  } catch (err) {
    return { state: errState(err) };
  }
}

function readDir(p: string): { state: 'present'; names: string[] } | { state: 'absent' | 'denied' } {
  try {
    return { state: 'present', names: fs.readdirSync(p) };
  } catch (err) {
    return { state: errState(err) };
  }
}

const RUN_AS_ROOT = 'run socktap doctor as root to check this';

// ---------------------------------------------------------------------------------------------
// 1. kernel version

export interface KernelVersion {
  major: number;
  minor: number;
  patch: number;
}

/** Parses the leading `major.minor[.patch]` of a release such as `6.18.44-fc-v669`. */
export function parseKernelRelease(release: string): KernelVersion | undefined {
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?/.exec(release.trim());
  if (!m) return undefined;
  return { major: Number(m[1]), minor: Number(m[2]), patch: m[3] === undefined ? 0 : Number(m[3]) };
}

export function checkKernel(env: DoctorEnv): CheckResult {
  const base = { id: 'kernel', title: 'kernel version' };
  const v = parseKernelRelease(env.uname);
  if (!v) return { ...base, status: 'warn', detail: `cannot parse the kernel release "${env.uname}"` };
  if (v.major > 5 || (v.major === 5 && v.minor >= 17)) {
    return { ...base, status: 'ok', detail: `${env.uname} (>= 5.17: BPF ring buffer and bpf_loop)` };
  }
  // Distribution kernels backport BPF features, so the probe outranks the version number.
  if (env.features?.ringbuf === 1 && env.features.bpfLoop === 1) {
    return {
      ...base,
      status: 'warn',
      detail: `${env.uname} is older than 5.17, but it has the BPF ring buffer and bpf_loop (backported)`,
    };
  }
  return {
    ...base,
    status: 'fail',
    detail: `${env.uname} is older than 5.17; socktap needs the BPF ring buffer (5.8) and bpf_loop (5.17)`,
    fix: 'upgrade to Linux 5.17 or newer, or to a distribution kernel that backports both',
  };
}

// ---------------------------------------------------------------------------------------------
// 2. BTF: CO-RE relocations need the running kernel's type information.

export function checkBtf(env: DoctorEnv): CheckResult {
  const base = { id: 'btf', title: 'kernel BTF' };
  const sysBtf = path.join(env.sysRoot, 'kernel/btf/vmlinux');
  if (pathState(sysBtf) === 'present') return { ...base, status: 'ok', detail: `found at ${sysBtf}` };
  const bootBtf = path.join(env.bootRoot, `vmlinux-${env.uname}`);
  if (pathState(bootBtf) === 'present') {
    return {
      ...base,
      status: 'warn',
      detail: `no ${sysBtf}; ${bootBtf} is usable via btfPath`,
      fix: `set btfPath to ${bootBtf}`,
    };
  }
  return {
    ...base,
    status: 'fail',
    detail: `no ${sysBtf} and no ${bootBtf}`,
    fix: 'needs CONFIG_DEBUG_INFO_BTF=y or a BTF file for this kernel (btfhub), passed as btfPath',
  };
}

// ---------------------------------------------------------------------------------------------
// 3. tracefs: libbpf reads tracepoint ids from <tracefs>/events to attach.

export interface TracefsLocation {
  /** mounted: `dir/events` exists; unmounted: only the empty mount point exists. */
  state: 'mounted' | 'unmounted' | 'denied' | 'absent';
  dir: string;
}

export function locateTracefs(env: DoctorEnv): TracefsLocation {
  // Same order as libbpf: the dedicated mount point first, then the one debugfs automounts.
  const candidates = [path.join(env.sysRoot, 'kernel/tracing'), path.join(env.sysRoot, 'kernel/debug/tracing')];
  const states = candidates.map((dir) => pathState(path.join(dir, 'events')));
  const mounted = states.indexOf('present');
  if (mounted >= 0) return { state: 'mounted', dir: candidates[mounted] };
  // The tracefs root is 0700, so an unprivileged doctor cannot tell mounted from unmounted.
  const denied = states.indexOf('denied');
  if (denied >= 0) return { state: 'denied', dir: candidates[denied] };
  if (pathState(candidates[0]) === 'present') return { state: 'unmounted', dir: candidates[0] };
  return { state: 'absent', dir: candidates[0] };
}

export function checkTracefs(env: DoctorEnv): CheckResult {
  const base = { id: 'tracefs', title: 'tracefs' };
  const loc = locateTracefs(env);
  switch (loc.state) {
    case 'mounted':
      return { ...base, status: 'ok', detail: `mounted at ${loc.dir}` };
    case 'denied':
      return { ...base, status: 'warn', detail: `cannot read ${loc.dir} (permission denied)`, fix: RUN_AS_ROOT };
    case 'unmounted':
      return {
        ...base,
        status: 'warn',
        detail: `not mounted at ${loc.dir}; socktap mounts it at start when root`,
        fix: `or run: mount -t tracefs nodev ${loc.dir}`,
      };
    case 'absent':
      return {
        ...base,
        status: 'fail',
        detail: `no tracefs mount point at ${loc.dir}`,
        fix: "needs a kernel built with CONFIG_FTRACE_SYSCALLS=y; in a container, mount the host's /sys",
      };
  }
}

// ---------------------------------------------------------------------------------------------
// 4. syscall tracepoints

export function checkSyscallTracepoints(env: DoctorEnv): CheckResult {
  const base = { id: 'syscall-tracepoints', title: 'syscall tracepoints' };
  const loc = locateTracefs(env);
  if (loc.state === 'denied') {
    return { ...base, status: 'warn', detail: `cannot tell: ${loc.dir} is not readable`, fix: RUN_AS_ROOT };
  }
  if (loc.state === 'unmounted') {
    return {
      ...base,
      status: 'warn',
      detail: 'cannot tell: tracefs is not mounted',
      fix: `mount -t tracefs nodev ${loc.dir}, then run socktap doctor again`,
    };
  }
  if (loc.state === 'absent') {
    return { ...base, status: 'fail', detail: 'no tracefs, so tracepoints cannot be attached' };
  }
  const dir = path.join(loc.dir, 'events/syscalls');
  const listing = readDir(dir);
  const kconfigFix = 'needs a kernel built with CONFIG_FTRACE_SYSCALLS=y';
  if (listing.state !== 'present') {
    return listing.state === 'denied'
      ? { ...base, status: 'warn', detail: `cannot tell: ${dir} is not readable`, fix: RUN_AS_ROOT }
      : { ...base, status: 'fail', detail: `${dir} does not exist`, fix: kconfigFix };
  }
  const present = new Set(listing.names);
  const wanted = TRACED_SYSCALLS.flatMap((sc) => [`sys_enter_${sc}`, `sys_exit_${sc}`]);
  const missing = wanted.filter((name) => !present.has(name));
  if (missing.length > 0) {
    return { ...base, status: 'fail', detail: `missing: ${missing.join(', ')}`, fix: kconfigFix };
  }
  return {
    ...base,
    status: 'ok',
    detail: `all ${wanted.length} present (entry and exit of ${TRACED_SYSCALLS.length} syscalls)`,
  };
}

// ---------------------------------------------------------------------------------------------
// 5. lockdown

/** The active mode of `/sys/kernel/security/lockdown` (`none [integrity] confidentiality`). */
export function parseLockdown(text: string): string | undefined {
  return /\[([a-z]+)\]/.exec(text)?.[1];
}

function lockdownResult(mode: string, source: string): CheckResult {
  const base = { id: 'lockdown', title: 'kernel lockdown' };
  switch (mode) {
    case 'none':
      return { ...base, status: 'ok', detail: `none${source}` };
    case 'integrity':
      return {
        ...base,
        status: 'ok',
        detail: `integrity${source}: bpf_probe_write_user is unavailable, which socktap never uses`,
      };
    case 'confidentiality':
      return {
        ...base,
        status: 'fail',
        detail:
          `confidentiality${source}: bpf_probe_read of kernel memory is blocked, ` +
          'and socktap reads socket state with it',
        fix: 'boot with lockdown=integrity (or none); with Secure Boot, the distribution may force confidentiality',
      };
    default:
      return { ...base, status: 'warn', detail: `unknown lockdown mode "${mode}"${source}` };
  }
}

export function checkLockdown(env: DoctorEnv): CheckResult {
  const base = { id: 'lockdown', title: 'kernel lockdown' };
  const securityDir = path.join(env.sysRoot, 'kernel/security');
  const file = readText(path.join(securityDir, 'lockdown'));
  if (file.state === 'present') {
    const mode = parseLockdown(file.text);
    return mode ? lockdownResult(mode, '') : { ...base, status: 'warn', detail: `cannot parse "${file.text.trim()}"` };
  }
  if (file.state === 'denied') {
    return { ...base, status: 'warn', detail: 'cannot read the lockdown mode', fix: RUN_AS_ROOT };
  }
  // Without securityfs the lockdown file is absent even when lockdown is active, so an empty
  // mount point proves nothing; the command line is the only other place the mode shows.
  const listing = readDir(securityDir);
  if (listing.state === 'present' && listing.names.length > 0) {
    return { ...base, status: 'ok', detail: 'lockdown LSM not active' };
  }
  const cmdline = readText(path.join(env.procRoot, 'cmdline'));
  const fromCmdline = cmdline.state === 'present' ? /(?:^|\s)lockdown=([a-z]+)/.exec(cmdline.text)?.[1] : undefined;
  if (fromCmdline) return lockdownResult(fromCmdline, ' (from the kernel command line)');
  return {
    ...base,
    status: 'warn',
    detail: `cannot tell: securityfs is not mounted at ${securityDir}`,
    fix: `mount -t securityfs securityfs ${securityDir}, then run socktap doctor again`,
  };
}

// ---------------------------------------------------------------------------------------------
// 6. capabilities

export const CAP = {
  DAC_READ_SEARCH: 2,
  SYS_PTRACE: 19,
  SYS_ADMIN: 21,
  SYS_RESOURCE: 24,
  PERFMON: 38,
  BPF: 39,
} as const;
export type CapName = keyof typeof CAP;

/** Parses a capability bitmask as /proc/<pid>/status prints it (hex, no `0x`). */
export function parseCapabilityMask(hex: string): bigint {
  const s = hex.trim();
  if (!/^[0-9a-fA-F]{1,16}$/.test(s)) throw new TypeError(`capability mask must be 1-16 hex digits, got "${hex}"`);
  return BigInt(`0x${s}`);
}

export function hasCapability(mask: bigint, cap: number): boolean {
  return ((mask >> BigInt(cap)) & 1n) === 1n;
}

/** The effective set from the text of /proc/<pid>/status. */
export function parseCapEff(statusText: string): bigint {
  const m = /^CapEff:\s*(\S+)\s*$/m.exec(statusText);
  if (!m) throw new TypeError('status text must contain a CapEff line, got none');
  return parseCapabilityMask(m[1]);
}

/** Optional capabilities and what is lost without them. */
const OPTIONAL_CAPS: ReadonlyArray<[CapName, string]> = [
  ['SYS_PTRACE', "reads /proc/<pid>/exe and fd of other users' processes"],
  ['DAC_READ_SEARCH', 'reads root-only files such as tracefs'],
  ['SYS_RESOURCE', 'raises the memlock limit on kernels < 5.11'],
];

/** From 5.11 BPF memory is charged to the memory cgroup and libbpf skips RLIMIT_MEMLOCK. */
function needsMemlock(release: string): boolean {
  const v = parseKernelRelease(release);
  return !v || v.major < 5 || (v.major === 5 && v.minor < 11);
}

export function checkCapabilities(env: DoctorEnv): CheckResult {
  const base = { id: 'capabilities', title: 'capabilities' };
  const file = path.join(env.procRoot, 'self/status');
  const status = readText(file);
  if (status.state !== 'present') return { ...base, status: 'warn', detail: `cannot read ${file}` };
  let mask: bigint;
  try {
    mask = parseCapEff(status.text);
  } catch (err) {
    return { ...base, status: 'warn', detail: `cannot parse ${file}: ${(err as Error).message}` };
  }
  const has = (name: CapName) => hasCapability(mask, CAP[name]);
  const missingOptional = OPTIONAL_CAPS.filter(
    ([name]) => !has(name) && (name !== 'SYS_RESOURCE' || needsMemlock(env.uname)),
  );
  const notes = missingOptional.length
    ? `; missing optional ${missingOptional.map(([name, why]) => `CAP_${name} (${why})`).join(', ')}`
    : '';
  if (has('SYS_ADMIN')) return { ...base, status: 'ok', detail: `CAP_SYS_ADMIN${notes}` };
  if (has('BPF') && has('PERFMON')) return { ...base, status: 'ok', detail: `CAP_BPF + CAP_PERFMON${notes}` };
  const missing = (['BPF', 'PERFMON'] as const).filter((name) => !has(name)).map((name) => `CAP_${name}`);
  return {
    ...base,
    status: 'fail',
    detail: `no CAP_SYS_ADMIN and no ${missing.join(', ')} (CapEff ${mask.toString(16).padStart(16, '0')})`,
    fix: 'run as root, or grant CAP_BPF, CAP_PERFMON, CAP_SYS_RESOURCE (and CAP_SYS_ADMIN on kernels < 5.8)',
  };
}

// ---------------------------------------------------------------------------------------------
// 7. BPF features, from the addon's probe (libbpf_probe_*: a tiny program or map is loaded).

function errnoName(value: number): string {
  const entry = Object.entries(os.constants.errno).find(([, n]) => n === -value);
  return entry ? entry[0] : `errno ${-value}`;
}

interface FeatureSpec {
  id: (typeof CHECK_IDS)[number];
  title: string;
  key: keyof KernelFeatureProbe;
  /** What socktap uses it for. */
  use: string;
  /** The kernel (or build option) that provides it. */
  needs: string;
}

const FEATURES: readonly FeatureSpec[] = [
  { id: 'ringbuf', title: 'ring buffer', key: 'ringbuf', use: 'carries every capture event', needs: 'Linux 5.8' },
  { id: 'bpf-loop', title: 'bpf_loop', key: 'bpfLoop', use: 'walks iovec and mmsg arrays', needs: 'Linux 5.17' },
  {
    id: 'tracepoint-programs',
    title: 'tracepoint programs',
    key: 'tracepointProgram',
    use: 'every capture program is one',
    needs: 'a kernel built with CONFIG_BPF_EVENTS=y',
  },
  {
    id: 'probe-read-user',
    title: 'probe_read_user',
    key: 'probeReadUser',
    use: 'copies payloads out of user buffers',
    needs: 'Linux 5.5',
  },
  {
    id: 'cgroup-id',
    title: 'cgroup id helper',
    key: 'cgroupId',
    use: 'filters by pod cgroup',
    needs: 'Linux 4.18 with CONFIG_CGROUPS=y',
  },
];

export function checkBpfFeatures(env: DoctorEnv): CheckResult[] {
  return FEATURES.map(({ id, title, key, use, needs }) => {
    if (!env.features) {
      return { id, title, status: 'warn', detail: `cannot tell: ${env.featuresError ?? 'no feature probe'}` };
    }
    const value = env.features[key];
    if (value === 1) return { id, title, status: 'ok', detail: 'available' };
    if (value === 0) {
      return { id, title, status: 'fail', detail: `not available; socktap ${use}`, fix: `needs ${needs}` };
    }
    return { id, title, status: 'warn', detail: `cannot tell (${errnoName(value)})`, fix: RUN_AS_ROOT };
  });
}

/**
 * Kprobes are reported, never required: the kprobe program type can load on kernels built
 * without CONFIG_KPROBES, so the tracefs control file (or the kernel's symbols) decides.
 */
export function checkKprobes(env: DoctorEnv): CheckResult {
  const base = { id: 'kprobes', title: 'kprobes', status: 'ok' as const };
  let available: boolean | undefined;
  if (env.features?.kprobeProgram === 0) {
    available = false;
  } else {
    const loc = locateTracefs(env);
    if (loc.state === 'mounted') {
      available = pathState(path.join(loc.dir, 'kprobe_events')) === 'present';
    } else {
      const kallsyms = readText(path.join(env.procRoot, 'kallsyms'));
      if (kallsyms.state === 'present') available = /\sregister_kprobe$/m.test(kallsyms.text);
    }
  }
  if (available === undefined) return { ...base, detail: 'cannot tell: not needed, socktap uses tracepoints' };
  return {
    ...base,
    detail: available
      ? 'kprobes available: not used, socktap uses tracepoints'
      : 'kprobes unavailable: not needed, socktap uses tracepoints',
  };
}

// ---------------------------------------------------------------------------------------------
// 8. uprobes: the OpenSSL hooks for TLS capture attach through the uprobe PMU.

export function checkUprobes(env: DoctorEnv): CheckResult {
  const base = { id: 'uprobes', title: 'uprobes' };
  const file = path.join(env.sysRoot, 'bus/event_source/devices/uprobe/type');
  const type = readText(file);
  if (type.state === 'present') return { ...base, status: 'ok', detail: `uprobe PMU type ${type.text.trim()}` };
  return {
    ...base,
    status: 'warn',
    detail: `no ${file}: TLS capture through OpenSSL uprobes will not work; plain HTTP is unaffected`,
    fix: 'needs a kernel built with CONFIG_UPROBE_EVENTS=y',
  };
}

// ---------------------------------------------------------------------------------------------
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

// ---------------------------------------------------------------------------------------------

/** Every check, in `CHECK_IDS` order. */
export function runChecks(env: DoctorEnv): CheckResult[] {
  return [
    checkKernel(env),
    checkBtf(env),
    checkTracefs(env),
    checkSyscallTracepoints(env),
    checkLockdown(env),
    checkCapabilities(env),
    ...checkBpfFeatures(env),
    checkKprobes(env),
    checkUprobes(env),
    checkCgroups(env),
  ];
}
