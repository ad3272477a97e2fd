/** BPF features from the addon's probe, and whether kprobes exist (information only). */
import os from 'node:os';
import path from 'node:path';
import type { KernelFeatureProbe } from '../capture/native';
import { RUN_AS_ROOT, pathState, readText } from './fs-probe';
import { locateTracefs } from './tracing';
import { CHECK_IDS, CheckResult, DoctorEnv } from './types';

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
