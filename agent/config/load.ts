/**
 * The effective configuration: defaults, then the YAML file, then SOCKTAP_* environment variables
 * (see env.ts for the mapping), then CLI flags. Every problem in every source is reported at once,
 * in one ConfigError, each with its key path and where the value came from.
 */
import { AgentConfigSchema, type AgentConfig, type AgentConfigOverrides } from './schema';
import { envLayer } from './env';
import { toConfigError } from './issues';
import { isPlainObject, Layered } from './layers';
import { readYamlConfig } from './yaml-file';

export interface LoadConfigOptions {
  /**
   * A command's own defaults, under the file: e.g. `socktap run` writes to stdout instead of the
   * unix socket unless the file (or env, or a flag) says otherwise. @default {}
   */
  readonly base?: AgentConfigOverrides;
  /** YAML config file. @default no file: defaults, environment and flags only */
  readonly file?: string;
  /** Environment to read SOCKTAP_* overrides from. @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  /** Already-parsed CLI flags in config form; `undefined` values are ignored. @default {} */
  readonly flags?: AgentConfigOverrides;
  /** Names the flag that set the value at a key path, for error messages (e.g. `--mode`). */
  readonly flagName?: (path: readonly PropertyKey[]) => string | undefined;
}

export interface LoadedConfig {
  readonly config: AgentConfig;
  /**
   * Things the caller should log at `warn`: settings that are accepted but do nothing, and
   * SOCKTAP_* variables that look like misspelled configuration variables.
   */
  readonly notices: readonly string[];
}

export const MAX_ACTIVE_RET_PROBE_NOTICE = 'max_active_ret_probe has no effect: syscall tracepoints never miss a return';

/** @throws ConfigError when a file cannot be read or parsed, or any value is invalid. */
export function loadConfig(options: LoadConfigOptions = {}): LoadedConfig {
  const layers = new Layered();
  if (options.base !== undefined) layers.add(options.base, () => ({ label: 'command default' }));
  if (options.file !== undefined) {
    const yaml = readYamlConfig(options.file);
    layers.add(yaml.value, (path) => {
      const line = yaml.lineOf(path);
      return { label: line === undefined ? `file ${yaml.file}` : `file ${yaml.file} line ${line}` };
    });
  }
  const env = envLayer(AgentConfigSchema, options.env ?? process.env);
  const envByPath = new Map(env.used.map((v) => [JSON.stringify(v.path), v.name]));
  layers.add(env.value, (path) => {
    for (let n = path.length; n > 0; n--) {
      const name = envByPath.get(JSON.stringify(path.slice(0, n)));
      if (name !== undefined) return { label: `env ${name}` };
    }
    return { label: 'environment' };
  });
  if (options.flags !== undefined) {
    if (!isPlainObject(options.flags)) throw new TypeError(`flags must be an object, got ${typeof options.flags}`);
    const name = options.flagName;
    layers.add(options.flags, (path) => {
      const flag = name?.(path);
      return { label: flag === undefined ? 'command-line flag' : `flag ${flag}` };
    });
  }

  const result = AgentConfigSchema.safeParse(layers.value);
  if (!result.success) throw toConfigError(AgentConfigSchema, result.error.issues, (path) => layers.locate(path));
  return { config: result.data, notices: [...noticesFor(result.data), ...env.notices] };
}

function noticesFor(config: AgentConfig): string[] {
  const notices: string[] = [];
  if (config.max_active_ret_probe !== undefined) notices.push(MAX_ACTIVE_RET_PROBE_NOTICE);
  if (config.capture_all_namespaces && !config.k8s_enabled) {
    notices.push('capture_all_namespaces has no effect without k8s_enabled: namespaces exist only in Kubernetes mode');
  }
  return notices;
}
