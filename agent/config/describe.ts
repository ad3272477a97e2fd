/**
 * The effective configuration as the one `config ...` log line, in the reference agent's form
 * (`key:{value:...}`, an unset key as `{}`), and the `system info {...}` line. Secrets in the
 * config (OTLP header values, URL passwords) are masked: logs travel further than config files.
 */
import { formatDuration } from './duration';
import { AgentConfigSchema, type AgentConfig } from './schema';
import type { SystemInfo } from './sysinfo';
import { keysAt } from './walk';

export { readSystemInfo, type SystemInfo, type SystemInfoOptions } from './sysinfo';

const MASK = '[REDACTED]';

/** `config log_level:{value:"info"} proc_fs_path:{value:"/proc"} ... exporters:{uds:{enabled:{value:true} ...} ...}` */
export function describeConfig(config: AgentConfig): string {
  return `config ${fields(config as unknown as Record<string, unknown>, [])}`;
}

/** `system info {"os":{...},...}` */
export function describeSystem(info: SystemInfo): string {
  return `system info ${JSON.stringify(info)}`;
}

function fields(object: Record<string, unknown>, path: readonly string[]): string {
  const keys = keysAt(AgentConfigSchema, path) ?? Object.keys(object);
  return keys.map((key) => `${key}:${entry(object[key], [...path, key])}`).join(' ');
}

function entry(value: unknown, path: readonly string[]): string {
  if (keysAt(AgentConfigSchema, path) !== undefined) return `{${fields((value ?? {}) as Record<string, unknown>, path)}}`;
  if (value === undefined) return '{}';
  return `{value:${JSON.stringify(shown(value, path.join('.')))}}`;
}

function shown(value: unknown, key: string): unknown {
  switch (key) {
    case 'stats_interval':
      return formatDuration(value as number);
    case 'exporters.otlp.headers':
      return Object.fromEntries(Object.keys(value as Record<string, string>).map((name) => [name, MASK]));
    case 'exporters.otlp.endpoint':
      return maskPassword(value as string);
    default:
      return value;
  }
}

function maskPassword(url: string): string {
  const u = new URL(url);
  if (u.password === '') return url;
  u.password = 'redacted';
  return u.toString();
}
