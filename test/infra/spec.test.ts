import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { parseConfig, DEFAULT_REDACT_HEADERS } from '../../agent/config/schema';
import {
  renderAgentObjects,
  objectList,
  resolveOptions,
  DEFAULT_CAPABILITIES,
  LEAST_PRIVILEGE_CAPABILITIES,
  SOCKTAP_VERSION,
  type AgentObjects,
  type EbpfAgentOptions,
  type KubeObject,
} from '../../infra/spec';
import { validateKubeObject } from './spec-kube-schema';

type Any = any; // eslint-disable-line @typescript-eslint/no-explicit-any

function podSpec(objects: AgentObjects): Any {
  return (objects.daemonSet as Any).spec.template.spec;
}
function agentContainer(objects: AgentObjects): Any {
  return podSpec(objects).containers[0];
}
function agentConfig(objects: AgentObjects) {
  return parseConfig(parse((objects.configMap.data as Record<string, string>)['config.yaml']));
}
function envOf(objects: AgentObjects): Map<string, Any> {
  return new Map(agentContainer(objects).env.map((e: Any) => [e.name, e]));
}
function mountsOf(objects: AgentObjects): Map<string, Any> {
  return new Map(agentContainer(objects).volumeMounts.map((m: Any) => [m.mountPath, m]));
}
function volumesOf(objects: AgentObjects): Map<string, Any> {
  return new Map(podSpec(objects).volumes.map((v: Any) => [v.name, v]));
}
function hasUndefined(value: unknown): boolean {
  if (value === undefined) return true;
  if (value !== null && typeof value === 'object') return Object.values(value).some(hasUndefined);
  return false;
}

describe('renderAgentObjects: defaults', () => {
  const objects = renderAgentObjects();

  it('renders every object in apply order, namespace first, DaemonSet last, no Secret without a token', () => {
    assert.deepEqual(objectList(objects).map((o) => o.kind), ['Namespace', 'ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'ConfigMap', 'DaemonSet']);
    assert.equal(objects.secret, undefined);
  });

  it('is plain JSON without undefined, and the same for the same options', () => {
    assert.equal(hasUndefined(objects), false);
    assert.deepEqual(JSON.parse(JSON.stringify(objects)), objects);
    assert.deepEqual(renderAgentObjects({}), objects);
  });

  it('every object validates against the Kubernetes OpenAPI schema', () => {
    for (const o of objectList(objects)) validateKubeObject(o);
  });

  it('namespace socktap, labelled privileged for Pod Security and excluded from mirroring', () => {
    assert.equal(objects.namespace?.metadata.name, 'socktap');
    assert.equal(objects.namespace?.metadata.labels?.['pod-security.kubernetes.io/enforce'], 'privileged');
    assert.equal(objects.namespace?.metadata.labels?.['traceableai-mirror'], 'disabled');
    for (const o of [objects.serviceAccount, objects.configMap, objects.daemonSet]) assert.equal(o.metadata.namespace, 'socktap');
    assert.equal(objects.clusterRole.metadata.namespace, undefined);
  });

  it('standard labels on every object, the selector a subset of the pod labels', () => {
    for (const o of objectList(objects)) {
      assert.equal(o.metadata.labels?.['app.kubernetes.io/name'], 'socktap', o.kind);
      assert.equal(o.metadata.labels?.['app.kubernetes.io/instance'], 'socktap', o.kind);
      assert.equal(o.metadata.labels?.['app.kubernetes.io/version'], SOCKTAP_VERSION, o.kind);
    }
    const ds = objects.daemonSet as Any;
    const podLabels = ds.spec.template.metadata.labels;
    for (const [k, v] of Object.entries(ds.spec.selector.matchLabels)) assert.equal(podLabels[k], v);
  });

  it('RBAC: read-only pods, namespaces, services, bound to the agent ServiceAccount', () => {
    assert.deepEqual((objects.clusterRole as Any).rules, [{ apiGroups: [''], resources: ['pods', 'namespaces', 'services'], verbs: ['get', 'list', 'watch'] }]);
    const binding = objects.clusterRoleBinding as Any;
    assert.deepEqual(binding.roleRef, { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: objects.clusterRole.metadata.name });
    assert.deepEqual(binding.subjects, [{ kind: 'ServiceAccount', name: 'socktap', namespace: 'socktap' }]);
    assert.equal(podSpec(objects).serviceAccountName, objects.serviceAccount.metadata.name);
  });

  it('ConfigMap holds a config the agent schema accepts, set up for Kubernetes', () => {
    const config = agentConfig(objects);
    assert.equal(config.k8s_enabled, true);
    assert.equal(config.proc_fs_path, '/hostproc');
    assert.equal(config.capture_all_namespaces, false);
    assert.equal(config.mode, 'ingress');
    assert.equal(config.max_body_bytes, 65536);
    assert.deepEqual(config.redact_headers, [...DEFAULT_REDACT_HEADERS]);
    assert.equal(config.unix_domain_socket_addr, '/var/log/sock/eve.json');
    assert.equal(config.exporters.uds.enabled, true);
    assert.equal(config.exporters.otlp.enabled, false);
    assert.equal(config.log_level, 'info');
    assert.equal(config.metrics_addr, '0.0.0.0:9464');
  });

  it('privileged container, root filesystem read-only, no hostPID', () => {
    assert.deepEqual(agentContainer(objects).securityContext, { privileged: true, runAsUser: 0, readOnlyRootFilesystem: true });
    assert.equal(podSpec(objects).hostPID, false);
    assert.equal(podSpec(objects).hostNetwork, undefined);
  });

  it('mounts host /proc read-only at /hostproc, the kernel file systems read-only, BTF emptyDir, socket dir from the host', () => {
    const mounts = mountsOf(objects);
    const volumes = volumesOf(objects);
    const expectHost = (mountPath: string, hostPath: string, readOnly: boolean) => {
      const m = mounts.get(mountPath);
      assert.ok(m, `mount ${mountPath}`);
      assert.equal(m.readOnly, readOnly, mountPath);
      assert.equal(volumes.get(m.name).hostPath.path, hostPath, mountPath);
    };
    expectHost('/hostproc', '/proc', true);
    expectHost('/sys/kernel/tracing', '/sys/kernel/tracing', true);
    expectHost('/sys/kernel/debug', '/sys/kernel/debug', true);
    expectHost('/sys/fs/cgroup', '/sys/fs/cgroup', true);
    expectHost('/sys/kernel/btf', '/sys/kernel/btf', true);
    expectHost('/var/log/sock', '/var/log/sock', false);
    assert.equal(volumes.get(mounts.get('/var/log/sock').name).hostPath.type, 'DirectoryOrCreate');
    assert.ok(volumes.get(mounts.get('/var/lib/socktap/btf').name).emptyDir);
    assert.equal(volumes.get(mounts.get('/etc/socktap').name).configMap.name, objects.configMap.metadata.name);
    assert.equal(mounts.size, volumes.size);
  });

  it('NODE_NAME from the downward API; mirroring keys; no token variable without a token', () => {
    const env = envOf(objects);
    assert.deepEqual(env.get('NODE_NAME').valueFrom, { fieldRef: { fieldPath: 'spec.nodeName' } });
    assert.equal(env.get('SOCKTAP_MIRROR_NAMESPACE_LABEL').value, 'traceableai-mirror');
    assert.equal(env.get('SOCKTAP_MIRROR_POD_ENABLED_ANNOTATION').value, 'mirror.traceable.ai/enabled');
    assert.equal(env.get('SOCKTAP_MIRROR_POD_MODE_ANNOTATION').value, 'mirror.traceable.ai/mode');
    assert.equal(env.get('SOCKTAP_MIRROR_NAMESPACE_MODE_ANNOTATION').value, 'mirror.traceable.ai/defaultMode');
    assert.equal(env.has('SOCKTAP_ACCESS_TOKEN'), false);
  });

  it('runs on every node but control-plane ones, Linux only', () => {
    assert.deepEqual(podSpec(objects).tolerations, [{ operator: 'Exists' }]);
    const terms = podSpec(objects).affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms;
    assert.deepEqual(terms, [
      {
        matchExpressions: [
          { key: 'kubernetes.io/os', operator: 'In', values: ['linux'] },
          { key: 'node-role.kubernetes.io/control-plane', operator: 'DoesNotExist' },
          { key: 'node-role.kubernetes.io/master', operator: 'DoesNotExist' },
        ],
      },
    ]);
    assert.equal(podSpec(objects).priorityClassName, undefined);
    assert.equal(podSpec(objects).nodeSelector, undefined);
  });

  it('image, pull policy, resources, rolling update, named metrics port and health probes', () => {
    const c = agentContainer(objects);
    assert.equal(c.image, `ghcr.io/socktap/socktap:${SOCKTAP_VERSION}`);
    assert.equal(c.imagePullPolicy, 'IfNotPresent');
    assert.deepEqual(c.resources, { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '1', memory: '512Mi' } });
    assert.deepEqual(c.ports, [{ name: 'metrics', containerPort: 9464, protocol: 'TCP' }]);
    assert.deepEqual(c.livenessProbe.httpGet, { path: '/healthz', port: 'metrics' });
    assert.deepEqual(c.readinessProbe.httpGet, { path: '/readyz', port: 'metrics' });
    assert.deepEqual((objects.daemonSet as Any).spec.updateStrategy, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } });
  });

  it('the pod template carries a config fingerprint that changes with the config', () => {
    const hash = (o: AgentObjects) => (o.daemonSet as Any).spec.template.metadata.annotations['socktap.dev/config-hash'];
    assert.match(hash(objects), /^[0-9a-f]{8}$/);
    assert.equal(hash(renderAgentObjects()), hash(objects));
    assert.notEqual(hash(renderAgentObjects({ maxBodyBytes: 1024 })), hash(objects));
  });
});

describe('renderAgentObjects: options', () => {
  it('mirroring.allNamespaces: true reaches capture_all_namespaces', () => {
    const objects = renderAgentObjects({ mirroring: { allNamespaces: true } });
    assert.equal(agentConfig(objects).capture_all_namespaces, true);
    assert.equal(agentConfig(objects).k8s_enabled, true);
  });

  it('mirroring.enabled: false turns the Kubernetes watch off', () => {
    const config = agentConfig(renderAgentObjects({ mirroring: { enabled: false } }));
    assert.equal(config.k8s_enabled, false);
    assert.equal(config.capture_all_namespaces, false);
  });

  it('custom mirroring keys reach the agent and label the created namespace', () => {
    const objects = renderAgentObjects({ mirroring: { namespaceLabel: 'example.com/mirror', podModeAnnotation: 'example.com/mode' } });
    assert.equal(envOf(objects).get('SOCKTAP_MIRROR_NAMESPACE_LABEL').value, 'example.com/mirror');
    assert.equal(envOf(objects).get('SOCKTAP_MIRROR_POD_MODE_ANNOTATION').value, 'example.com/mode');
    assert.equal(objects.namespace?.metadata.labels?.['example.com/mirror'], 'disabled');
  });

  it('capabilities mode: not privileged, every capability dropped, the default list added (SYS_ADMIN, SYS_PTRACE)', () => {
    const objects = renderAgentObjects({ security: { mode: 'capabilities' } });
    const sc = agentContainer(objects).securityContext;
    assert.equal(sc.privileged, false);
    assert.equal(sc.allowPrivilegeEscalation, false);
    assert.equal(sc.readOnlyRootFilesystem, true);
    assert.deepEqual(sc.capabilities.drop, ['ALL']);
    assert.deepEqual(sc.capabilities.add, [...DEFAULT_CAPABILITIES]);
    assert.ok(sc.capabilities.add.includes('SYS_ADMIN') && sc.capabilities.add.includes('SYS_PTRACE'));
    for (const o of objectList(objects)) validateKubeObject(o);
  });

  it('capabilities mode, least-privilege list: BPF, PERFMON, SYS_PTRACE, SYS_RESOURCE, DAC_READ_SEARCH', () => {
    const sc = agentContainer(renderAgentObjects({ security: { mode: 'capabilities', capabilities: 'least-privilege' } })).securityContext;
    assert.deepEqual(sc.capabilities.add, ['BPF', 'PERFMON', 'SYS_PTRACE', 'SYS_RESOURCE', 'DAC_READ_SEARCH']);
    assert.deepEqual(sc.capabilities.add, [...LEAST_PRIVILEGE_CAPABILITIES]);
    assert.equal(sc.capabilities.add.includes('SYS_ADMIN'), false);
  });

  it('capabilities mode with an explicit list', () => {
    const sc = agentContainer(renderAgentObjects({ security: { mode: 'capabilities', capabilities: ['BPF', 'PERFMON'] } })).securityContext;
    assert.deepEqual(sc.capabilities.add, ['BPF', 'PERFMON']);
  });

  it('custom namespace, not created: objects go there, no Namespace object', () => {
    const objects = renderAgentObjects({ namespace: { name: 'observability', create: false } });
    assert.equal(objects.namespace, undefined);
    for (const o of [objects.serviceAccount, objects.configMap, objects.daemonSet]) assert.equal(o.metadata.namespace, 'observability');
    assert.equal((objects.clusterRoleBinding as Any).subjects[0].namespace, 'observability');
    assert.equal(objectList(objects)[0]?.kind, 'ServiceAccount');
  });

  it('custom namespace, created, with extra labels that cannot override the pod-security label', () => {
    const objects = renderAgentObjects({ namespace: { name: 'traceableai', labels: { team: 'api', 'pod-security.kubernetes.io/enforce': 'baseline' } } });
    assert.equal(objects.namespace?.metadata.name, 'traceableai');
    assert.equal(objects.namespace?.metadata.labels?.team, 'api');
    assert.equal(objects.namespace?.metadata.labels?.['pod-security.kubernetes.io/enforce'], 'privileged');
  });

  it('name changes every object name; ConfigMap and Secret get suffixes', () => {
    const objects = renderAgentObjects({ name: 'capture', token: 't' });
    assert.equal(objects.daemonSet.metadata.name, 'capture');
    assert.equal(objects.serviceAccount.metadata.name, 'capture');
    assert.equal(objects.clusterRole.metadata.name, 'capture');
    assert.equal(objects.configMap.metadata.name, 'capture-config');
    assert.equal(objects.secret?.metadata.name, 'capture-token');
  });

  it('token: a Secret holds it, the container reads it from there, the ConfigMap never contains it', () => {
    const token = 'tok-9f8e7d6c5b4a';
    const objects = renderAgentObjects({ token });
    assert.deepEqual(objects.secret?.stringData, { token });
    assert.equal(objects.secret?.type, 'Opaque');
    assert.deepEqual(envOf(objects).get('SOCKTAP_ACCESS_TOKEN').valueFrom, { secretKeyRef: { name: 'socktap-token', key: 'token' } });
    assert.equal(JSON.stringify(objects.configMap).includes(token), false);
    assert.equal(JSON.stringify(objects.daemonSet).includes(token), false);
    for (const o of objectList(objects)) validateKubeObject(o);
  });

  it('tokenSecretRef: no Secret rendered, the container reads the given one', () => {
    const objects = renderAgentObjects({ tokenSecretRef: { name: 'existing', key: 'agent-token' } });
    assert.equal(objects.secret, undefined);
    assert.deepEqual(envOf(objects).get('SOCKTAP_ACCESS_TOKEN').valueFrom, { secretKeyRef: { name: 'existing', key: 'agent-token' } });
    assert.deepEqual(envOf(renderAgentObjects({ tokenSecretRef: { name: 'existing' } })).get('SOCKTAP_ACCESS_TOKEN').valueFrom.secretKeyRef.key, 'token');
  });

  it('mode, body limit, redaction, log level, exporters reach the agent config', () => {
    const objects = renderAgentObjects({
      mode: 'all',
      maxBodyBytes: 4096,
      redactHeaders: ['Authorization', 'X-Session'],
      logLevel: 'debug',
      exporters: { uds: { path: '/run/socktap/exchanges.sock' }, otlp: { endpoint: 'http://otel-collector.obs:4318', headers: { 'x-tenant': 'a' } }, stdout: { enabled: true } },
      metrics: { port: 9100 },
    });
    const config = agentConfig(objects);
    assert.equal(config.mode, 'all');
    assert.equal(config.max_body_bytes, 4096);
    assert.deepEqual(config.redact_headers, ['Authorization', 'X-Session']);
    assert.equal(config.log_level, 'debug');
    assert.equal(config.unix_domain_socket_addr, '/run/socktap/exchanges.sock');
    assert.deepEqual(config.exporters.otlp, { enabled: true, endpoint: 'http://otel-collector.obs:4318', headers: { 'x-tenant': 'a' } });
    assert.equal(config.exporters.stdout.enabled, true);
    assert.equal(config.metrics_addr, '0.0.0.0:9100');
    assert.equal(agentContainer(objects).ports[0].containerPort, 9100);
    assert.equal(volumesOf(objects).get(mountsOf(objects).get('/run/socktap').name).hostPath.path, '/run/socktap');
  });

  it('uds exporter off: no host socket directory', () => {
    const objects = renderAgentObjects({ exporters: { uds: { enabled: false } } });
    assert.equal(mountsOf(objects).has('/var/log/sock'), false);
    assert.equal(agentConfig(objects).exporters.uds.enabled, false);
  });

  it('agentConfig extras are passed to the agent', () => {
    const config = agentConfig(renderAgentObjects({ agentConfig: { perfmap_queue_size: 2048, stats_interval: '30s', log_format: 'json' } }));
    assert.equal(config.perfmap_queue_size, 2048);
    assert.equal(config.stats_interval, 30_000);
    assert.equal(config.log_format, 'json');
  });

  it('scheduling: control plane allowed, node selector, tolerations, priority class, OnDelete', () => {
    const objects = renderAgentObjects({
      scheduleOnControlPlane: true,
      nodeSelector: { 'kubernetes.io/arch': 'amd64' },
      tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'api', effect: 'NoSchedule' }],
      priorityClassName: 'system-node-critical',
      updateStrategy: { type: 'OnDelete' },
    });
    const spec = podSpec(objects);
    assert.deepEqual(spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions, [{ key: 'kubernetes.io/os', operator: 'In', values: ['linux'] }]);
    assert.deepEqual(spec.nodeSelector, { 'kubernetes.io/arch': 'amd64' });
    assert.deepEqual(spec.tolerations, [{ key: 'dedicated', operator: 'Equal', value: 'api', effect: 'NoSchedule' }]);
    assert.equal(spec.priorityClassName, 'system-node-critical');
    assert.deepEqual((objects.daemonSet as Any).spec.updateStrategy, { type: 'OnDelete' });
    for (const o of objectList(objects)) validateKubeObject(o);
  });

  it('image, pull policy and secrets, args, extra env, environment, resources, labels, annotations, probes off', () => {
    const objects = renderAgentObjects({
      image: 'registry.example.com:5000/team/socktap@sha256:' + 'a'.repeat(64),
      imagePullPolicy: 'Always',
      imagePullSecrets: ['regcred'],
      args: ['run', '--config', '/etc/socktap/config.yaml', '--verbose'],
      env: { HTTPS_PROXY: 'http://proxy:3128' },
      environment: 'production',
      resources: { requests: { cpu: '250m' }, limits: { memory: '1Gi' } },
      labels: { team: 'security' },
      annotations: { 'example.com/owner': 'sec' },
      probes: { enabled: false },
    });
    const c = agentContainer(objects);
    assert.equal(c.image, 'registry.example.com:5000/team/socktap@sha256:' + 'a'.repeat(64));
    assert.equal(c.imagePullPolicy, 'Always');
    assert.deepEqual(podSpec(objects).imagePullSecrets, [{ name: 'regcred' }]);
    assert.deepEqual(c.args, ['run', '--config', '/etc/socktap/config.yaml', '--verbose']);
    assert.equal(envOf(objects).get('HTTPS_PROXY').value, 'http://proxy:3128');
    assert.equal(envOf(objects).get('SOCKTAP_ENVIRONMENT').value, 'production');
    assert.deepEqual(c.resources, { requests: { cpu: '250m', memory: '128Mi' }, limits: { cpu: '1', memory: '1Gi' } });
    assert.equal(c.livenessProbe, undefined);
    assert.equal(c.readinessProbe, undefined);
    for (const o of objectList(objects)) {
      assert.equal(o.metadata.labels?.team, 'security', o.kind);
      assert.equal(o.metadata.annotations?.['example.com/owner'], 'sec', o.kind);
      validateKubeObject(o);
    }
  });

  it('the caller cannot change rendered objects through the option arrays afterwards', () => {
    const redactHeaders = ['Authorization'];
    const objects = renderAgentObjects({ redactHeaders });
    redactHeaders.push('Cookie');
    assert.deepEqual(agentConfig(objects).redact_headers, ['Authorization']);
  });
});

describe('resolveOptions: validation', () => {
  function issuesOf(options: unknown): readonly string[] {
    try {
      resolveOptions(options as EbpfAgentOptions);
    } catch (err) {
      assert.equal((err as { name: string }).name, 'SpecValidationError');
      assert.equal((err as { code: string }).code, 'SOCKTAP_SPEC');
      assert.ok(err instanceof Error);
      return (err as { issues: readonly string[] }).issues;
    }
    assert.fail('expected a SpecValidationError');
  }

  it('defaults resolve without issues', () => {
    const r = resolveOptions();
    assert.equal(r.namespace.name, 'socktap');
    assert.equal(r.security.mode, 'privileged');
    assert.equal(r.mirroring.allNamespaces, false);
  });

  it('every issue at once, each naming its option in the one message form', () => {
    const issues = issuesOf({ maxBodyBytes: -1, mode: 'both', token: 'abc', tokenSecretRef: { name: 'existing' }, image: 'Not An Image!' });
    assert.deepEqual([...issues].sort(), [
      'image must be an image reference like ghcr.io/socktap/socktap:0.1.0, got "Not An Image!"',
      'maxBodyBytes must be an integer from 0 to 16777216, got -1',
      'mode must be one of all, ingress, egress, got "both"',
      'token must be left unset when tokenSecretRef is given (the token comes from one place), got both',
    ]);
  });

  it('the error message lists every issue', () => {
    assert.throws(() => resolveOptions({ maxBodyBytes: -1, logLevel: 'loud' as never }), (err: Error) => {
      assert.match(err.message, /2 problems/);
      assert.match(err.message, /maxBodyBytes must be/);
      assert.match(err.message, /logLevel must be one of trace, debug, info, warn, error, got "loud"/);
      return true;
    });
  });

  const cases: [string, unknown, RegExp][] = [
    ['negative body limit', { maxBodyBytes: -5 }, /^maxBodyBytes must be an integer from 0 to 16777216, got -5$/],
    ['body limit as text', { maxBodyBytes: '64k' }, /^maxBodyBytes must be an integer .*, got "64k"$/],
    ['unknown mode', { mode: 'sideways' }, /^mode must be one of all, ingress, egress, got "sideways"$/],
    ['bad header name', { redactHeaders: ['Authorization', 'Bad Header'] }, /^redactHeaders\[1\] must be an HTTP header name/],
    ['bad OTLP endpoint', { exporters: { otlp: { endpoint: 'collector:4318' } } }, /^exporters\.otlp\.endpoint must be a URL like/],
    ['bad OTLP header value', { exporters: { otlp: { endpoint: 'http://c:4318', headers: { 'x-key': 'a\nb' } } } }, /^exporters\.otlp\.headers\.x-key must be a header value/],
    ['relative socket path', { exporters: { uds: { path: 'sock/eve.json' } } }, /^exporters\.uds\.path must be /],
    ['socket in /', { exporters: { uds: { path: '/eve.json' } } }, /^exporters\.uds\.path must be a socket path in a directory other than \//],
    ['bad image', { image: 'ghcr.io/socktap/socktap:bad tag' }, /^image must be an image reference/],
    ['image with uppercase path', { image: 'ghcr.io/SockTap/socktap' }, /^image must be an image reference/],
    ['unknown pull policy', { imagePullPolicy: 'Sometimes' }, /^imagePullPolicy must be one of Always, IfNotPresent, Never, got "Sometimes"$/],
    ['name not a DNS label', { name: 'Sock_Tap' }, /^name must be a DNS label/],
    ['namespace not a DNS label', { namespace: { name: 'my namespace' } }, /^namespace\.name must be a DNS label/],
    ['unknown security mode', { security: { mode: 'root' } }, /^security\.mode must be one of privileged, capabilities, got "root"$/],
    ['capabilities with privileged', { security: { capabilities: 'least-privilege' } }, /^security\.capabilities must be left unset when security\.mode is privileged/],
    ['unknown capability set', { security: { mode: 'capabilities', capabilities: 'minimal' } }, /^security\.capabilities must be default, least-privilege or a list/],
    ['CAP_ prefix', { security: { mode: 'capabilities', capabilities: ['CAP_BPF'] } }, /^security\.capabilities\[0\] must be a capability name without CAP_/],
    ['no BPF capability', { security: { mode: 'capabilities', capabilities: ['PERFMON'] } }, /^security\.capabilities must be a list holding BPF or SYS_ADMIN/],
    ['allNamespaces without mirroring', { mirroring: { enabled: false, allNamespaces: true } }, /^mirroring\.allNamespaces must be false when mirroring\.enabled is false/],
    ['allNamespaces not boolean', { mirroring: { allNamespaces: 'yes' } }, /^mirroring\.allNamespaces must be true or false, got "yes"$/],
    ['bad mirroring label key', { mirroring: { namespaceLabel: 'bad key!' } }, /^mirroring\.namespaceLabel must be a label or annotation key/],
    ['empty token', { token: '' }, /^token must be a non-empty string/],
    ['bad secret ref name', { tokenSecretRef: { name: 'Bad_Name' } }, /^tokenSecretRef\.name must be the name of a Secret/],
    ['secret ref without name', { tokenSecretRef: {} }, /^tokenSecretRef\.name must be the name of a Secret/],
    ['bad quantity', { resources: { limits: { memory: '512MB' } } }, /^resources\.limits\.memory must be a quantity like 512Mi, got "512MB"$/],
    ['request above limit', { resources: { requests: { memory: '1Gi' } } }, /^resources\.requests\.memory must be at most resources\.limits\.memory \(512Mi\), got "1Gi"$/],
    ['reserved env', { env: { NODE_NAME: 'x' } }, /^env\.NODE_NAME must be a variable socktap does not set itself/],
    ['bad env name', { env: { 'BAD NAME': 'x' } }, /^env\.BAD NAME must be named with letters/],
    ['env value not text', { env: { FOO: 1 } }, /^env\.FOO must be a string, got 1$/],
    ['bad label value', { labels: { team: 'a b' } }, /^labels\.team must be a label value/],
    ['bad toleration operator', { tolerations: [{ operator: 'Maybe' }] }, /^tolerations\[0\]\.operator must be one of Exists, Equal, got "Maybe"$/],
    ['toleration seconds without NoExecute', { tolerations: [{ operator: 'Exists', tolerationSeconds: 10 }] }, /^tolerations\[0\]\.tolerationSeconds must be left unset unless effect is NoExecute/],
    ['tolerations not a list', { tolerations: { operator: 'Exists' } }, /^tolerations must be a list of tolerations/],
    ['bad priority class', { priorityClassName: 'High Priority' }, /^priorityClassName must be the name of a PriorityClass/],
    ['bad update strategy', { updateStrategy: { type: 'Recreate' } }, /^updateStrategy\.type must be one of RollingUpdate, OnDelete, got "Recreate"$/],
    ['zero unavailable and surge', { updateStrategy: { maxUnavailable: 0 } }, /^updateStrategy\.maxUnavailable must be more than 0 when updateStrategy\.maxSurge is 0/],
    ['bad metrics port', { metrics: { port: 70000 } }, /^metrics\.port must be a port from 1 to 65535, got 70000$/],
    ['bad agentConfig value', { agentConfig: { perfmap_queue_size: 1000 } }, /^agentConfig\.perfmap_queue_size must be a power of two/],
    ['unknown agentConfig key', { agentConfig: { mode: 'all' } }, /^agentConfig\.mode must be a known option/],
    ['unknown option, with a suggestion', { namespce: { name: 'x' } }, /^namespce must be a known option \(did you mean namespace\?\), got an unknown option$/],
    ['unknown nested option', { mirroring: { allNamespace: true } }, /^mirroring\.allNamespace must be a known option \(did you mean allNamespaces\?\)/],
    ['mapping expected', { namespace: 'socktap' }, /^namespace must be a mapping with keys name, create, labels, annotations, got "socktap"$/],
    ['options not a mapping', 'socktap', /^options must be a mapping of socktap options, got "socktap"$/],
  ];
  for (const [what, options, expected] of cases) {
    it(`rejects ${what}`, () => {
      const issues = issuesOf(options);
      assert.ok(issues.some((i) => expected.test(i)), `no issue matched ${expected}:\n${issues.join('\n')}`);
    });
  }

  it('renderAgentObjects throws the same error', () => {
    assert.throws(() => renderAgentObjects({ maxBodyBytes: -1 }), { name: 'SpecValidationError', code: 'SOCKTAP_SPEC' });
  });
});

describe('version', () => {
  it('the default image tag follows package.json', () => {
    const pkg = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string };
    assert.equal(SOCKTAP_VERSION, pkg.version);
  });
});

describe('objectList', () => {
  it('places the Secret before the DaemonSet that reads it', () => {
    const kinds = objectList(renderAgentObjects({ token: 't' })).map((o: KubeObject) => o.kind);
    assert.ok(kinds.indexOf('Secret') < kinds.indexOf('DaemonSet'));
    assert.equal(kinds.length, 7);
  });
});
