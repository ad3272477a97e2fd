/**
 * Host paths the agent reads, and the few places it writes. Every host mount is read-only except
 * the socket directory, where the agent creates the unix socket consumers on the node use.
 */
import { CONFIG_DIR, type ResolvedEbpfAgentOptions } from './defaults';
import { HOST_PROC_PATH } from './agent-config';
import { objectNames } from './names';

/** Where the emptyDir for downloaded or extracted BTF files is mounted (kernels without /sys/kernel/btf). */
export const BTF_CACHE_PATH = '/var/lib/socktap/btf';

interface Mount {
  readonly name: string;
  readonly mountPath: string;
  readonly readOnly: boolean;
  readonly volume: Record<string, unknown>;
}

/** The directory of the socket path: `/var/log/sock/eve.json` -> `/var/log/sock`. */
export function socketDirectory(socketPath: string): string {
  const cut = socketPath.lastIndexOf('/');
  return cut <= 0 ? '/' : socketPath.slice(0, cut);
}

function mounts(r: ResolvedEbpfAgentOptions): Mount[] {
  const hostDir = (path: string, type?: string) => ({ hostPath: { path, ...(type === undefined ? {} : { type }) } });
  const list: Mount[] = [
    { name: 'config', mountPath: CONFIG_DIR, readOnly: true, volume: { configMap: { name: objectNames(r).configMap } } },
    // Process metadata (comm, cgroup -> container id) of host processes: BPF reports host tgids.
    { name: 'host-proc', mountPath: HOST_PROC_PATH, readOnly: true, volume: hostDir('/proc', 'Directory') },
    // Tracepoint ids and formats; debugfs is where older kernels keep tracing.
    { name: 'tracefs', mountPath: '/sys/kernel/tracing', readOnly: true, volume: hostDir('/sys/kernel/tracing') },
    { name: 'debugfs', mountPath: '/sys/kernel/debug', readOnly: true, volume: hostDir('/sys/kernel/debug') },
    // Pod cgroups -> cgroup ids for the in-kernel filter.
    { name: 'cgroup', mountPath: '/sys/fs/cgroup', readOnly: true, volume: hostDir('/sys/fs/cgroup') },
    { name: 'btf', mountPath: '/sys/kernel/btf', readOnly: true, volume: hostDir('/sys/kernel/btf') },
    { name: 'btf-cache', mountPath: BTF_CACHE_PATH, readOnly: false, volume: { emptyDir: { sizeLimit: '64Mi' } } },
    // The root filesystem is read-only; Node and libbpf may still want a scratch directory.
    { name: 'tmp', mountPath: '/tmp', readOnly: false, volume: { emptyDir: { sizeLimit: '64Mi' } } },
  ];
  if (r.exporters.uds.enabled === true) {
    const dir = socketDirectory(r.exporters.uds.path);
    list.push({ name: 'socket-dir', mountPath: dir, readOnly: false, volume: hostDir(dir, 'DirectoryOrCreate') });
  }
  return list;
}

export function podVolumes(r: ResolvedEbpfAgentOptions): Record<string, unknown>[] {
  return mounts(r).map((m) => ({ name: m.name, ...m.volume }));
}

export function containerVolumeMounts(r: ResolvedEbpfAgentOptions): Record<string, unknown>[] {
  return mounts(r).map((m) => ({ name: m.name, mountPath: m.mountPath, readOnly: m.readOnly }));
}
