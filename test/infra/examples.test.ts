/**
 * The examples type-check against the repository's sources and do what they say: each Pulumi
 * program registers the agent under mocks, the CDKTF app synthesizes, the Terraform example
 * only passes arguments the generated module declares.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { parseConfig } from '../../agent/config/schema';
import { fromHelmValues, LEAST_PRIVILEGE_CAPABILITIES, objectList, renderAgentObjects, type KubeObject } from '../../infra/spec';
import { KUBERNETES_PROVIDER_VERSIONS, kubeObjectsFromSynth } from '../../infra/cdktf';

type Any = any; // eslint-disable-line @typescript-eslint/no-explicit-any

const root = join(__dirname, '..', '..');
const examples = join(root, 'examples');
const terraformInstalled = spawnSync('terraform', ['version'], { stdio: 'ignore' }).error === undefined;

function runExample(name: string): Any {
  const run = spawnSync(process.execPath, ['--import', 'tsx', join(__dirname, 'examples-run.ts'), name], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, TSX_TSCONFIG_PATH: join(examples, 'tsconfig.json') },
    timeout: 120_000,
  });
  assert.equal(run.status, 0, `examples/${name} failed:\n${run.stderr}`);
  return JSON.parse(run.stdout);
}

/** The agent's Kubernetes children as registered under Pulumi mocks. */
function agentObjects(result: Any, component = 'socktap'): KubeObject[] {
  const order = ['Namespace', 'ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'ConfigMap', 'Secret', 'DaemonSet'];
  return result.resources
    .filter((r: Any) => r.type.startsWith('kubernetes:') && r.name.startsWith(`${component}-`))
    .map((r: Any) => r.inputs)
    .sort((a: Any, b: Any) => order.indexOf(a.kind) - order.indexOf(b.kind));
}

const byKind = (objects: KubeObject[], kind: string): Any => objects.find((o) => o.kind === kind);
const agentConfig = (objects: KubeObject[]) => parseConfig(parse(byKind(objects, 'ConfigMap').data['config.yaml']));

describe('examples', () => {
  it('type-check with the socktap/* subpaths mapped to infra/', () => {
    const tsc = spawnSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', join(examples, 'tsconfig.json')], { cwd: root, encoding: 'utf8' });
    assert.equal(tsc.status, 0, tsc.stdout + tsc.stderr);
  });

  it('pulumi: deploys the agent from stack config', () => {
    const result = runExample('pulumi');
    assert.ok(result.resources.some((r: Any) => r.type === 'socktap:index:EbpfAgent'));
    const objects = agentObjects(result);
    assert.deepStrictEqual(objects.map((o) => o.kind), ['Namespace', 'ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'ConfigMap', 'Secret', 'DaemonSet']);
    assert.deepStrictEqual(byKind(objects, 'Secret').stringData, { token: 'example-token' });
    assert.equal(agentConfig(objects).capture_all_namespaces, true);
    assert.deepStrictEqual(result.outputs, { namespace: 'socktap', daemonSet: 'socktap', configMap: 'socktap-config' });
  });

  it('existing-stack: joins the stack’s namespace, collector and provider', () => {
    const result = runExample('existing-stack');
    const objects = agentObjects(result);
    assert.equal(byKind(objects, 'Namespace'), undefined, 'the stack owns the namespace');
    for (const o of objects.filter((o) => o.metadata.namespace !== undefined)) assert.equal(o.metadata.namespace, 'observability');
    const config = agentConfig(objects);
    assert.equal(config.exporters.otlp.enabled, true);
    assert.equal(config.exporters.otlp.endpoint, 'http://otel-collector.observability:4318');
    const children = result.resources.filter((r: Any) => r.name.startsWith('socktap-'));
    assert.equal(children.length, objects.length);
    for (const child of children) assert.match(child.provider, /pulumi:providers:kubernetes::cluster::/, child.name);
    assert.ok(result.resources.some((r: Any) => r.type === 'kubernetes:apps/v1:Deployment' && r.name === 'otel-collector'));
  });

  it('helm-values: deploys what fromHelmValues makes of the reference chart’s values', () => {
    const result = runExample('helm-values');
    const { options } = fromHelmValues(readFileSync(join(examples, 'helm-values', 'values.yaml'), 'utf8'));
    assert.deepStrictEqual(agentObjects(result), objectList(renderAgentObjects(options)));
    assert.equal(agentConfig(agentObjects(result)).capture_all_namespaces, true);
  });

  it('cdktf: synthesizes the ready stack and a stack of one’s own', () => {
    const { stacks } = runExample('cdktf');
    assert.deepStrictEqual(Object.keys(stacks).sort(), ['platform', 'socktap']);
    assert.ok(stacks.socktap.variable.daemon_set_mirror_all_namespaces);
    assert.match(JSON.stringify(stacks.socktap.resource.kubernetes_config_map_v1), /var\.daemon_set_mirror_all_namespaces/);
    const platform = kubeObjectsFromSynth(stacks.platform);
    const container = byKind(platform, 'DaemonSet').spec.template.spec.containers[0];
    assert.deepStrictEqual(container.securityContext.capabilities.add, [...LEAST_PRIVILEGE_CAPABILITIES]);
    assert.deepStrictEqual(container.env.find((e: Any) => e.name === 'SOCKTAP_ACCESS_TOKEN').valueFrom.secretKeyRef, { name: 'socktap-access-token', key: 'token' });
    assert.equal(agentConfig(platform).capture_all_namespaces, true);
  });

  it('terraform: passes only variables the module declares and reads only its outputs', () => {
    const main = readFileSync(join(examples, 'terraform', 'main.tf'), 'utf8');
    const variables = readFileSync(join(root, 'infra', 'terraform', 'variables.tf'), 'utf8');
    const outputs = readFileSync(join(root, 'infra', 'terraform', 'outputs.tf'), 'utf8');
    const moduleBlock = /module "socktap" \{([\s\S]*?)\n\}/.exec(main)![1];
    const args = [...moduleBlock.matchAll(/^\s*([a-z_]+)\s*=/gm)].map((m) => m[1]).filter((a) => a !== 'source');
    assert.ok(args.includes('daemon_set_mirror_all_namespaces'));
    for (const arg of args) assert.match(variables, new RegExp(`variable "${arg}" \\{`), `infra/terraform declares ${arg}`);
    for (const [, output] of main.matchAll(/module\.socktap\.([a-z_]+)/g)) assert.match(outputs, new RegExp(`output "${output}" \\{`));
    assert.ok(main.includes(`version = "${KUBERNETES_PROVIDER_VERSIONS}"`), 'same provider versions as the module');
  });

  it('terraform: is terraform fmt-clean', { skip: terraformInstalled ? false : 'terraform is not installed' }, () => {
    const check = spawnSync('terraform', ['fmt', '-check', '-diff', join(examples, 'terraform')], { encoding: 'utf8' });
    assert.equal(check.status, 0, check.stdout + check.stderr);
  });
});
