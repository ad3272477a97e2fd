import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import type { KernelFeatureProbe } from '../../agent/capture/native';
import {
  CAP,
  CHECK_IDS,
  TRACED_SYSCALLS,
  checkBpfFeatures,
  checkBtf,
  checkCapabilities,
  checkCgroups,
  checkKernel,
  checkKprobes,
  checkLockdown,
  checkSyscallTracepoints,
  checkTracefs,
  checkUprobes,
  detectCgroupLayout,
  hasCapability,
  parseCapEff,
  parseCapabilityMask,
  parseKernelRelease,
  parseLockdown,
  parseMounts,
  runChecks,
  type CheckResult,
  type DoctorEnv,
} from '../../agent/doctor/checks';
import { formatReport, runDoctor, summarize } from '../../agent/doctor/index';

const ALL_FEATURES: KernelFeatureProbe = {
  ringbuf: 1,
  tracepointProgram: 1,
  kprobeProgram: 1,
  bpfLoop: 1,
  probeReadUser: 1,
  cgroupId: 1,
};

const roots: string[] = [];
after(() => {
  for (const root of roots) fs.rmSync(root, { recursive: true, force: true });
});

/** Files under a temp root: a string is a file's content, null an (empty) directory. */
type Tree = Record<string, string | null>;

function makeTree(tree: Tree): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'socktap-doctor-'));
  roots.push(root);
  for (const dir of ['proc', 'sys', 'boot']) fs.mkdirSync(path.join(root, dir));
  for (const [rel, content] of Object.entries(tree)) {
    const p = path.join(root, rel);
    if (content === null) {
      fs.mkdirSync(p, { recursive: true });
    } else {
      fs.mkdirSync(path.dirname(p), { recursive: true });
      fs.writeFileSync(p, content);
    }
  }
  return root;
}

function envFor(root: string, overrides: Partial<DoctorEnv> = {}): DoctorEnv {
  return {
    procRoot: path.join(root, 'proc'),
    sysRoot: path.join(root, 'sys'),
    bootRoot: path.join(root, 'boot'),
    uname: '6.1.0-13-amd64',
    features: ALL_FEATURES,
    ...overrides,
  };
}

function fixture(tree: Tree, overrides: Partial<DoctorEnv> = {}): { root: string; env: DoctorEnv } {
  const root = makeTree(tree);
  return { root, env: envFor(root, overrides) };
}

/** A mounted tracefs at `dir` with every syscall tracepoint socktap attaches to, minus `omit`. */
function tracefsTree(dir = 'sys/kernel/tracing', omit: string[] = []): Tree {
  const tree: Tree = {};
  for (const sc of TRACED_SYSCALLS) {
    for (const name of [`sys_enter_${sc}`, `sys_exit_${sc}`]) {
      if (!omit.includes(name)) tree[`${dir}/events/syscalls/${name}/id`] = '1\n';
    }
  }
  return tree;
}

// Mount tables as the three layouts print them.
const MOUNTINFO_UNIFIED = [
  '22 28 0:21 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw',
  '26 22 0:23 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 rw,nsdelegate',
  '28 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw',
].join('\n');

const V1_LINES = [
  '31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755',
  '32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu',
  '33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct',
  '35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory',
  '39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids',
  '40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd',
];
const MOUNTINFO_V1 = V1_LINES.join('\n');
const MOUNTINFO_HYBRID = [
  ...V1_LINES,
  '41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw',
].join('\n');

describe('kernel version', () => {
  test('parseKernelRelease reads major.minor[.patch]', () => {
    assert.deepEqual(parseKernelRelease('6.18.44-fc-v669'), { major: 6, minor: 18, patch: 44 });
    assert.deepEqual(parseKernelRelease('5.17'), { major: 5, minor: 17, patch: 0 });
    assert.equal(parseKernelRelease('linux'), undefined);
  });

  test('5.17 and newer are ok', () => {
    const { env } = fixture({}, { uname: '5.17.0' });
    assert.deepEqual(checkKernel(env), {
      id: 'kernel',
      title: 'kernel version',
      status: 'ok',
      detail: '5.17.0 (>= 5.17: BPF ring buffer and bpf_loop)',
    });
    assert.equal(checkKernel({ ...env, uname: '6.18.44-fc-v669' }).status, 'ok');
  });

  test('older than 5.17 fails, giving the release', () => {
    const { env } = fixture({}, { uname: '5.15.0-91-generic', features: { ...ALL_FEATURES, bpfLoop: 0 } });
    const r = checkKernel(env);
    assert.equal(r.status, 'fail');
    assert.equal(
      r.detail,
      '5.15.0-91-generic is older than 5.17; socktap needs the BPF ring buffer (5.8) and bpf_loop (5.17)',
    );
    assert.equal(r.fix, 'upgrade to Linux 5.17 or newer, or to a distribution kernel that backports both');
    assert.equal(checkKernel({ ...env, uname: '5.10.0', features: undefined }).status, 'fail');
  });

  test('an old release whose probe finds both features (backports) is a warning', () => {
    const { env } = fixture({}, { uname: '4.18.0-513.el8.x86_64' });
    const r = checkKernel(env);
    assert.equal(r.status, 'warn');
    assert.equal(
      r.detail,
      '4.18.0-513.el8.x86_64 is older than 5.17, but it has the BPF ring buffer and bpf_loop (backported)',
    );
  });

  test('an unparseable release is a warning', () => {
    const { env } = fixture({}, { uname: 'weird' });
    assert.deepEqual(checkKernel(env), {
      id: 'kernel',
      title: 'kernel version',
      status: 'warn',
      detail: 'cannot parse the kernel release "weird"',
    });
  });
});

describe('BTF', () => {
  test('/sys/kernel/btf/vmlinux is ok', () => {
    const { root, env } = fixture({ 'sys/kernel/btf/vmlinux': 'BTF' });
    const r = checkBtf(env);
    assert.equal(r.status, 'ok');
    assert.equal(r.detail, `found at ${root}/sys/kernel/btf/vmlinux`);
  });

  test('/boot/vmlinux-<release> is a warning: usable via btfPath', () => {
    const { root, env } = fixture({ 'boot/vmlinux-6.1.0-13-amd64': 'ELF' });
    assert.deepEqual(checkBtf(env), {
      id: 'btf',
      title: 'kernel BTF',
      status: 'warn',
      detail: `no ${root}/sys/kernel/btf/vmlinux; ${root}/boot/vmlinux-6.1.0-13-amd64 is usable via btfPath`,
      fix: `set btfPath to ${root}/boot/vmlinux-6.1.0-13-amd64`,
    });
  });

  test('neither fails, naming CONFIG_DEBUG_INFO_BTF and btfhub', () => {
    const { root, env } = fixture({ 'boot/vmlinux-5.4.0': 'another kernel' });
    const r = checkBtf(env);
    assert.equal(r.status, 'fail');
    assert.equal(r.detail, `no ${root}/sys/kernel/btf/vmlinux and no ${root}/boot/vmlinux-6.1.0-13-amd64`);
    assert.equal(r.fix, 'needs CONFIG_DEBUG_INFO_BTF=y or a BTF file for this kernel (btfhub), passed as btfPath');
  });
});

describe('tracefs', () => {
  test('mounted at /sys/kernel/tracing is ok', () => {
    const { root, env } = fixture(tracefsTree());
    assert.deepEqual(checkTracefs(env), {
      id: 'tracefs',
      title: 'tracefs',
      status: 'ok',
      detail: `mounted at ${root}/sys/kernel/tracing`,
    });
  });

  test('mounted only under debugfs is ok', () => {
    const { root, env } = fixture({ ...tracefsTree('sys/kernel/debug/tracing'), 'sys/kernel/tracing': null });
    assert.equal(checkTracefs(env).detail, `mounted at ${root}/sys/kernel/debug/tracing`);
  });

  test('an empty mount point is a warning: the agent mounts it', () => {
    const { root, env } = fixture({ 'sys/kernel/tracing': null });
    assert.deepEqual(checkTracefs(env), {
      id: 'tracefs',
      title: 'tracefs',
      status: 'warn',
      detail: `not mounted at ${root}/sys/kernel/tracing; socktap mounts it at start when root`,
      fix: `or run: mount -t tracefs nodev ${root}/sys/kernel/tracing`,
    });
  });

  test('no mount point fails', () => {
    const { root, env } = fixture({ 'sys/kernel': null });
    const r = checkTracefs(env);
    assert.equal(r.status, 'fail');
    assert.equal(r.detail, `no tracefs mount point at ${root}/sys/kernel/tracing`);
  });
});

describe('syscall tracepoints', () => {
  test('all present is ok', () => {
    const { env } = fixture(tracefsTree());
    assert.deepEqual(checkSyscallTracepoints(env), {
      id: 'syscall-tracepoints',
      title: 'syscall tracepoints',
      status: 'ok',
      detail: 'all 30 present (entry and exit of 15 syscalls)',
    });
  });

  test('missing ones are listed and fail', () => {
    const omit = ['sys_enter_sendfile64', 'sys_exit_sendfile64', 'sys_exit_recvmmsg'];
    const { env } = fixture(tracefsTree('sys/kernel/tracing', omit));
    const r = checkSyscallTracepoints(env);
    assert.equal(r.status, 'fail');
    assert.equal(r.detail, 'missing: sys_exit_recvmmsg, sys_enter_sendfile64, sys_exit_sendfile64');
    assert.equal(r.fix, 'needs a kernel built with CONFIG_FTRACE_SYSCALLS=y');
  });

  test('tracefs without events/syscalls fails', () => {
    const { root, env } = fixture({ 'sys/kernel/tracing/events/sched': null });
    const r = checkSyscallTracepoints(env);
    assert.equal(r.status, 'fail');
    assert.equal(r.detail, `${root}/sys/kernel/tracing/events/syscalls does not exist`);
  });

  test('unmounted tracefs: cannot tell, a warning', () => {
    const { env } = fixture({ 'sys/kernel/tracing': null });
    const r = checkSyscallTracepoints(env);
    assert.equal(r.status, 'warn');
    assert.equal(r.detail, 'cannot tell: tracefs is not mounted');
  });

  test('no tracefs at all fails', () => {
    const { env } = fixture({});
    assert.equal(checkSyscallTracepoints(env).status, 'fail');
  });
});

describe('lockdown', () => {
  test('parseLockdown returns the bracketed mode', () => {
    assert.equal(parseLockdown('none [integrity] confidentiality\n'), 'integrity');
    assert.equal(parseLockdown('[none] integrity confidentiality\n'), 'none');
    assert.equal(parseLockdown('none integrity'), undefined);
  });

  const withMode = (text: string) => checkLockdown(fixture({ 'sys/kernel/security/lockdown': text }).env);

  test('none is ok', () => {
    assert.deepEqual(withMode('[none] integrity confidentiality\n'), {
      id: 'lockdown',
      title: 'kernel lockdown',
      status: 'ok',
      detail: 'none',
    });
  });

  test('integrity is ok, noting bpf_probe_write_user', () => {
    const r = withMode('none [integrity] confidentiality\n');
    assert.equal(r.status, 'ok');
    assert.equal(r.detail, 'integrity: bpf_probe_write_user is unavailable, which socktap never uses');
  });

  test('confidentiality fails: kernel memory reads are blocked', () => {
    const r = withMode('none integrity [confidentiality]\n');
    assert.equal(r.status, 'fail');
    assert.equal(
      r.detail,
      'confidentiality: bpf_probe_read of kernel memory is blocked, and socktap reads socket state with it',
    );
    assert.ok(r.fix?.startsWith('boot with lockdown=integrity'));
  });

  test('securityfs mounted without a lockdown file: LSM not active, ok', () => {
    const { env } = fixture({ 'sys/kernel/security/lsm': 'capability,yama\n' });
    assert.deepEqual(checkLockdown(env), {
      id: 'lockdown',
      title: 'kernel lockdown',
      status: 'ok',
      detail: 'lockdown LSM not active',
    });
  });

  test('securityfs not mounted: the kernel command line decides', () => {
    const { env } = fixture({ 'sys/kernel/security': null, 'proc/cmdline': 'quiet lockdown=confidentiality\n' });
    const r = checkLockdown(env);
    assert.equal(r.status, 'fail');
    assert.ok(r.detail.startsWith('confidentiality (from the kernel command line): '));
  });

  test('securityfs not mounted and nothing on the command line: cannot tell', () => {
    const { root, env } = fixture({ 'sys/kernel/security': null, 'proc/cmdline': 'quiet\n' });
    assert.deepEqual(checkLockdown(env), {
      id: 'lockdown',
      title: 'kernel lockdown',
      status: 'warn',
      detail: `cannot tell: securityfs is not mounted at ${root}/sys/kernel/security`,
      fix: `mount -t securityfs securityfs ${root}/sys/kernel/security, then run socktap doctor again`,
    });
  });
});

describe('capabilities', () => {
  test('parseCapabilityMask reads the hex bitmask of /proc/<pid>/status', () => {
    const mask = parseCapabilityMask('000001fffeffffff');
    assert.equal(mask, 0x1fffeffffffn);
    assert.equal(hasCapability(mask, CAP.SYS_ADMIN), true);
    assert.equal(hasCapability(mask, CAP.BPF), true);
    assert.equal(hasCapability(mask, CAP.PERFMON), true);
    assert.equal(hasCapability(mask, CAP.SYS_RESOURCE), false);
    assert.equal(hasCapability(mask, 40), true);
    assert.equal(hasCapability(mask, 41), false);
    assert.equal(parseCapabilityMask('0'), 0n);
    assert.throws(() => parseCapabilityMask('0x1f'), TypeError);
    assert.throws(() => parseCapabilityMask(''), TypeError);
    assert.throws(() => parseCapabilityMask('1'.repeat(17)), TypeError);
  });

  test('parseCapEff picks the effective set', () => {
    const status = 'Name:\tnode\nCapInh:\t0000000000000000\nCapPrm:\t000001ffffffffff\nCapEff:\t0000000000200000\n';
    assert.equal(parseCapEff(status), 1n << 21n);
    assert.throws(() => parseCapEff('Name:\tnode\n'), TypeError);
  });

  const capsEnv = (capEff: string, uname = '6.1.0') =>
    fixture({ 'proc/self/status': `Name:\tsocktap\nCapEff:\t${capEff}\n` }, { uname }).env;
  const bits = (...caps: number[]) => caps.reduce((m, c) => m | (1n << BigInt(c)), 0n).toString(16).padStart(16, '0');

  test('root (all capabilities) is ok', () => {
    assert.deepEqual(checkCapabilities(capsEnv('000001ffffffffff')), {
      id: 'capabilities',
      title: 'capabilities',
      status: 'ok',
      detail: 'CAP_SYS_ADMIN',
    });
  });

  test('CAP_BPF + CAP_PERFMON is ok, noting missing optional capabilities', () => {
    const r = checkCapabilities(capsEnv(bits(CAP.BPF, CAP.PERFMON, CAP.DAC_READ_SEARCH)));
    assert.equal(r.status, 'ok');
    assert.equal(
      r.detail,
      "CAP_BPF + CAP_PERFMON; missing optional CAP_SYS_PTRACE (reads /proc/<pid>/exe and fd of other users' processes)",
    );
  });

  test('CAP_SYS_RESOURCE is only noted on kernels that charge BPF memory to RLIMIT_MEMLOCK', () => {
    const caps = bits(CAP.SYS_ADMIN, CAP.SYS_PTRACE, CAP.DAC_READ_SEARCH);
    assert.equal(checkCapabilities(capsEnv(caps, '6.1.0')).detail, 'CAP_SYS_ADMIN');
    assert.equal(
      checkCapabilities(capsEnv(caps, '5.10.0')).detail,
      'CAP_SYS_ADMIN; missing optional CAP_SYS_RESOURCE (raises the memlock limit on kernels < 5.11)',
    );
  });

  test('neither CAP_SYS_ADMIN nor CAP_BPF + CAP_PERFMON fails', () => {
    const r = checkCapabilities(capsEnv(bits(CAP.BPF)));
    assert.equal(r.status, 'fail');
    assert.equal(r.detail, 'no CAP_SYS_ADMIN and no CAP_PERFMON (CapEff 0000008000000000)');
    assert.equal(
      r.fix,
      'run as root, or grant CAP_BPF, CAP_PERFMON, CAP_SYS_RESOURCE (and CAP_SYS_ADMIN on kernels < 5.8)',
    );
    const none = checkCapabilities(capsEnv('0000000000000000'));
    assert.equal(none.detail, 'no CAP_SYS_ADMIN and no CAP_BPF, CAP_PERFMON (CapEff 0000000000000000)');
  });

  test('an unreadable status file is a warning', () => {
    const { root, env } = fixture({});
    assert.deepEqual(checkCapabilities(env), {
      id: 'capabilities',
      title: 'capabilities',
      status: 'warn',
      detail: `cannot read ${root}/proc/self/status`,
    });
  });
});

describe('BPF features', () => {
  const byId = (results: CheckResult[]) => Object.fromEntries(results.map((r) => [r.id, r]));

  test('all supported: five ok checks', () => {
    const results = checkBpfFeatures(fixture({}).env);
    assert.deepEqual(
      results.map((r) => [r.id, r.status, r.detail]),
      [
        ['ringbuf', 'ok', 'available'],
        ['bpf-loop', 'ok', 'available'],
        ['tracepoint-programs', 'ok', 'available'],
        ['probe-read-user', 'ok', 'available'],
        ['cgroup-id', 'ok', 'available'],
      ],
    );
  });

  test('0 fails with the kernel that brings it; a negative errno cannot tell', () => {
    const { env } = fixture({}, { features: { ...ALL_FEATURES, ringbuf: 0, bpfLoop: -1, tracepointProgram: 0 } });
    const r = byId(checkBpfFeatures(env));
    assert.deepEqual(r.ringbuf, {
      id: 'ringbuf',
      title: 'ring buffer',
      status: 'fail',
      detail: 'not available; socktap carries every capture event',
      fix: 'needs Linux 5.8',
    });
    assert.equal(r['tracepoint-programs'].fix, 'needs a kernel built with CONFIG_BPF_EVENTS=y');
    assert.equal(r['bpf-loop'].status, 'warn');
    assert.equal(r['bpf-loop'].detail, 'cannot tell (EPERM)');
    assert.equal(r['cgroup-id'].status, 'ok');
  });

  test('no addon: every feature check warns with the load error', () => {
    const { env } = fixture({}, { features: undefined, featuresError: 'the socktap native addon is not built' });
    for (const r of checkBpfFeatures(env)) {
      assert.equal(r.status, 'warn');
      assert.equal(r.detail, 'cannot tell: the socktap native addon is not built');
    }
  });
});

describe('kprobes (information only)', () => {
  const UNAVAILABLE = 'kprobes unavailable: not needed, socktap uses tracepoints';

  test('the kprobe program type missing means unavailable', () => {
    const { env } = fixture(
      { ...tracefsTree(), 'sys/kernel/tracing/kprobe_events': '' },
      { features: { ...ALL_FEATURES, kprobeProgram: 0 } },
    );
    assert.deepEqual(checkKprobes(env), { id: 'kprobes', title: 'kprobes', status: 'ok', detail: UNAVAILABLE });
  });

  test('tracefs decides when mounted: the program type loads even without CONFIG_KPROBES', () => {
    assert.equal(checkKprobes(fixture(tracefsTree()).env).detail, UNAVAILABLE);
    const withEvents = fixture({ ...tracefsTree(), 'sys/kernel/tracing/kprobe_events': '' }).env;
    assert.deepEqual(checkKprobes(withEvents), {
      id: 'kprobes',
      title: 'kprobes',
      status: 'ok',
      detail: 'kprobes available: not used, socktap uses tracepoints',
    });
  });

  test('kallsyms decides when tracefs is not mounted', () => {
    const sym = (name: string) => `0000000000000000 T ${name}\n0000000000000000 T bpf_get_func_ip_kprobe\n`;
    const avail = fixture({ 'sys/kernel/tracing': null, 'proc/kallsyms': sym('register_kprobe') }).env;
    assert.equal(checkKprobes(avail).detail, 'kprobes available: not used, socktap uses tracepoints');
    const unavail = fixture({ 'sys/kernel/tracing': null, 'proc/kallsyms': sym('tcp_sendmsg') }).env;
    assert.equal(checkKprobes(unavail).detail, UNAVAILABLE);
    const unknown = checkKprobes(fixture({ 'sys/kernel/tracing': null }).env);
    assert.equal(unknown.status, 'ok');
    assert.equal(unknown.detail, 'cannot tell: not needed, socktap uses tracepoints');
  });
});

describe('uprobes', () => {
  test('the uprobe PMU is ok', () => {
    const { env } = fixture({ 'sys/bus/event_source/devices/uprobe/type': '8\n' });
    assert.deepEqual(checkUprobes(env), { id: 'uprobes', title: 'uprobes', status: 'ok', detail: 'uprobe PMU type 8' });
  });

  test('no uprobe PMU is a warning: only TLS capture needs it', () => {
    const { root, env } = fixture({ 'sys/bus/event_source/devices/kprobe/type': '6\n' });
    assert.deepEqual(checkUprobes(env), {
      id: 'uprobes',
      title: 'uprobes',
      status: 'warn',
      detail:
        `no ${root}/sys/bus/event_source/devices/uprobe/type: ` +
        'TLS capture through OpenSSL uprobes will not work; plain HTTP is unaffected',
      fix: 'needs a kernel built with CONFIG_UPROBE_EVENTS=y',
    });
  });
});

describe('cgroup layout', () => {
  test('detectCgroupLayout: v2 unified', () => {
    assert.deepEqual(detectCgroupLayout(MOUNTINFO_UNIFIED), {
      kind: 'unified',
      v2MountPoint: '/sys/fs/cgroup',
      v1Controllers: [],
    });
  });

  test('detectCgroupLayout: hybrid (this machine: cgroup2 on /sys/fs/cgroup/unified)', () => {
    assert.deepEqual(detectCgroupLayout(MOUNTINFO_HYBRID), {
      kind: 'hybrid',
      v2MountPoint: '/sys/fs/cgroup/unified',
      v1Controllers: ['cpu', 'cpuacct', 'memory', 'name=systemd', 'pids'],
    });
  });

  test('detectCgroupLayout: v1 only, and none', () => {
    assert.deepEqual(detectCgroupLayout(MOUNTINFO_V1), {
      kind: 'v1',
      v1Controllers: ['cpu', 'cpuacct', 'memory', 'name=systemd', 'pids'],
    });
    assert.deepEqual(detectCgroupLayout('28 1 8:1 / / rw - ext4 /dev/sda1 rw\n'), { kind: 'none', v1Controllers: [] });
  });

  test('detectCgroupLayout prefers /sys/fs/cgroup when cgroup2 is mounted twice', () => {
    const text =
      '50 1 0:23 / /host/cgroup rw - cgroup2 cgroup2 rw\n' + '51 1 0:23 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n';
    assert.equal(detectCgroupLayout(text).v2MountPoint, '/sys/fs/cgroup');
  });

  test('parseMounts reads /proc/mounts too, and unescapes mount points', () => {
    const mounts = 'cgroup2 /sys/fs/cgroup cgroup2 rw,nosuid,nsdelegate 0 0\nnone /mnt/my\\040dir tmpfs rw 0 0\n';
    assert.deepEqual(parseMounts(mounts), [
      { mountPoint: '/sys/fs/cgroup', fsType: 'cgroup2', options: ['rw', 'nosuid', 'nsdelegate'] },
      { mountPoint: '/mnt/my dir', fsType: 'tmpfs', options: ['rw'] },
    ]);
    assert.equal(detectCgroupLayout(mounts).kind, 'unified');
  });

  test('checkCgroups reports each layout', () => {
    const check = (tree: Tree) => checkCgroups(fixture(tree).env);
    assert.deepEqual(check({ 'proc/self/mountinfo': MOUNTINFO_UNIFIED }), {
      id: 'cgroups',
      title: 'cgroup layout',
      status: 'ok',
      detail: 'v2 unified at /sys/fs/cgroup',
    });
    assert.deepEqual(check({ 'proc/self/mountinfo': MOUNTINFO_HYBRID }), {
      id: 'cgroups',
      title: 'cgroup layout',
      status: 'ok',
      detail: 'hybrid: v1 controllers (cpu, cpuacct, memory, name=systemd, pids) + v2 at /sys/fs/cgroup/unified',
    });
    const v1 = check({ 'proc/self/mountinfo': MOUNTINFO_V1 });
    assert.equal(v1.status, 'warn');
    assert.equal(
      v1.detail,
      'v1 only (cpu, cpuacct, memory, name=systemd, pids): ' +
        'in-kernel pod filtering by cgroup id needs the v2 hierarchy; bpf_get_current_cgroup_id returns the v2 id',
    );
    assert.ok(v1.fix?.includes('systemd.unified_cgroup_hierarchy=1'));
  });

  test('checkCgroups falls back to /proc/mounts, and warns when neither is readable', () => {
    const { env } = fixture({ 'proc/mounts': 'cgroup /sys/fs/cgroup/cpu cgroup rw,cpu 0 0\n' });
    assert.equal(checkCgroups(env).status, 'warn');
    assert.ok(checkCgroups(env).detail.startsWith('v1 only (cpu)'));
    const { root, env: empty } = fixture({});
    assert.equal(checkCgroups(empty).detail, `cannot read ${root}/proc/self/mountinfo or ${root}/proc/mounts`);
  });
});

describe('permission denied (as an unprivileged user)', () => {
  // Root bypasses file modes, so the checks run in a child process as nobody when we are root.
  const isRoot = process.getuid?.() === 0;

  test('tracefs and lockdown that cannot be read are warnings, not failures', () => {
    const root = makeTree({ ...tracefsTree(), 'sys/kernel/security/lockdown': 'none [integrity] confidentiality\n' });
    fs.chmodSync(path.join(root, 'sys/kernel/tracing'), 0o700);
    fs.chmodSync(path.join(root, 'sys/kernel/security/lockdown'), 0o000);
    const env = envFor(root);
    let results: CheckResult[];
    if (isRoot) {
      fs.chmodSync(root, 0o755);
      const script = path.join(root, 'run.ts');
      const checks = path.resolve(__dirname, '../../agent/doctor/checks.ts');
      fs.writeFileSync(
        script,
        `import { checkTracefs, checkSyscallTracepoints, checkLockdown } from ${JSON.stringify(checks)};\n` +
          `const env = ${JSON.stringify(env)};\n` +
          'console.log(JSON.stringify([checkTracefs(env), checkSyscallTracepoints(env), checkLockdown(env)]));\n',
      );
      const child = spawnSync(process.execPath, ['--import', 'tsx', script], {
        cwd: path.resolve(__dirname, '../..'),
        uid: 65534,
        gid: 65534,
        encoding: 'utf8',
      });
      assert.equal(child.status, 0, child.stderr);
      results = JSON.parse(child.stdout) as CheckResult[];
    } else {
      results = [checkTracefs(env), checkSyscallTracepoints(env), checkLockdown(env)];
    }
    const [tracefs, syscalls, lockdown] = results;
    assert.equal(tracefs.status, 'warn');
    assert.equal(tracefs.detail, `cannot read ${root}/sys/kernel/tracing (permission denied)`);
    assert.equal(tracefs.fix, 'run socktap doctor as root to check this');
    assert.equal(syscalls.status, 'warn');
    assert.equal(syscalls.detail, `cannot tell: ${root}/sys/kernel/tracing is not readable`);
    assert.equal(lockdown.status, 'warn');
    assert.equal(lockdown.detail, 'cannot read the lockdown mode');
  });
});

describe('runChecks and the report', () => {
  test('runChecks returns every check id, in order', () => {
    const { env } = fixture({});
    assert.deepEqual(
      runChecks(env).map((r) => r.id),
      [...CHECK_IDS],
    );
  });

  test('formatReport: markers, aligned titles, fix lines, summary', () => {
    const results: CheckResult[] = [
      { id: 'a', title: 'kernel version', status: 'ok', detail: '6.1.0' },
      { id: 'b', title: 'tracefs', status: 'warn', detail: 'not mounted', fix: 'mount it' },
      { id: 'c', title: 'btf', status: 'fail', detail: 'none', fix: 'get one' },
    ];
    assert.equal(
      formatReport(results),
      [
        'ok    kernel version  6.1.0',
        'warn  tracefs         not mounted',
        '                      fix: mount it',
        'FAIL  btf             none',
        '                      fix: get one',
        'doctor: 1 ok, 1 warning, 1 failure',
        '',
      ].join('\n'),
    );
    assert.deepEqual(summarize(results), { ok: 1, warn: 1, fail: 1 });
    assert.ok(formatReport([results[0], results[0]]).endsWith('doctor: 2 ok, 0 warnings, 0 failures\n'));
  });

  test('runDoctor on a fixture: exit code 1 when a check fails, the report on out', async () => {
    const { env } = fixture(
      { ...tracefsTree(), 'sys/kernel/btf/vmlinux': 'BTF' },
      { uname: '5.4.0', features: undefined },
    );
    const out = new PassThrough();
    let text = '';
    out.on('data', (chunk: Buffer) => (text += chunk.toString()));
    const code = await runDoctor({ out, env: { ...env, featuresError: 'addon not built' } });
    assert.equal(code, 1);
    assert.match(text, /^FAIL {2}kernel version {7}5\.4\.0 is older than 5\.17/m);
    assert.match(text, /^warn {2}ring buffer +cannot tell: addon not built$/m);
    assert.match(text, /^doctor: \d+ ok, \d+ warnings?, \d+ failures?\n$/m);
  });

  test('runDoctor --json on this machine lists every check', async () => {
    const out = new PassThrough();
    let text = '';
    out.on('data', (chunk: Buffer) => (text += chunk.toString()));
    const code = await runDoctor({ json: true, out });
    const report = JSON.parse(text) as { checks: CheckResult[]; summary: { ok: number; warn: number; fail: number } };
    assert.deepEqual(
      report.checks.map((r) => r.id),
      [...CHECK_IDS],
    );
    for (const r of report.checks) assert.ok(['ok', 'warn', 'fail'].includes(r.status), `${r.id}: ${r.status}`);
    assert.equal(report.summary.ok + report.summary.warn + report.summary.fail, CHECK_IDS.length);
    assert.equal(code, report.summary.fail > 0 ? 1 : 0);
  });
});
