/**
 * The CDKTF construct and stack through `Testing.synth` / `Testing.synthHcl`: the provider-shaped
 * JSON has the important fields, reads back to exactly what the spec renders, and the stack's
 * Terraform variables reach the objects for every combination of their values.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Testing, TerraformStack } from 'cdktf';
import { KubernetesProvider } from '@cdktf/provider-kubernetes/lib/provider';
import { parse } from 'yaml';
import { parseConfig } from '../../agent/config/schema';
import { DEFAULTS, DEFAULT_CAPABILITIES, objectList, renderAgentObjects, SpecValidationError, type EbpfAgentOptions } from '../../infra/spec';
import { EbpfAgent, EbpfAgentStack, kubeObjectsFromSynth, splitHclBlocks, STACK_VARIABLES, type EbpfAgentProps } from '../../infra/cdktf';
import { failingValidations, planResources } from './cdktf-harness';
import { validateKubeObject } from './spec-kube-schema';

type Any = any; // eslint-disable-line @typescript-eslint/no-explicit-any

function synth(props: EbpfAgentProps = {}): { json: Any; text: string } {
  const stack = new TerraformStack(Testing.app(), 'test');
  new KubernetesProvider(stack, 'kubernetes', {});
  new EbpfAgent(stack, 'agent', props);
  const text = Testing.synth(stack, true);
  return { json: JSON.parse(text), text };
}

/** The only resource of a type (the construct creates one of each). */
function only(json: Any, type: string): Any {
  const resources = Object.values(json.resource[type] ?? {});
  assert.equal(resources.length, 1, `one ${type}`);
  return resources[0];
}

const daemonSet = (json: Any) => only(json, 'kubernetes_daemon_set_v1');
const container = (json: Any) => daemonSet(json).spec.template.spec.container[0];
const configText = (json: Any): string => only(json, 'kubernetes_config_map_v1').data['config.yaml'];

describe('EbpfAgent (CDKTF) with default options', () => {
  const { json, text } = synth();

  it('synthesizes exactly the objects the spec renders', () => {
    const objects = kubeObjectsFromSynth(text);
    assert.deepStrictEqual(objects, objectList(renderAgentObjects({})));
    for (const o of objects) validateKubeObject(o);
    assert.deepStrictEqual(Object.keys(json.resource).sort(), [
      'kubernetes_cluster_role_binding_v1',
      'kubernetes_cluster_role_v1',
      'kubernetes_config_map_v1',
      'kubernetes_daemon_set_v1',
      'kubernetes_namespace_v1',
      'kubernetes_service_account_v1',
    ]);
  });

  it('labels the namespace privileged and references it from namespaced objects', () => {
    const ns = only(json, 'kubernetes_namespace_v1');
    assert.equal(ns.metadata.labels['pod-security.kubernetes.io/enforce'], 'privileged');
    assert.equal(ns.metadata.name, 'socktap');
    for (const type of ['kubernetes_service_account_v1', 'kubernetes_config_map_v1', 'kubernetes_daemon_set_v1']) {
      assert.match(only(json, type).metadata.namespace, /^\$\{kubernetes_namespace_v1\.[^.]+\.metadata\[0\]\.name\}$/, type);
      assert.equal(only(json, type).metadata.labels['app.kubernetes.io/name'], 'socktap');
    }
  });

  it('writes RBAC as rule and subject blocks', () => {
    const [rule] = only(json, 'kubernetes_cluster_role_v1').rule;
    assert.deepStrictEqual(rule.verbs, ['get', 'list', 'watch']);
    const binding = only(json, 'kubernetes_cluster_role_binding_v1');
    assert.equal(binding.subject[0].kind, 'ServiceAccount');
    assert.match(binding.role_ref.name, /kubernetes_cluster_role_v1\./);
  });

  it('runs the agent privileged with a read-only root filesystem', () => {
    const sc = container(json).security_context;
    assert.equal(sc.privileged, true);
    assert.equal(sc.read_only_root_filesystem, true);
    assert.equal(sc.capabilities, undefined);
  });

  it('mounts host /proc read-only at /hostproc and the kernel filesystems', () => {
    const mounts = new Map<string, Any>(container(json).volume_mount.map((m: Any) => [m.mount_path, m]));
    const volumes = new Map<string, Any>(daemonSet(json).spec.template.spec.volume.map((v: Any) => [v.name, v]));
    assert.equal(mounts.get('/hostproc').read_only, true);
    assert.equal(volumes.get(mounts.get('/hostproc').name).host_path.path, '/proc');
    for (const path of ['/sys/kernel/tracing', '/sys/kernel/debug', '/sys/fs/cgroup', '/sys/kernel/btf', '/var/log/sock']) {
      assert.equal(volumes.get(mounts.get(path).name).host_path.path, path);
    }
    assert.ok([...volumes.values()].some((v) => v.empty_dir !== undefined));
  });

  it('passes NODE_NAME from the downward API, tolerates every taint, keeps the update strategy', () => {
    const env = container(json).env.find((e: Any) => e.name === 'NODE_NAME');
    assert.deepStrictEqual(env.value_from, { field_ref: { field_path: 'spec.nodeName' } });
    assert.deepStrictEqual(daemonSet(json).spec.template.spec.toleration, [{ operator: 'Exists' }]);
    assert.deepStrictEqual(daemonSet(json).spec.strategy, { type: 'RollingUpdate', rolling_update: { max_unavailable: '1', max_surge: '0' } });
  });

  it('renders a ConfigMap the agent accepts, mirroring off', () => {
    const config = parseConfig(parse(configText(json)));
    assert.equal(config.capture_all_namespaces, false);
    assert.equal(config.k8s_enabled, true);
  });
});

describe('EbpfAgent (CDKTF) options', () => {
  it('mirrors all namespaces when mirroring.allNamespaces is true', () => {
    const { json, text } = synth({ mirroring: { allNamespaces: true } });
    assert.equal(parseConfig(parse(configText(json))).capture_all_namespaces, true);
    assert.deepStrictEqual(kubeObjectsFromSynth(text), objectList(renderAgentObjects({ mirroring: { allNamespaces: true } })));
  });

  it('runs unprivileged with capabilities in capabilities mode', () => {
    const { json } = synth({ security: { mode: 'capabilities' } });
    const sc = container(json).security_context;
    assert.equal(sc.privileged, false);
    assert.equal(sc.allow_privilege_escalation, false);
    assert.deepStrictEqual(sc.capabilities, { drop: ['ALL'], add: [...DEFAULT_CAPABILITIES] });
  });

  it('uses a custom namespace, created or existing', () => {
    const created = synth({ namespace: { name: 'observability' } });
    assert.equal(only(created.json, 'kubernetes_namespace_v1').metadata.name, 'observability');
    assert.deepStrictEqual(kubeObjectsFromSynth(created.text), objectList(renderAgentObjects({ namespace: { name: 'observability' } })));
    const existing = synth({ namespace: { name: 'kube-tools', create: false } });
    assert.equal(existing.json.resource.kubernetes_namespace_v1, undefined);
    assert.equal(daemonSet(existing.json).metadata.namespace, 'kube-tools');
  });

  it('keeps the token in the Secret only', () => {
    const { json, text } = synth({ token: 's3cr3t-token', environment: 'prod' });
    const secret = only(json, 'kubernetes_secret_v1');
    assert.deepStrictEqual(secret.data, { token: 's3cr3t-token' });
    assert.equal(secret.type, 'Opaque');
    assert.ok(!configText(json).includes('s3cr3t-token'));
    const tokenEnv = container(json).env.find((e: Any) => e.name === 'SOCKTAP_ACCESS_TOKEN');
    assert.match(tokenEnv.value_from.secret_key_ref.name, /kubernetes_secret_v1\./);
    assert.deepStrictEqual(kubeObjectsFromSynth(text), objectList(renderAgentObjects({ token: 's3cr3t-token', environment: 'prod' })));
  });

  it('escapes template sequences in user values', () => {
    const options: EbpfAgentOptions = { env: { GREETING: 'hello ${name} %{if x}' } };
    const { json, text } = synth(options);
    assert.equal(container(json).env.find((e: Any) => e.name === 'GREETING').value, 'hello $${name} %%{if x}');
    assert.deepStrictEqual(kubeObjectsFromSynth(text), objectList(renderAgentObjects(options)));
  });

  it('uses the provider it is given', () => {
    const stack = new TerraformStack(Testing.app(), 'test');
    new KubernetesProvider(stack, 'default', {});
    const other = new KubernetesProvider(stack, 'other', { alias: 'other', configContext: 'other' });
    new EbpfAgent(stack, 'agent', { provider: other });
    const json = JSON.parse(Testing.synth(stack, true));
    for (const byName of Object.values<Any>(json.resource)) {
      for (const resource of Object.values<Any>(byName)) assert.equal(resource.provider, 'kubernetes.other');
    }
  });

  it('throws naming the option when options are invalid', () => {
    assert.throws(
      () => synth({ maxBodyBytes: -1 }),
      (error: unknown) => error instanceof SpecValidationError && error.issues.some((i) => i.startsWith('maxBodyBytes')),
    );
  });
});

describe('EbpfAgentStack', () => {
  const moduleStack = () => new EbpfAgentStack(Testing.app(), 'socktap', { kubernetesProvider: false });

  it('has the reference module variables; HCL carries daemon_set_mirror_all_namespaces into the ConfigMap', () => {
    const hcl: string = Testing.synthHcl(moduleStack());
    assert.match(hcl, /variable "daemon_set_mirror_all_namespaces" \{/);
    const block = (start: string) => splitHclBlocks(hcl).find((b) => b.startsWith(start))!;
    const variable = block('variable "daemon_set_mirror_all_namespaces"');
    assert.match(variable, /type = bool/);
    assert.match(variable, /default = false/, 'a false default survives HCL synthesis');
    const configMap = block('resource "kubernetes_config_map_v1" "config_map"');
    assert.match(configMap, /capture_all_namespaces: \$\{[^\n]*var\.daemon_set_mirror_all_namespaces/);
    assert.match(hcl, /variable "token" \{[^}]*sensitive = true/);
    for (const v of ['token', 'environment', 'namespace', 'image', 'daemon_set_mirroring_enabled', 'ebpf_run_as_privileged']) {
      assert.match(hcl, new RegExp(`variable "${v}" \\{`));
    }
    for (const o of ['namespace_name', 'daemon_set_name', 'config_map_name', 'service_account_name']) assert.match(hcl, new RegExp(`output "${o}" \\{`));
    assert.doesNotMatch(hcl, /provider "kubernetes"/, 'a module inherits its caller’s provider');
  });

  it('declares variables and outputs in the JSON synthesis, with a provider by default', () => {
    const json = JSON.parse(Testing.synth(new EbpfAgentStack(Testing.app(), 'socktap'), true));
    assert.deepStrictEqual(Object.keys(json.variable).sort(), STACK_VARIABLES.map((v) => v.name).sort());
    assert.equal(json.variable.token.sensitive, true);
    assert.equal(json.variable.token.default, undefined, 'token is required');
    assert.equal(json.variable.ebpf_run_as_privileged.default, true);
    assert.equal(json.variable.namespace.default, DEFAULTS.namespace);
    assert.ok(json.provider.kubernetes);
    assert.deepStrictEqual(Object.keys(json.output).sort(), ['config_map_name', 'daemon_set_name', 'namespace_name', 'service_account_name']);
  });

  it('applies exactly what the spec renders for every combination of the variables', () => {
    const text = Testing.synth(moduleStack());
    const strings = { token: 'tok-123', environment: 'staging', namespace: 'agents', image: 'registry.local/socktap:dev' };
    let valid = 0;
    for (let bits = 0; bits < 8; bits++) {
      const vars = {
        ...strings,
        daemon_set_mirroring_enabled: Boolean(bits & 1),
        daemon_set_mirror_all_namespaces: Boolean(bits & 2),
        ebpf_run_as_privileged: Boolean(bits & 4),
      };
      const options: EbpfAgentOptions = {
        token: strings.token,
        environment: strings.environment,
        namespace: { name: strings.namespace },
        image: strings.image,
        mirroring: { enabled: vars.daemon_set_mirroring_enabled, allNamespaces: vars.daemon_set_mirror_all_namespaces },
        security: { mode: vars.ebpf_run_as_privileged ? 'privileged' : 'capabilities' },
      };
      let expected;
      try {
        expected = objectList(renderAgentObjects(options));
      } catch (error) {
        assert.ok(error instanceof SpecValidationError);
        assert.notDeepStrictEqual(failingValidations(text, vars), [], `Terraform rejects ${JSON.stringify(vars)} as the spec does`);
        continue;
      }
      valid++;
      assert.deepStrictEqual(failingValidations(text, vars), [], JSON.stringify(vars));
      assert.deepStrictEqual(kubeObjectsFromSynth(planResources(text, vars)), expected, JSON.stringify(vars));
    }
    assert.equal(valid, 6);
  });
});
