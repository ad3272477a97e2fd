/**
 * An existing stack (a namespace and an OpenTelemetry collector, on an explicit cluster provider)
 * gains the socktap agent: it lives in the stack's namespace, exports to the stack's collector,
 * and its resources go through the stack's provider.
 */
import * as pulumi from '@pulumi/pulumi';
import * as k8s from '@pulumi/kubernetes';
import { EbpfAgent } from 'socktap/pulumi';

// --- what the stack already had -------------------------------------------------------------
const cluster = new k8s.Provider('cluster', { context: 'production' });

const observability = new k8s.core.v1.Namespace(
  'observability',
  // The agent needs privileged pods in its namespace (it does not create this one).
  { metadata: { name: 'observability', labels: { 'pod-security.kubernetes.io/enforce': 'privileged' } } },
  { provider: cluster },
);

const collectorLabels = { app: 'otel-collector' };
new k8s.apps.v1.Deployment(
  'otel-collector',
  {
    metadata: { name: 'otel-collector', namespace: observability.metadata.name },
    spec: {
      selector: { matchLabels: collectorLabels },
      template: {
        metadata: { labels: collectorLabels },
        spec: { containers: [{ name: 'collector', image: 'otel/opentelemetry-collector:0.114.0', ports: [{ containerPort: 4318 }] }] },
      },
    },
  },
  { provider: cluster },
);
const collector = new k8s.core.v1.Service(
  'otel-collector',
  {
    metadata: { name: 'otel-collector', namespace: observability.metadata.name },
    spec: { selector: collectorLabels, ports: [{ name: 'otlp-http', port: 4318 }] },
  },
  { provider: cluster },
);

// --- added: socktap ---------------------------------------------------------------------------
const agent = new EbpfAgent(
  'socktap',
  {
    namespace: { name: observability.metadata.name, create: false },
    token: new pulumi.Config().requireSecret('socktapToken'),
    environment: pulumi.getStack(),
    mirroring: { allNamespaces: true },
    exporters: {
      uds: { enabled: false },
      otlp: { endpoint: pulumi.interpolate`http://${collector.metadata.name}.${collector.metadata.namespace}:4318` },
    },
  },
  { provider: cluster, dependsOn: [observability, collector] },
);

export const socktapDaemonSet = agent.daemonSetName;
