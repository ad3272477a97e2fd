/**
 * Pulumi mocks for the component tests. Mocks are process-global: call `installPulumiMocks` once
 * per test file (node:test runs each file in its own process) before loading resource modules.
 */
import * as pulumi from '@pulumi/pulumi';
import type { KubeObject } from '../../infra/spec';

export interface Registered {
  readonly type: string;
  readonly name: string;
  /** Inputs as the engine received them (secrets still wrapped). */
  readonly rawInputs: Record<string, unknown>;
  readonly provider?: string;
}

/** Pulumi's marker for a secret value in serialized inputs. */
const SECRET_SIG_KEY = '4dabf18193072939515e22adb298388d';
const SECRET_SIG = '1b47061264138c4ac30d75fd1eb44270';

export function isSecretValue(value: unknown): boolean {
  return value !== null && typeof value === 'object' && (value as Record<string, unknown>)[SECRET_SIG_KEY] === SECRET_SIG;
}

/** Plain JSON from serialized inputs: secrets unwrapped, absent (null/undefined) fields dropped. */
export function plainInputs(value: unknown): unknown {
  if (isSecretValue(value)) return plainInputs((value as { value: unknown }).value);
  if (Array.isArray(value)) return value.map(plainInputs);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const plain = plainInputs(v);
      if (plain !== null && plain !== undefined) out[k] = plain;
    }
    return out;
  }
  return value;
}

export function installPulumiMocks(project = 'socktap-test'): Registered[] {
  const registered: Registered[] = [];
  void pulumi.runtime.setMocks(
    {
      newResource(args) {
        registered.push({ type: args.type, name: args.name, rawInputs: args.inputs, provider: args.provider });
        return { id: `${args.name}-id`, state: args.inputs };
      },
      call(args) {
        return args.inputs;
      },
    },
    project,
    'test',
    false,
  );
  return registered;
}

export function settle<T>(output: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => output.apply(resolve));
}

/** Everything the Kubernetes children of component `name` registered, as Kubernetes objects in apply order. */
export function kubeObjectsOf(registered: readonly Registered[], name: string): KubeObject[] {
  const order = ['Namespace', 'ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'ConfigMap', 'Secret', 'DaemonSet'];
  return registered
    .filter((r) => r.type.startsWith('kubernetes:') && r.name.startsWith(`${name}-`))
    .map((r) => plainInputs(r.rawInputs) as KubeObject)
    .sort((a, b) => order.indexOf(a.kind) - order.indexOf(b.kind));
}
