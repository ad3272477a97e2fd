/** Kernel version, BTF and lockdown: what the running kernel offers. */
import path from 'node:path';
import { RUN_AS_ROOT, pathState, readDir, readText } from './fs-probe';
import { CheckResult, DoctorEnv } from './types';

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
