/**
 * What the host is, for the `system info` log line support asks for first (the reference logs
 * it too). Everything is read below an injectable root so tests run on fixture trees and a
 * containerized agent can point at the host's filesystem; missing files give `null`, never errors.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface SystemInfo {
  readonly os: {
    /** PRETTY_NAME from os-release, e.g. `Debian GNU/Linux 12 (bookworm)`. */
    readonly name: string | null;
    /** ID from os-release, e.g. `debian` (the key BTF archives are organized by). */
    readonly id: string | null;
    /** VERSION_ID from os-release, e.g. `12`. */
    readonly version_id: string | null;
  };
  readonly kernel: {
    /** `uname -r`, e.g. `6.1.0-18-amd64`. */
    readonly release: string | null;
    /** `uname -v`, e.g. `#1 SMP PREEMPT_DYNAMIC Debian 6.1.76-1 (2024-02-01)`. */
    readonly version: string | null;
    /** `uname -m`, e.g. `x86_64`. */
    readonly architecture: string;
  };
  readonly cpu: {
    readonly vendor: string | null;
    readonly model: string | null;
    /** Logical CPUs (hardware threads) listed in /proc/cpuinfo. */
    readonly threads: number;
    readonly mhz: number | null;
  };
  readonly memory: {
    /** MemTotal, in MiB. */
    readonly total_mib: number | null;
  };
  /**
   * `kvm`, `qemu`, `vmware`, `microsoft`, `xen`, `amazon`, `google`, `oracle`, ... as
   * systemd-detect-virt names them; `unknown` when the CPU says virtualized but not by whom;
   * null on bare metal or when nothing tells.
   */
  readonly hypervisor: string | null;
  /** IANA zone, e.g. `Etc/UTC`; null when neither /etc/timezone nor /etc/localtime tells. */
  readonly timezone: string | null;
}

export interface SystemInfoOptions {
  /** Filesystem root the files are read under. @default '/' */
  readonly root?: string;
  /** Machine architecture when `<root>/proc/sys/kernel/arch` is absent (kernels before 5.x). @default os.machine() */
  readonly machine?: string;
}

export function readSystemInfo(options: SystemInfoOptions = {}): SystemInfo {
  const root = options.root ?? '/';
  const read = (file: string): string | null => {
    try {
      return fs.readFileSync(path.join(root, file), 'utf8');
    } catch {
      return null;
    }
  };
  const release = parseOsRelease(read('etc/os-release') ?? read('usr/lib/os-release') ?? '');
  const cpuinfo = read('proc/cpuinfo') ?? '';
  return {
    os: { name: release.PRETTY_NAME ?? release.NAME ?? null, id: release.ID ?? null, version_id: release.VERSION_ID ?? null },
    kernel: {
      release: trimmed(read('proc/sys/kernel/osrelease')),
      version: trimmed(read('proc/sys/kernel/version')),
      architecture: trimmed(read('proc/sys/kernel/arch')) ?? options.machine ?? os.machine(),
    },
    cpu: parseCpuinfo(cpuinfo),
    memory: { total_mib: parseMemTotalMib(read('proc/meminfo') ?? '') },
    hypervisor: detectHypervisor(read, cpuinfo),
    timezone: detectTimezone(root, read),
  };
}

/** os-release is shell assignments: `KEY=value`, `KEY="quoted \"value\""`, `KEY='single'`. */
export function parseOsRelease(text: string): Readonly<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (m === null) continue;
    let value = m[2] as string;
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1).replace(/\\(["\\$`])/g, '$1');
    else if (value.startsWith("'") && value.endsWith("'") && value.length >= 2) value = value.slice(1, -1);
    out[m[1] as string] = value;
  }
  return out;
}

export function parseCpuinfo(text: string): SystemInfo['cpu'] {
  let threads = 0;
  const first: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const i = line.indexOf(':');
    if (i < 0) continue;
    const key = line.slice(0, i).trim();
    if (key === 'processor') threads++;
    if (!(key in first)) first[key] = line.slice(i + 1).trim();
  }
  const mhz = Number(first['cpu MHz']);
  return {
    vendor: first.vendor_id ?? null,
    // arm64 has no "model name"; "Hardware" or "CPU part" is the closest it offers.
    model: first['model name'] ?? first.Hardware ?? first['CPU part'] ?? null,
    threads,
    mhz: first['cpu MHz'] !== undefined && Number.isFinite(mhz) ? Math.round(mhz) : null,
  };
}

export function parseMemTotalMib(text: string): number | null {
  const m = /^MemTotal:\s+(\d+)\s*kB/m.exec(text);
  return m === null ? null : Math.round(Number(m[1]) / 1024);
}

// DMI strings that name a hypervisor (prefixes), as systemd-detect-virt matches them.
const DMI_VENDORS: readonly (readonly [string, string])[] = [
  ['KVM', 'kvm'], ['OpenStack', 'kvm'], ['KubeVirt', 'kvm'], ['Amazon EC2', 'amazon'], ['QEMU', 'qemu'],
  ['VMware', 'vmware'], ['VMW', 'vmware'], ['innotek GmbH', 'oracle'], ['VirtualBox', 'oracle'], ['Xen', 'xen'],
  ['Bochs', 'bochs'], ['Parallels', 'parallels'], ['BHYVE', 'bhyve'], ['Hyper-V', 'microsoft'],
  ['Microsoft Corporation', 'microsoft'], ['Google Compute Engine', 'google'], ['Google', 'google'],
  ['Apple Virtualization', 'apple'],
];
const DMI_FILES = ['product_name', 'sys_vendor', 'board_vendor', 'bios_vendor', 'product_version'];

function detectHypervisor(read: (file: string) => string | null, cpuinfo: string): string | null {
  const xen = trimmed(read('sys/hypervisor/type'));
  if (xen !== null) return xen;
  for (const file of DMI_FILES) {
    const value = trimmed(read(`sys/class/dmi/id/${file}`));
    if (value === null) continue;
    const hit = DMI_VENDORS.find(([prefix]) => value.startsWith(prefix));
    if (hit !== undefined) return hit[1];
  }
  // The "hypervisor" CPU flag (CPUID leaf 1, ECX bit 31) says virtualized without saying by whom.
  return /^flags\s*:.*\bhypervisor\b/m.test(cpuinfo) ? 'unknown' : null;
}

function detectTimezone(root: string, read: (file: string) => string | null): string | null {
  const named = trimmed(read('etc/timezone'));
  if (named !== null) return named;
  try {
    const target = fs.readlinkSync(path.join(root, 'etc/localtime'));
    const i = target.indexOf('zoneinfo/');
    return i < 0 ? null : target.slice(i + 'zoneinfo/'.length);
  } catch {
    return null;
  }
}

function trimmed(text: string | null): string | null {
  const t = text?.trim();
  return t === undefined || t === '' ? null : t;
}
