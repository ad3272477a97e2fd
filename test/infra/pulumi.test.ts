/**
 * The Pulumi component under `pulumi.runtime.setMocks`: which children it registers, with what
 * fields, under which parent and provider. The objects must be exactly what the spec renders.
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as pulumi from '@pulumi/pulumi';
import { parse } from 'yaml';
import { parseConfig } from '../../agent/config/schema';
import {
  LEAST_PRIVILEGE_CAPABILITIES,
  objectList,
  renderAgentObjects,
  SpecValidationError,
  type EbpfAgentOptions,
  type KubeObject,
} from '../../infra/spec';
import { installPulumiMocks, isSecretValue, kubeObjectsOf, settle, type Registered } from './pulumi-harness';
import { validateKubeObject } from './spec-kube-schema';

type Any = any; // eslint-disable-line @typescript-eslint/no-explicit-any

const registered = installPulumiMocks();
// Resource modules load after the mocks are in place.
let k8s: typeof import('@pulumi/kubernetes');
let pulumiAdapter: typeof import('../../infra/pulumi');
before(async () => {
  k8s = await import('@pulumi/kubernetes');
  pulumiAdapter = await import('../../infra/pulumi');
});

interface Deployed {
  agent: import('../../infra/pulumi').EbpfAgent;
  objects: KubeObject[];
  byKind: Map<string, Any>;
  children: Registered[];
}

/** Creates the component and waits until every child has registered. */
async function deploy(name: string, args: import('../../infra/pulumi').EbpfAgentArgs, opts?: pulumi.ComponentResourceOptions): Promise<Deployed> {
  const agent = new pulumiAdapter.EbpfAgent(name, args, opts);
  const children = [agent.namespaceResource, agent.serviceAccount, agent.clusterRole, agent.clusterRoleBinding, agent.configMap, agent.secret, agent.daemonSet];
  await settle(pulumi.all(children.filter((c) => c !== undefined).map((c) => c!.urn)));
  await settle(pulumi.all([agent.namespace, agent.daemonSetName, agent.configMapName, agent.serviceAccountName]));
  const objects = kubeObjectsOf(registered, name);
  return {
    agent,
    objects,
    byKind: new Map(objects.map((o) => [o.kind, o])),
    children: registered.filter((r) => r.type.startsWith('kubernetes:') && r.name.startsWith(`${name}-`)),
  };
}

const container = (d: Deployed): Any => d.byKind.get('DaemonSet').spec.template.spec.containers[0];
const podSpec = (d: Deployed): Any => d.byKind.get('DaemonSet').spec.template.spec;
const configText = (d: Deployed): string => d.byKind.get('ConfigMap').data['config.yaml'];
const envNamed = (d: Deployed, name: string): Any => container(d).env.find((e: Any) => e.name === name);

describe('EbpfAgent (Pulumi) with default options', () => {
  let d: Deployed;
  before(async () => {
    d = await deploy('defaults', {});
  });

  it('registers exactly the objects the spec renders, in Kubernetes shape', () => {
    assert.deepStrictEqual(d.objects, objectList(renderAgentObjects({})));
    assert.deepStrictEqual(
      d.objects.map((o) => o.kind),
      ['Namespace', 'ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'ConfigMap', 'DaemonSet'],
    );
    for (const o of d.objects) validateKubeObject(o);
  });

  it('labels the namespace privileged and every object with the common labels', () => {
    assert.equal(d.byKind.get('Namespace').metadata.labels['pod-security.kubernetes.io/enforce'], 'privileged');
    for (const o of d.objects) {
      assert.equal(o.metadata.labels?.['app.kubernetes.io/name'], 'socktap', o.kind);
      assert.equal(o.metadata.labels?.['app.kubernetes.io/part-of'], 'socktap', o.kind);
    }
    for (const kind of ['ServiceAccount', 'ConfigMap', 'DaemonSet']) assert.equal(d.byKind.get(kind).metadata.namespace, 'socktap');
  });

  it('grants get/list/watch on pods, namespaces and services only', () => {
    const [rule] = d.byKind.get('ClusterRole').rules;
    assert.deepStrictEqual([...rule.resources].sort(), ['namespaces', 'pods', 'services']);
    assert.deepStrictEqual(rule.verbs, ['get', 'list', 'watch']);
    const binding = d.byKind.get('ClusterRoleBinding');
    assert.deepStrictEqual(binding.subjects, [{ kind: 'ServiceAccount', name: 'socktap', namespace: 'socktap' }]);
    assert.equal(binding.roleRef.name, 'socktap');
  });

  it('runs the agent privileged with a read-only root filesystem', () => {
    const sc = container(d).securityContext;
    assert.equal(sc.privileged, true);
    assert.equal(sc.readOnlyRootFilesystem, true);
    assert.equal(sc.capabilities, undefined);
  });

  it('mounts host /proc read-only at /hostproc, tracefs, debugfs, cgroup, BTF and the socket directory', () => {
    const mounts = new Map(container(d).volumeMounts.map((m: Any) => [m.mountPath, m]));
    const volumes = new Map(podSpec(d).volumes.map((v: Any) => [v.name, v]));
    const hostproc: Any = mounts.get('/hostproc');
    assert.equal(hostproc.readOnly, true);
    assert.equal((volumes.get(hostproc.name) as Any).hostPath.path, '/proc');
    for (const path of ['/sys/kernel/tracing', '/sys/kernel/debug', '/sys/fs/cgroup', '/sys/kernel/btf', '/var/log/sock']) {
      const mount: Any = mounts.get(path);
      assert.ok(mount, `mount at ${path}`);
      assert.equal((volumes.get(mount.name) as Any).hostPath.path, path);
    }
    assert.ok([...volumes.values()].some((v: Any) => v.emptyDir !== undefined), 'an emptyDir for BTF files');
  });

  it('passes NODE_NAME from the downward API and tolerates every taint', () => {
    assert.deepStrictEqual(envNamed(d, 'NODE_NAME').valueFrom, { fieldRef: { fieldPath: 'spec.nodeName' } });
    assert.deepStrictEqual(podSpec(d).tolerations, [{ operator: 'Exists' }]);
    assert.equal(envNamed(d, 'SOCKTAP_ACCESS_TOKEN'), undefined, 'no token, no token env');
  });

  it('renders a ConfigMap the agent accepts, mirroring off for all namespaces', () => {
    const config = parseConfig(parse(configText(d)));
    assert.equal(config.capture_all_namespaces, false);
    assert.equal(config.k8s_enabled, true);
    assert.equal(config.proc_fs_path, '/hostproc');
  });

  it('exposes the names as outputs', async () => {
    assert.equal(await settle(d.agent.namespace), 'socktap');
    assert.equal(await settle(d.agent.daemonSetName), 'socktap');
    assert.equal(await settle(d.agent.configMapName), 'socktap-config');
    assert.equal(await settle(d.agent.serviceAccountName), 'socktap');
  });

  it('parents every child to the component', async () => {
    assert.equal(d.children.length, 6);
    for (const child of [d.agent.namespaceResource!, d.agent.serviceAccount, d.agent.clusterRole, d.agent.clusterRoleBinding, d.agent.configMap, d.agent.daemonSet]) {
      const urn = await settle(child.urn);
      assert.match(urn, /::socktap:index:EbpfAgent\$kubernetes:/, urn);
    }
    assert.match(await settle(d.agent.urn), /::socktap:index:EbpfAgent::defaults$/);
  });
});

describe('EbpfAgent (Pulumi) options', () => {
  it('mirrors all namespaces when mirroring.allNamespaces is true, given as an output', async () => {
    const d = await deploy('mirrorall', { mirroring: { allNamespaces: pulumi.output(true) } });
    assert.equal(parseConfig(parse(configText(d))).capture_all_namespaces, true);
    assert.deepStrictEqual(d.objects, objectList(renderAgentObjects({ mirroring: { allNamespaces: true } })));
  });

  it('runs unprivileged with the least-privilege capabilities in capabilities mode', async () => {
    const d = await deploy('caps', { security: { mode: 'capabilities', capabilities: 'least-privilege' } });
    const sc = container(d).securityContext;
    assert.equal(sc.privileged, false);
    assert.equal(sc.allowPrivilegeEscalation, false);
    assert.deepStrictEqual(sc.capabilities, { drop: ['ALL'], add: [...LEAST_PRIVILEGE_CAPABILITIES] });
    assert.equal(sc.readOnlyRootFilesystem, true);
  });

  it('puts everything in a custom namespace, created or existing', async () => {
    const created = await deploy('customns', { namespace: { name: pulumi.output('observability') } });
    assert.equal(created.byKind.get('Namespace').metadata.name, 'observability');
    for (const o of created.objects.filter((o) => o.metadata.namespace !== undefined)) assert.equal(o.metadata.namespace, 'observability');
    assert.equal(created.byKind.get('ClusterRoleBinding').subjects[0].namespace, 'observability');
    assert.equal(await settle(created.agent.namespace), 'observability');

    const existing = await deploy('existingns', { name: 'agent2', namespace: { name: 'kube-tools', create: false } });
    assert.equal(existing.agent.namespaceResource, undefined);
    assert.equal(existing.byKind.has('Namespace'), false);
    assert.equal(await settle(existing.agent.namespace), 'kube-tools');
  });

  it('keeps a secret token in the Secret only, as a secret', async () => {
    const d = await deploy('withtoken', { token: pulumi.secret('s3cr3t-token'), environment: 'prod' });
    const secret = d.byKind.get('Secret');
    assert.deepStrictEqual(secret.stringData, { token: 's3cr3t-token' });
    const raw = d.children.find((c) => c.type === 'kubernetes:core/v1:Secret')!;
    assert.ok(isSecretValue(raw.rawInputs.stringData), 'stringData is registered as a secret');
    assert.ok(!isSecretValue(d.children.find((c) => c.type.endsWith('DaemonSet'))!.rawInputs.spec), 'a secret token does not make the DaemonSet secret');
    for (const o of d.objects.filter((o) => o.kind !== 'Secret')) assert.ok(!JSON.stringify(o).includes('s3cr3t-token'), o.kind);
    assert.deepStrictEqual(envNamed(d, 'SOCKTAP_ACCESS_TOKEN').valueFrom, { secretKeyRef: { name: 'socktap-token', key: 'token' } });
    assert.equal(envNamed(d, 'SOCKTAP_ENVIRONMENT').value, 'prod');
    assert.deepStrictEqual(d.objects, objectList(renderAgentObjects({ token: 's3cr3t-token', environment: 'prod' })));
  });

  it('throws at construction, naming the option, when plain options are invalid', () => {
    assert.throws(
      () => new pulumiAdapter.EbpfAgent('invalid', { maxBodyBytes: -1, mode: 'sideways' as EbpfAgentOptions['mode'] }),
      (error: unknown) =>
        error instanceof SpecValidationError &&
        error.issues.some((i) => i.startsWith('maxBodyBytes')) &&
        error.issues.some((i) => i.startsWith('mode')),
    );
  });
});

describe('EbpfAgent (Pulumi) with an explicit provider', () => {
  for (const form of ['providers', 'provider'] as const) {
    it(`gives every child the provider passed as opts.${form}`, async () => {
      const provider = new k8s.Provider(`cluster-${form}`, { kubeconfig: '{}' });
      const d = await deploy(`explicit${form}`, {}, form === 'providers' ? { providers: [provider] } : { provider });
      assert.equal(d.children.length, 6);
      for (const child of d.children) assert.match(child.provider ?? '', new RegExp(`pulumi:providers:kubernetes::cluster-${form}::`), child.name);
    });
  }
});
