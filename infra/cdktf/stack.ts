/**
 * `EbpfAgentStack`: a ready stack whose inputs are Terraform variables named like the reference
 * agent's Terraform module, so `cdktf deploy` users and (through infra/terraform/, generated from
 * this stack) plain Terraform users set the same names they already know.
 */
import { Construct } from 'constructs';
import { TerraformOutput, TerraformStack, TerraformVariable } from 'cdktf';
import { KubernetesProvider, type KubernetesProviderConfig } from '@cdktf/provider-kubernetes/lib/provider';
import { DEFAULTS, type EbpfAgentOptions } from '../spec';
import type { ChoiceBinding, InvalidCombination, StringBinding } from './bindings';
import { EbpfAgent } from './agent';

/** Provider versions the resources are written for (@cdktf/provider-kubernetes 12 is 2.38). */
export const KUBERNETES_PROVIDER_VERSIONS = '>= 2.38.0, < 3.0.0';

/** One module input: its Terraform name and type, and the option it sets. */
export interface StackVariable {
  readonly name: string;
  readonly description: string;
  readonly sensitive?: boolean;
  /** No default: Terraform asks for the value. */
  readonly required?: boolean;
  readonly binding:
    | { readonly type: 'string'; readonly option: readonly string[]; readonly default?: string }
    | { readonly type: 'bool'; readonly option: readonly string[]; readonly whenTrue: unknown; readonly whenFalse: unknown; readonly default: boolean };
}

/** The stack's variables: the one place their names, defaults and options are decided. */
export const STACK_VARIABLES: readonly StackVariable[] = [
  {
    name: 'token',
    description: 'Access token; stored in a Kubernetes Secret, never in the ConfigMap.',
    sensitive: true,
    required: true,
    binding: { type: 'string', option: ['token'] },
  },
  {
    name: 'environment',
    description: 'Environment name the agent reports its data under.',
    required: true,
    binding: { type: 'string', option: ['environment'] },
  },
  {
    name: 'namespace',
    description: 'Namespace the agent runs in (created, labelled pod-security enforce=privileged).',
    binding: { type: 'string', option: ['namespace', 'name'], default: DEFAULTS.namespace },
  },
  {
    name: 'image',
    description: 'Agent image.',
    binding: { type: 'string', option: ['image'], default: DEFAULTS.image },
  },
  {
    name: 'daemon_set_mirroring_enabled',
    description: 'Capture pods by the mirroring rules (namespace labels, pod annotations).',
    binding: { type: 'bool', option: ['mirroring', 'enabled'], whenTrue: true, whenFalse: false, default: true },
  },
  {
    name: 'daemon_set_mirror_all_namespaces',
    description: 'Capture in every namespace not labelled traceableai-mirror=disabled.',
    binding: { type: 'bool', option: ['mirroring', 'allNamespaces'], whenTrue: true, whenFalse: false, default: false },
  },
  {
    name: 'ebpf_run_as_privileged',
    description: 'Run the agent privileged; false: unprivileged with the BPF, PERFMON, SYS_ADMIN, SYS_PTRACE, SYS_RESOURCE, DAC_READ_SEARCH capabilities.',
    binding: {
      type: 'bool',
      option: ['security', 'mode'],
      whenTrue: 'privileged',
      whenFalse: 'capabilities',
      default: DEFAULTS.securityMode === 'privileged',
    },
  },
];

export interface EbpfAgentStackProps {
  /** Options fixed at synthesis; the variables above override the options they bind. @default {} */
  readonly options?: EbpfAgentOptions;
  /**
   * Configuration of the stack's `kubernetes` provider, or `false` for none: a Terraform module
   * should inherit its caller's provider. @default {} (kubeconfig from KUBE_CONFIG_PATH and friends)
   */
  readonly kubernetesProvider?: KubernetesProviderConfig | false;
}

export class EbpfAgentStack extends TerraformStack {
  readonly agent: EbpfAgent;
  /** The stack's variables by name. */
  readonly variables: Readonly<Record<string, TerraformVariable>>;

  constructor(scope: Construct, id: string, props: EbpfAgentStackProps = {}) {
    super(scope, id);
    if (props.kubernetesProvider !== false) {
      new KubernetesProvider(this, 'kubernetes', props.kubernetesProvider ?? {});
    } else {
      // No provider block, but still say which provider and which versions the resources need.
      this.addOverride('terraform.required_providers.kubernetes', { source: 'hashicorp/kubernetes', version: KUBERNETES_PROVIDER_VERSIONS });
    }

    const variables: Record<string, TerraformVariable> = {};
    const strings: StringBinding[] = [];
    const choices: ChoiceBinding[] = [];
    for (const spec of STACK_VARIABLES) {
      const b = spec.binding;
      const variable = new TerraformVariable(this, spec.name, {
        type: b.type,
        description: spec.description,
        ...(spec.sensitive ? { sensitive: true } : {}),
        ...(spec.required || b.default === undefined ? {} : { default: b.default }),
      });
      // cdktf's HCL synthesis drops falsy defaults (false, ""); an override always renders.
      if (!spec.required && b.default !== undefined && !b.default) variable.addOverride('default', b.default);
      variables[spec.name] = variable;
      if (b.type === 'string') strings.push({ option: b.option, variable });
      else choices.push({ option: b.option, variable, whenTrue: b.whenTrue, whenFalse: b.whenFalse });
    }
    this.variables = variables;

    // Resource addresses read like a hand-written module: kubernetes_daemon_set_v1.daemon_set.
    this.agent = new EbpfAgent(this, 'agent', { ...props.options, bindings: { strings, choices }, plainResourceNames: true });
    for (const check of variableValidations(this.agent.invalidCombinations)) {
      check.variable.addValidation({ condition: `\${${check.condition}}`, errorMessage: check.errorMessage });
    }

    new TerraformOutput(this, 'namespace_name', { value: this.agent.namespace, description: 'Namespace the agent runs in.' });
    new TerraformOutput(this, 'daemon_set_name', { value: this.agent.daemonSetName, description: 'Name of the agent DaemonSet.' });
    new TerraformOutput(this, 'config_map_name', { value: this.agent.configMapName, description: 'Name of the agent ConfigMap.' });
    new TerraformOutput(this, 'service_account_name', { value: this.agent.serviceAccountName, description: "Name of the agent's ServiceAccount." });
  }
}

/**
 * Terraform validations rejecting what the spec rejects. A combination's terms shrink to the
 * variables that matter (a term is dropped when the combination with it flipped is also invalid);
 * the check goes on the last of those variables (Terraform 1.9+ lets it read the others).
 */
export function variableValidations(
  invalid: readonly InvalidCombination[],
): { variable: TerraformVariable; condition: string; errorMessage: string }[] {
  const key = (when: InvalidCombination['when']) => when.map((t) => `${t.value}`).join(',');
  const invalidKeys = new Set(invalid.map((c) => key(c.when)));
  const seen = new Set<string>();
  const checks: { variable: TerraformVariable; condition: string; errorMessage: string }[] = [];
  for (const combination of invalid) {
    const terms = combination.when.filter((_, i) => {
      const flipped = combination.when.map((t, j) => (j === i ? { ...t, value: !t.value } : t));
      return !invalidKeys.has(key(flipped));
    });
    const text = terms.map((t) => `${t.value ? '' : '!'}var.${t.variable.friendlyUniqueId}`).join(' && ');
    if (terms.length === 0 || seen.has(text)) continue;
    seen.add(text);
    const described = terms.map((t) => `${t.variable.friendlyUniqueId} = ${t.value}`).join(' with ');
    checks.push({
      variable: terms[terms.length - 1].variable,
      condition: `!(${text})`,
      errorMessage: `${described} is not a valid combination: ${combination.issues.join('; ')}.`,
    });
  }
  return checks;
}
