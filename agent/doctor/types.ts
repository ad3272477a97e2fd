/** The shapes every doctor check shares, and the list of checks. */
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
  /** Processes whose TLS libraries are reported. @default every process but doctor itself */
  tlsPids?: number[];
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
  'tls-libraries',
] as const;

/** The syscalls bpf/socktap.bpf.c attaches to, entry and exit each. */
export const TRACED_SYSCALLS = [
  'accept', 'accept4', 'connect', 'close', 'read', 'write', 'readv', 'writev',
  'sendto', 'recvfrom', 'sendmsg', 'recvmsg', 'sendmmsg', 'recvmmsg', 'sendfile64',
] as const;
