/**
 * The agent container's environment. Names socktap sets itself are listed in RESERVED_ENV so user
 * `env` cannot shadow them.
 */
import type { ResolvedEbpfAgentOptions } from './defaults';
import { tokenSource } from './config-objects';

export const TOKEN_ENV = 'SOCKTAP_ACCESS_TOKEN';
export const ENVIRONMENT_ENV = 'SOCKTAP_ENVIRONMENT';

/**
 * Mirroring label and annotation keys. The agent config schema has no keys for them yet, so they
 * travel as environment variables; this table is the one place to change when it does.
 */
export const MIRRORING_ENV = {
  namespaceLabel: 'SOCKTAP_MIRROR_NAMESPACE_LABEL',
  podEnabledAnnotation: 'SOCKTAP_MIRROR_POD_ENABLED_ANNOTATION',
  podModeAnnotation: 'SOCKTAP_MIRROR_POD_MODE_ANNOTATION',
  namespaceModeAnnotation: 'SOCKTAP_MIRROR_NAMESPACE_MODE_ANNOTATION',
} as const;

export const RESERVED_ENV: readonly string[] = ['NODE_NAME', TOKEN_ENV, ENVIRONMENT_ENV, ...Object.values(MIRRORING_ENV)];

export function containerEnv(r: ResolvedEbpfAgentOptions): Record<string, unknown>[] {
  // The agent watches only its own node's pods (fieldSelector spec.nodeName=$NODE_NAME).
  const env: Record<string, unknown>[] = [{ name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } }];
  const token = tokenSource(r);
  if (token !== undefined) env.push({ name: TOKEN_ENV, valueFrom: { secretKeyRef: { name: token.name, key: token.key } } });
  if (r.environment !== undefined) env.push({ name: ENVIRONMENT_ENV, value: r.environment });
  for (const [option, name] of Object.entries(MIRRORING_ENV)) {
    env.push({ name, value: r.mirroring[option as keyof typeof MIRRORING_ENV] });
  }
  for (const [name, value] of Object.entries(r.env)) env.push({ name, value });
  return env;
}
