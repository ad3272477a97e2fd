/** tracefs, syscall tracepoints, kprobes and uprobes: where socktap's probes attach. */
import path from 'node:path';
import { RUN_AS_ROOT, pathState, readDir, readText } from './fs-probe';
import { CheckResult, DoctorEnv, TRACED_SYSCALLS } from './types';

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
