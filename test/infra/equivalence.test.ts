/**
 * The Pulumi component and the CDKTF construct apply the same Kubernetes objects for the same
 * options: both normalized back to Kubernetes JSON (Pulumi: the mocked registrations; CDKTF: the
 * synthesized provider JSON read back), compared with each other and with the spec's rendering.
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as pulumi from '@pulumi/pulumi';
import { Testing, TerraformStack } from 'cdktf';
import { KubernetesProvider } from '@cdktf/provider-kubernetes/lib/provider';
import { objectList, renderAgentObjects, type EbpfAgentOptions, type KubeObject } from '../../infra/spec';
import { EbpfAgent as CdktfAgent, kubeObjectsFromSynth } from '../../infra/cdktf';
import { installPulumiMocks, kubeObjectsOf, settle } from './pulumi-harness';

const registered = installPulumiMocks();
let pulumiAdapter: typeof import('../../infra/pulumi');
before(async () => {
  pulumiAdapter = await import('../../infra/pulumi');
});

const OPTION_SETS: Record<string, EbpfAgentOptions> = {
  defaults: {},
  'token, environment, mirror all namespaces': { token: 'tok-1', environment: 'prod', mirroring: { allNamespaces: true } },
  'least privilege in an existing namespace with a secret reference': {
    security: { mode: 'capabilities', capabilities: 'least-privilege' },
    namespace: { name: 'observability', create: false },
    tokenSecretRef: { name: 'agent-token', key: 'value' },
  },
  'everything set': {
    name: 'tap',
    namespace: { name: 'tap-system', labels: { team: 'sec' }, annotations: { owner: 'sec' } },
    labels: { env: 'staging' },
    annotations: { 'example.com/note': 'a ${literal} %{directive}' },
    token: 'tok-2',
    environment: 'staging',
    mirroring: { enabled: true, allNamespaces: false, namespaceLabel: 'capture' },
    mode: 'all',
    maxBodyBytes: 4096,
    redactHeaders: ['Authorization', 'X-Secret'],
    exporters: { uds: { path: '/run/tap/eve.json' }, otlp: { endpoint: 'http://otel.observability:4318', headers: { 'x-api-key': 'k' } }, stdout: { enabled: true } },
    logLevel: 'debug',
    metrics: { port: 9999 },
    security: { mode: 'capabilities', capabilities: ['BPF', 'PERFMON', 'SYS_PTRACE'] },
    image: 'registry.local/socktap:dev',
    imagePullPolicy: 'Always',
    imagePullSecrets: ['regcred'],
    env: { EXTRA: '1' },
    resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { cpu: '2', memory: '1Gi' } },
    nodeSelector: { 'kubernetes.io/arch': 'amd64' },
    tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'tap', effect: 'NoExecute', tolerationSeconds: 60 }],
    scheduleOnControlPlane: true,
    priorityClassName: 'system-node-critical',
    updateStrategy: { type: 'RollingUpdate', maxUnavailable: '20%', maxSurge: 0 },
    probes: { enabled: false },
  },
};

/** Each top-level option as an output, so the component resolves real Inputs. */
function asInputs(options: EbpfAgentOptions): import('../../infra/pulumi').EbpfAgentArgs {
  const { namespace, token, ...rest } = options;
  const args: Record<string, unknown> = Object.fromEntries(Object.entries(rest).map(([k, v]) => [k, pulumi.output(v)]));
  if (namespace !== undefined) args.namespace = { ...namespace, name: namespace.name === undefined ? undefined : pulumi.output(namespace.name) };
  if (token !== undefined) args.token = pulumi.secret(token);
  return args as import('../../infra/pulumi').EbpfAgentArgs;
}

async function pulumiObjects(name: string, options: EbpfAgentOptions): Promise<KubeObject[]> {
  const agent = new pulumiAdapter.EbpfAgent(name, asInputs(options));
  const children = [agent.namespaceResource, agent.serviceAccount, agent.clusterRole, agent.clusterRoleBinding, agent.configMap, agent.secret, agent.daemonSet];
  await settle(pulumi.all(children.filter((c) => c !== undefined).map((c) => c!.urn)));
  return kubeObjectsOf(registered, name);
}

function cdktfObjects(options: EbpfAgentOptions): KubeObject[] {
  const stack = new TerraformStack(Testing.app(), 'equivalence');
  new KubernetesProvider(stack, 'kubernetes', {});
  new CdktfAgent(stack, 'agent', options);
  return kubeObjectsFromSynth(Testing.synth(stack, true));
}

describe('Pulumi and CDKTF produce the same Kubernetes objects', () => {
  Object.entries(OPTION_SETS).forEach(([label, options], i) => {
    it(label, async () => {
      const expected = objectList(renderAgentObjects(options));
      const fromPulumi = await pulumiObjects(`eq${i}x`, options);
      const fromCdktf = cdktfObjects(options);
      assert.deepStrictEqual(fromPulumi, fromCdktf);
      assert.deepStrictEqual(fromPulumi, expected);
      assert.deepStrictEqual(fromCdktf, expected);
    });
  });
});
