/**
 * socktap on every node of the cluster your kubeconfig points at:
 *
 *   pulumi config set --secret token <access token>
 *   pulumi config set mirrorAllNamespaces true      # optional
 *   pulumi up
 */
import * as pulumi from '@pulumi/pulumi';
import { EbpfAgent } from 'socktap/pulumi';

const config = new pulumi.Config();

const agent = new EbpfAgent('socktap', {
  token: config.requireSecret('token'),
  environment: config.get('environment') ?? 'production',
  mirroring: { allNamespaces: config.getBoolean('mirrorAllNamespaces') ?? false },
  // Least privilege where the kernel allows it (5.8+): capabilities instead of a privileged container.
  security: config.getBoolean('privileged') === false ? { mode: 'capabilities', capabilities: 'least-privilege' } : { mode: 'privileged' },
});

export const namespace = agent.namespace;
export const daemonSet = agent.daemonSetName;
export const configMap = agent.configMapName;
