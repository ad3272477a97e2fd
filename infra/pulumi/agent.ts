/**
 * `EbpfAgent`: socktap on every node of a cluster, as a Pulumi component. A thin adapter: the
 * spec renders the objects from the resolved inputs, each child takes its object's fields.
 */
import * as pulumi from '@pulumi/pulumi';
import * as k8s from '@pulumi/kubernetes';
import { renderAgentObjects, resolveOptions, type AgentObjects, type EbpfAgentOptions, type KubeObject } from '../spec';
import type { EbpfAgentArgs } from './args';

/** The component's type token. */
export const EBPF_AGENT_TYPE = 'socktap:index:EbpfAgent';

/**
 * Rendered in place of the token for every object but the Secret, so a secret token output
 * does not make the whole DaemonSet and ConfigMap secret. The spec never puts the token
 * anywhere but the Secret; the equivalence tests check the other objects do not change.
 */
export const TOKEN_STAND_IN = 'socktap-token-stand-in';

type ObjectKey = keyof AgentObjects;
type Override = { readonly source: pulumi.Output<KubeObject | undefined>; readonly fields: readonly string[] };

/** The child for each object: its resource class and the Kubernetes fields it takes. */
const CHILDREN: Readonly<Record<ObjectKey, { suffix: string; fields: readonly string[] }>> = {
  namespace: { suffix: 'namespace', fields: ['metadata', 'spec'] },
  serviceAccount: { suffix: 'service-account', fields: ['metadata', 'automountServiceAccountToken', 'imagePullSecrets', 'secrets'] },
  clusterRole: { suffix: 'cluster-role', fields: ['metadata', 'rules', 'aggregationRule'] },
  clusterRoleBinding: { suffix: 'cluster-role-binding', fields: ['metadata', 'roleRef', 'subjects'] },
  configMap: { suffix: 'config-map', fields: ['metadata', 'data', 'binaryData', 'immutable'] },
  secret: { suffix: 'secret', fields: ['metadata', 'type', 'data', 'stringData', 'immutable'] },
  daemonSet: { suffix: 'daemon-set', fields: ['metadata', 'spec'] },
};

/** True when `value` holds no Output or Promise at any depth: the options can be checked now. */
export function isPlain(value: unknown): boolean {
  if (pulumi.Output.isInstance(value) || value instanceof Promise) return false;
  if (Array.isArray(value)) return value.every(isPlain);
  if (value !== null && typeof value === 'object') return Object.values(value).every(isPlain);
  return true;
}

export class EbpfAgent extends pulumi.ComponentResource {
  /** Namespace the agent runs in. */
  readonly namespace: pulumi.Output<string>;
  readonly daemonSetName: pulumi.Output<string>;
  readonly configMapName: pulumi.Output<string>;
  readonly serviceAccountName: pulumi.Output<string>;
  /** The children, for `dependsOn` and further wiring. `namespaceResource` and `secret` exist as the spec says. */
  readonly namespaceResource?: k8s.core.v1.Namespace;
  readonly serviceAccount: k8s.core.v1.ServiceAccount;
  readonly clusterRole: k8s.rbac.v1.ClusterRole;
  readonly clusterRoleBinding: k8s.rbac.v1.ClusterRoleBinding;
  readonly configMap: k8s.core.v1.ConfigMap;
  readonly secret?: k8s.core.v1.Secret;
  readonly daemonSet: k8s.apps.v1.DaemonSet;

  constructor(name: string, args: EbpfAgentArgs = {}, opts: pulumi.ComponentResourceOptions = {}) {
    super(EBPF_AGENT_TYPE, name, {}, opts);
    // Fail at construction, with every problem listed, when nothing needs resolving first.
    if (isPlain(args)) resolveOptions(args as EbpfAgentOptions);

    const { token, ...rest } = args;
    const hasToken = token !== undefined;
    const options = pulumi.output(rest) as unknown as pulumi.Output<EbpfAgentOptions>;
    const objects = options.apply((o) => renderAgentObjects({ ...o, ...(hasToken ? { token: TOKEN_STAND_IN } : {}) }));
    const secretObject = pulumi
      .all([options, token])
      .apply(([o, t]) => renderAgentObjects({ ...o, ...(hasToken ? { token: t } : {}) }).secret);

    // Each child's args are its object's fields, typed by the resource class (inferred from the
    // call site). `override` takes some fields from another rendering (the Secret's token).
    const child = <Args>(key: ObjectKey, source: pulumi.Output<KubeObject | undefined>, override?: Override): Args => {
      const args: Record<string, pulumi.Output<unknown>> = {};
      for (const field of CHILDREN[key].fields) {
        const from = override?.fields.includes(field) ? override.source : source;
        args[field] = from.apply((o) => (o === undefined ? undefined : o[field]));
      }
      return args as Args;
    };
    const of = (key: ObjectKey) => objects.apply((o) => o[key]);
    const childName = (key: ObjectKey) => `${name}-${CHILDREN[key].suffix}`;
    const parented = (dependsOn: (pulumi.Resource | undefined)[] = []): pulumi.CustomResourceOptions => ({
      parent: this,
      dependsOn: dependsOn.filter((r): r is pulumi.Resource => r !== undefined),
    });

    // Which children exist follows the spec's contract: plain facts only (infra/spec/index.ts).
    const createNamespace = args.namespace?.create !== false;
    const ns = createNamespace ? new k8s.core.v1.Namespace(childName('namespace'), child('namespace', of('namespace')), parented()) : undefined;
    this.namespaceResource = ns;
    this.serviceAccount = new k8s.core.v1.ServiceAccount(childName('serviceAccount'), child('serviceAccount', of('serviceAccount')), parented([ns]));
    this.clusterRole = new k8s.rbac.v1.ClusterRole(childName('clusterRole'), child('clusterRole', of('clusterRole')), parented());
    this.clusterRoleBinding = new k8s.rbac.v1.ClusterRoleBinding(
      childName('clusterRoleBinding'),
      child('clusterRoleBinding', of('clusterRoleBinding')),
      parented([this.clusterRole, this.serviceAccount]),
    );
    this.configMap = new k8s.core.v1.ConfigMap(childName('configMap'), child('configMap', of('configMap')), parented([ns]));
    this.secret = hasToken
      ? // @pulumi/kubernetes marks a Secret's data and stringData secret itself.
        new k8s.core.v1.Secret(childName('secret'), child('secret', of('secret'), { source: secretObject, fields: ['stringData', 'data'] }), parented([ns]))
      : undefined;
    this.daemonSet = new k8s.apps.v1.DaemonSet(
      childName('daemonSet'),
      child('daemonSet', of('daemonSet')),
      parented([ns, this.serviceAccount, this.clusterRoleBinding, this.configMap, this.secret]),
    );

    this.namespace = ns ? ns.metadata.name : this.daemonSet.metadata.namespace;
    this.daemonSetName = this.daemonSet.metadata.name;
    this.configMapName = this.configMap.metadata.name;
    this.serviceAccountName = this.serviceAccount.metadata.name;
    this.registerOutputs({
      namespace: this.namespace,
      daemonSetName: this.daemonSetName,
      configMapName: this.configMapName,
      serviceAccountName: this.serviceAccountName,
    });
  }
}
