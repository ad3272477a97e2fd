/** The ConfigMap (agent configuration) and the Secret (access token): the token never goes in the first. */
import { CONFIG_FILE, type ResolvedEbpfAgentOptions } from './defaults';
import type { KubeObject } from './kube';
import { metadata, objectNames } from './names';

/** The key in the Secret the spec creates. */
export const TOKEN_KEY = 'token';

export function renderConfigMap(r: ResolvedEbpfAgentOptions, configYaml: string): KubeObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: metadata(r, objectNames(r).configMap, 'namespaced'), data: { [CONFIG_FILE]: configYaml } };
}

/** Exists exactly when `token` is given; with `tokenSecretRef` the user's Secret is used. */
export function renderSecret(r: ResolvedEbpfAgentOptions): KubeObject | undefined {
  if (r.token === undefined) return undefined;
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: metadata(r, objectNames(r).secret, 'namespaced'),
    type: 'Opaque',
    // stringData: readable manifests; the API server stores it base64-encoded in `data`.
    stringData: { [TOKEN_KEY]: r.token },
  };
}

/** The Secret and key the agent's token comes from, if any. */
export function tokenSource(r: ResolvedEbpfAgentOptions): { name: string; key: string } | undefined {
  if (r.token !== undefined) return { name: objectNames(r).secret, key: TOKEN_KEY };
  return r.tokenSecretRef === undefined ? undefined : { ...r.tokenSecretRef };
}
