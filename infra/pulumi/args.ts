/**
 * The component's arguments: the spec's options with every value a `pulumi.Input`, at any depth,
 * so a stack can pass config values and other resources' outputs. The two facts that decide
 * which resources exist stay plain (see infra/spec/index.ts): whether `namespace.create` is false,
 * and whether `token` is given at all (its value may be a secret output).
 * The mapped types keep the spec's TSDoc and `@default`s on every field.
 */
import type * as pulumi from '@pulumi/pulumi';
import type { EbpfAgentOptions, NamespaceOptions } from '../spec';

type Scalar = string | number | boolean;

/** `T` with each value, each list and each nested object allowed to be a `pulumi.Input`. */
export type DeepInput<T> = unknown extends T
  ? T // values the spec leaves open (checked by the agent's schema) stay as they are
  : T extends Scalar
  ? pulumi.Input<T>
  : T extends readonly (infer E)[]
    ? pulumi.Input<readonly DeepInput<E>[]>
    : pulumi.Input<{ readonly [K in keyof T]: DeepInput<T[K]> }>;

/** Namespace options; `create` is plain because it decides whether a Namespace resource exists. */
export type NamespaceArgs = {
  readonly [K in keyof Omit<NamespaceOptions, 'create'>]?: DeepInput<NonNullable<NamespaceOptions[K]>>;
} & Pick<NamespaceOptions, 'create'>;

/** The spec's `EbpfAgentOptions`, as inputs; plain `EbpfAgentOptions` are valid args as they are. */
export type EbpfAgentArgs = {
  readonly [K in keyof Omit<EbpfAgentOptions, 'namespace'>]?: DeepInput<NonNullable<EbpfAgentOptions[K]>>;
} & {
  /** The namespace the agent runs in. @default { name: 'socktap', create: true } */
  readonly namespace?: NamespaceArgs;
};
