/**
 * `EbpfAgent`: socktap on every node of a cluster, as a CDKTF construct over the
 * @cdktf/provider-kubernetes `*V1` resources. A thin adapter: the spec renders the objects,
 * `provider-shape.ts` converts each to its resource's props, `references.ts` links them.
 */
import { Construct } from 'constructs';
import type { TerraformProvider, TerraformResource } from 'cdktf';
import { ClusterRoleBindingV1 } from '@cdktf/provider-kubernetes/lib/cluster-role-binding-v1';
import { ClusterRoleV1 } from '@cdktf/provider-kubernetes/lib/cluster-role-v1';
import { ConfigMapV1 } from '@cdktf/provider-kubernetes/lib/config-map-v1';
import { DaemonSetV1 } from '@cdktf/provider-kubernetes/lib/daemon-set-v1';
import { NamespaceV1 } from '@cdktf/provider-kubernetes/lib/namespace-v1';
import { SecretV1 } from '@cdktf/provider-kubernetes/lib/secret-v1';
import { ServiceAccountV1 } from '@cdktf/provider-kubernetes/lib/service-account-v1';
import type { EbpfAgentOptions } from '../spec';
import { renderBoundObjects, type BoundObject, type ChoiceBinding, type InvalidCombination, type StringBinding } from './bindings';
import { toProviderConfig } from './provider-shape';
import { linkReferences } from './references';

type ResourceClass = new (scope: Construct, id: string, config: never) => TerraformResource & { metadata: { name: string } };

/** The provider resource for each kind the spec renders. */
const RESOURCE_CLASSES: Readonly<Record<string, ResourceClass>> = {
  Namespace: NamespaceV1 as unknown as ResourceClass,
  ServiceAccount: ServiceAccountV1 as unknown as ResourceClass,
  ClusterRole: ClusterRoleV1 as unknown as ResourceClass,
  ClusterRoleBinding: ClusterRoleBindingV1 as unknown as ResourceClass,
  ConfigMap: ConfigMapV1 as unknown as ResourceClass,
  Secret: SecretV1 as unknown as ResourceClass,
  DaemonSet: DaemonSetV1 as unknown as ResourceClass,
};

/** Options bound to Terraform variables instead of plain values (see bindings.ts). */
export interface EbpfAgentBindings {
  /** String options set from string variables. @default none */
  readonly strings?: readonly StringBinding[];
  /** Two-valued options set from bool variables. @default none */
  readonly choices?: readonly ChoiceBinding[];
}

/** The spec's options, plus where the resources go. */
export interface EbpfAgentProps extends EbpfAgentOptions {
  /** Kubernetes provider for every resource. @default the stack's default `kubernetes` provider */
  readonly provider?: TerraformProvider;
  /**
   * Options taken from Terraform variables, so one synthesized configuration serves every value
   * (what `EbpfAgentStack` and the Terraform module use). @default none: every option is plain
   */
  readonly bindings?: EbpfAgentBindings;
  /**
   * Name resources by kind only (`kubernetes_daemon_set_v1.daemon_set`) instead of by construct
   * path and hash: readable addresses for a stack or module holding one agent. Two agents in one
   * stack with this set collide. @default false
   */
  readonly plainResourceNames?: boolean;
}

export class EbpfAgent extends Construct {
  /** Every resource created, by id (`namespace`, `service-account`, ..., `daemon-set`). */
  readonly resources: Readonly<Record<string, TerraformResource>>;
  /** Namespace the agent runs in. */
  readonly namespace: string;
  readonly daemonSetName: string;
  readonly configMapName: string;
  readonly serviceAccountName: string;
  /** Bound variable values the spec rejects together; `EbpfAgentStack` turns them into variable validations. */
  readonly invalidCombinations: readonly InvalidCombination[];

  constructor(scope: Construct, id: string, props: EbpfAgentProps = {}) {
    super(scope, id);
    const { provider, bindings, plainResourceNames, ...options } = props;
    const { objects: bound, invalid } = renderBoundObjects(options, bindings?.strings, bindings?.choices);
    this.invalidCombinations = invalid;

    const resources: Record<string, TerraformResource> = {};
    // Objects created once (no `count`) can be referenced by name; see references.ts.
    const targets = new Map<string, { name: string; reference: string }>();
    const names = new Map<string, string>();
    for (const { id: resourceId, object, count } of bound) {
      const linked = linkReferences(object.kind, object, targets);
      const resource = new RESOURCE_CLASSES[object.kind](this, resourceId, {
        ...toProviderConfig(linked),
        ...(provider === undefined ? {} : { provider }),
        ...(count === undefined ? {} : { count }),
      } as never);
      // Before any reference to the resource exists: references capture the logical id.
      if (plainResourceNames) resource.overrideLogicalId(resourceId.replace(/-/g, '_'));
      resources[resourceId] = resource;
      names.set(object.kind, object.metadata.name);
      if (count === undefined) targets.set(object.kind, { name: object.metadata.name, reference: resource.metadata.name });
    }
    this.resources = resources;

    const name = (kind: string) => targets.get(kind)?.reference ?? names.get(kind)!;
    const anyObject = bound.find((b: BoundObject) => b.object.metadata.namespace !== undefined)!.object;
    this.namespace = targets.get('Namespace')?.reference ?? anyObject.metadata.namespace!;
    this.daemonSetName = name('DaemonSet');
    this.configMapName = name('ConfigMap');
    this.serviceAccountName = name('ServiceAccount');
  }
}
