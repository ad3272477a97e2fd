/**
 * socktap deployment spec: options -> defaults -> validation -> normalized Kubernetes objects.
 * Plain TypeScript, no IaC imports; the Pulumi component, the CDKTF construct and `socktap render`
 * are thin adapters over it.
 *
 * Contract for adapters:
 * - `renderAgentObjects(options)` returns plain JSON manifests (no `undefined` values), the same for
 *   the same options, every time. `objectList` gives them in apply order.
 * - Which objects exist depends only on plain presence in the options, never on other values:
 *   `namespace` exists unless `namespace.create === false`; `secret` exists exactly when `token`
 *   is given (`tokenSecretRef` uses an existing Secret instead). An adapter holding unresolved
 *   inputs can decide resource existence from those two facts alone.
 * - Object names: DaemonSet, ServiceAccount, ClusterRole and ClusterRoleBinding are `name`;
 *   the ConfigMap is `<name>-config`; the Secret `<name>-token` (see `objectNames`).
 * - Invalid options throw `SpecValidationError` (`code` 'SOCKTAP_SPEC') whose `issues` list every
 *   problem as "<option path> must be <form>, got <value>".
 */
export type {
  EbpfAgentOptions,
  NamespaceOptions,
  SecretKeyRef,
  MirroringOptions,
  ExportersOptions,
  UdsExporterOptions,
  OtlpExporterOptions,
  MetricsOptions,
  AgentConfigExtras,
  SecurityOptions,
  SecurityMode,
  CapabilitySet,
  ImagePullPolicy,
  ResourceOptions,
  ResourceAmounts,
  Toleration,
  UpdateStrategyOptions,
  ProbeOptions,
  CaptureMode,
  LogLevel,
} from './options';
export type { KubeObject, AgentObjects } from './kube';
export type { ResolvedEbpfAgentOptions } from './defaults';
export { objectList } from './kube';
export { SpecValidationError } from './errors';
export { resolveOptions } from './validate';
export { renderAgentObjects } from './render';
export { fromHelmValues, type HelmValuesResult } from './helm-values';
export { objectNames, selectorLabels, commonLabels } from './names';
export {
  DEFAULTS,
  DEFAULT_CAPABILITIES,
  LEAST_PRIVILEGE_CAPABILITIES,
  DEFAULT_MIRRORING_KEYS,
  CONFIG_DIR,
  CONFIG_FILE,
} from './defaults';
export { SOCKTAP_VERSION, DEFAULT_IMAGE_REPOSITORY } from './version';
export { HOST_PROC_PATH } from './agent-config';
export { TOKEN_KEY } from './config-objects';
export { TOKEN_ENV, ENVIRONMENT_ENV, MIRRORING_ENV } from './container-env';
export { CONTAINER_NAME, METRICS_PORT_NAME, CONFIG_HASH_ANNOTATION } from './daemonset';
