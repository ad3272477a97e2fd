/**
 * socktap with CDKTF: `cdktf deploy socktap` (variables through TF_VAR_token, TF_VAR_environment, ...).
 * The first stack is the ready-made one; the second adds the construct to a stack of your own.
 */
import { App, TerraformOutput, TerraformStack } from 'cdktf';
import { KubernetesProvider } from '@cdktf/provider-kubernetes/lib/provider';
import { EbpfAgent, EbpfAgentStack } from 'socktap/cdktf';

const app = new App();

// Inputs are Terraform variables named like the reference module: token, environment,
// daemon_set_mirror_all_namespaces, ebpf_run_as_privileged, ...
new EbpfAgentStack(app, 'socktap', { options: { mode: 'all', maxBodyBytes: 16_384 } });

class PlatformStack extends TerraformStack {
  constructor(scope: App, id: string) {
    super(scope, id);
    new KubernetesProvider(this, 'kubernetes', { configPath: '~/.kube/config', configContext: 'staging' });
    const agent = new EbpfAgent(this, 'socktap', {
      environment: 'staging',
      tokenSecretRef: { name: 'socktap-access-token' },
      mirroring: { allNamespaces: true },
      security: { mode: 'capabilities', capabilities: 'least-privilege' },
    });
    new TerraformOutput(this, 'socktap_daemon_set', { value: agent.daemonSetName });
  }
}
new PlatformStack(app, 'platform');

app.synth();
