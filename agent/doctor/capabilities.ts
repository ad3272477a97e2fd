/** The privileges of this process: effective capabilities from /proc/self/status. */
import path from 'node:path';
import { readText } from './fs-probe';
import { parseKernelRelease } from './kernel';
import { CheckResult, DoctorEnv } from './types';

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
