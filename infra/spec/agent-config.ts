/**
 * The agent configuration a deployment runs with, built from the options and rendered through
 * the agent's own schema: what lands in the ConfigMap is, by construction, a config the agent
 * accepts. Which option feeds which config key is decided here only.
 */
import { parseConfig, renderConfigYaml, type AgentConfigInput } from '../../agent/config/schema';
import type { ResolvedEbpfAgentOptions } from './defaults';

/** Where the host's /proc is mounted in the container (read-only). */
export const HOST_PROC_PATH = '/hostproc';

/** Option path for each config key the options feed; used to name options in schema errors. */
export const OPTION_FOR_CONFIG_KEY: Readonly<Record<string, string>> = {
  log_level: 'logLevel',
  unix_domain_socket_addr: 'exporters.uds.path',
  capture_all_namespaces: 'mirroring.allNamespaces',
  k8s_enabled: 'mirroring.enabled',
  mode: 'mode',
  max_body_bytes: 'maxBodyBytes',
  redact_headers: 'redactHeaders',
  'exporters.uds.enabled': 'exporters.uds.enabled',
  'exporters.stdout.enabled': 'exporters.stdout.enabled',
  'exporters.otlp.endpoint': 'exporters.otlp.endpoint',
  'exporters.otlp.headers': 'exporters.otlp.headers',
  metrics_addr: 'metrics.port',
  perfmap_queue_size: 'agentConfig.perfmap_queue_size',
  uds_event_queue_size: 'agentConfig.uds_event_queue_size',
  probe_event_queue_size: 'agentConfig.probe_event_queue_size',
  stats_interval: 'agentConfig.stats_interval',
  log_format: 'agentConfig.log_format',
  max_active_ret_probe: 'agentConfig.max_active_ret_probe',
};

export function agentConfigInput(r: ResolvedEbpfAgentOptions): AgentConfigInput {
  const otlp = r.exporters.otlp;
  return {
    ...r.agentConfig,
    log_level: r.logLevel,
    proc_fs_path: HOST_PROC_PATH,
    unix_domain_socket_addr: r.exporters.uds.path,
    // The reference chart ignores daemonSetMirrorAllNamespaces unless mirroring is on; so do we
    // (validation rejects the combination, this keeps the rendered config honest regardless).
    capture_all_namespaces: r.mirroring.enabled === true && r.mirroring.allNamespaces,
    k8s_enabled: r.mirroring.enabled,
    mode: r.mode,
    max_body_bytes: r.maxBodyBytes,
    redact_headers: r.redactHeaders as string[],
    exporters: {
      uds: { enabled: r.exporters.uds.enabled },
      stdout: { enabled: r.exporters.stdout.enabled },
      otlp: otlp.endpoint === undefined ? { enabled: false } : { enabled: true, endpoint: otlp.endpoint, headers: { ...otlp.headers } },
    },
    // Every interface: the kubelet probes the pod IP. Nothing secret is served there.
    metrics_addr: `0.0.0.0:${r.metrics.port}`,
  } as AgentConfigInput;
}

/** The ConfigMap's file. @throws ConfigError when the options make a config the agent rejects. */
export function renderAgentConfig(r: ResolvedEbpfAgentOptions): string {
  const header = '# socktap agent config, rendered from the deployment options (infra/spec)\n';
  return header + renderConfigYaml(parseConfig(agentConfigInput(r), 'rendered from the deployment options'));
}
