/**
 * Synthesized Terraform JSON back to the Kubernetes objects it would apply: what the equivalence
 * tests compare with the spec and with the Pulumi component. Pure; no cdktf imports.
 */
import type { KubeObject } from '../spec';
import { fromTerraformJson, RESOURCE_KINDS } from './provider-shape';
import { mapStrings, unescapeTemplate } from './terraform-strings';

/** The order `objectList` applies objects in, so read-back lists compare equal. */
const KIND_ORDER = ['Namespace', 'ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'ConfigMap', 'Secret', 'DaemonSet'];

const NAME_REFERENCE = /^\$\{([a-z0-9_]+)\.([A-Za-z0-9_-]+)\.metadata\[0\]\.name\}$/;

type Resources = Record<string, Record<string, Record<string, unknown>>>;

/**
 * Every `kubernetes_*_v1` resource of a synthesized stack as a Kubernetes object. References to
 * another resource's name (`${kubernetes_namespace_v1.x.metadata[0].name}`) are replaced by that
 * name; other expressions (variables) are kept as text.
 */
export function kubeObjectsFromSynth(synth: string | { resource?: Resources }): KubeObject[] {
  const parsed = (typeof synth === 'string' ? JSON.parse(synth) : synth) as { resource?: Resources };
  const resources = parsed.resource ?? {};
  const nameOf = (type: string, name: string): string | undefined => {
    const metadata = resources[type]?.[name]?.metadata as { name?: unknown } | undefined;
    return typeof metadata?.name === 'string' ? metadata.name : undefined;
  };
  const objects: KubeObject[] = [];
  for (const [type, byName] of Object.entries(resources)) {
    if (!(type in RESOURCE_KINDS)) continue;
    for (const resource of Object.values(byName)) {
      const resolved = mapStrings(resource, (text) => {
        const match = NAME_REFERENCE.exec(text);
        const name = match ? nameOf(match[1], match[2]) : undefined;
        return name ?? text;
      });
      objects.push(mapStrings(fromTerraformJson(type, resolved), unescapeTemplate) as KubeObject);
    }
  }
  return objects.sort((a, b) => KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind));
}
