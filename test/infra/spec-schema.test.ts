/** Every rendered object, for a spread of option sets, validates against the Kubernetes OpenAPI schema. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'yaml';
import { parseConfig } from '../../agent/config/schema';
import { renderAgentObjects, objectList, type EbpfAgentOptions } from '../../infra/spec';
import { validateKubeObject } from './spec-kube-schema';

const OPTION_SETS: Record<string, EbpfAgentOptions> = {
  defaults: {},
  'all namespaces': { mirroring: { allNamespaces: true } },
  'mirroring off': { mirroring: { enabled: false } },
  'capabilities mode': { security: { mode: 'capabilities' } },
  'least privilege': { security: { mode: 'capabilities', capabilities: 'least-privilege' } },
  'custom namespace, existing': { namespace: { name: 'observability', create: false } },
  'inline token': { token: 'secret-token' },
  'token from a secret': { tokenSecretRef: { name: 'agent-token', key: 'value' } },
  'otlp only': { exporters: { uds: { enabled: false }, otlp: { endpoint: 'https://collector.example.com:4318', headers: { 'x-api-key': 'k' } } } },
  'on delete, percentages': { updateStrategy: { type: 'OnDelete' } },
  'rolling with percentages': { updateStrategy: { maxUnavailable: '25%', maxSurge: '10%' } },
  'everything set': {
    name: 'capture',
    namespace: { name: 'traceableai', labels: { team: 'sec' }, annotations: { 'example.com/owner': 'sec' } },
    labels: { env: 'prod' },
    annotations: { 'example.com/ticket': 'SEC-1' },
    environment: 'prod-eu',
    token: 'tok-5e1f0c9a77',
    mirroring: { allNamespaces: true, namespaceLabel: 'example.com/mirror' },
    mode: 'egress',
    maxBodyBytes: 0,
    redactHeaders: [],
    logLevel: 'trace',
    metrics: { port: 9100 },
    agentConfig: { uds_event_queue_size: 20000, max_active_ret_probe: 4 },
    security: { mode: 'capabilities', capabilities: ['BPF', 'PERFMON', 'SYS_PTRACE'] },
    image: 'registry.local:5000/socktap:dev',
    imagePullPolicy: 'Never',
    imagePullSecrets: ['a', 'b'],
    env: { A: '1' },
    resources: { requests: { cpu: '0.5', memory: '1e9' }, limits: { cpu: '2', memory: '2Gi' } },
    nodeSelector: { 'kubernetes.io/arch': 'arm64' },
    tolerations: [{ key: 'k', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 60 }],
    scheduleOnControlPlane: true,
    priorityClassName: 'system-node-critical',
    probes: { enabled: false },
  },
};

describe('Kubernetes schema validation of every rendered object', () => {
  for (const [what, options] of Object.entries(OPTION_SETS)) {
    it(what, () => {
      const objects = renderAgentObjects(options);
      for (const o of objectList(objects)) validateKubeObject(o);
      // ...and the ConfigMap always holds a config the agent accepts.
      parseConfig(parse((objects.configMap.data as Record<string, string>)['config.yaml']));
      if (options.token !== undefined) assert.equal(JSON.stringify(objects.configMap).includes(options.token), false);
    });
  }
});
