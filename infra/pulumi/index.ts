/** socktap for Pulumi: `new EbpfAgent('socktap', { ... })` puts the agent on every node. */
export { EbpfAgent, EBPF_AGENT_TYPE, TOKEN_STAND_IN, isPlain } from './agent';
export type { EbpfAgentArgs, NamespaceArgs, DeepInput } from './args';
