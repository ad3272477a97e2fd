/** socktap for CDKTF: the `EbpfAgent` construct and the ready `EbpfAgentStack`. */
export { EbpfAgent, type EbpfAgentProps, type EbpfAgentBindings } from './agent';
export { EbpfAgentStack, STACK_VARIABLES, KUBERNETES_PROVIDER_VERSIONS, variableValidations, type EbpfAgentStackProps, type StackVariable } from './stack';
export { renderBoundObjects, placeholder, sameStructure, commonAffixes } from './bindings';
export type { StringBinding, ChoiceBinding, BoundObject, BoundObjects, InvalidCombination } from './bindings';
export { toProviderConfig, fromTerraformJson, RESOURCE_KINDS } from './provider-shape';
export { kubeObjectsFromSynth } from './read-back';
export { OBJECT_REFERENCES, linkReferences } from './references';
export { escapeTemplate, unescapeTemplate, hclStringLiteral, mapStrings } from './terraform-strings';
export { terraformModuleFiles, splitHclBlocks, normalizeHcl, MODULE_FILES } from './terraform-module';
