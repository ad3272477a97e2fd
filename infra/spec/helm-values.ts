/** Migration from the reference Helm chart's values.yaml. */
import type { EbpfAgentOptions } from './options';

export interface HelmValuesResult {
  readonly options: EbpfAgentOptions;
  readonly warnings: string[];
}

export function fromHelmValues(valuesYamlText: string): HelmValuesResult {
  void valuesYamlText;
  return { options: {}, warnings: [] };
}
