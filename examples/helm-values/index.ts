/**
 * Migrating from the reference agent's Helm chart: read its values.yaml, get socktap options
 * (and a warning for each value socktap does not support), then deploy them with Pulumi
 * (this program) or print manifests with `socktap render --helm-values values.yaml`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fromHelmValues } from 'socktap/spec';
import { EbpfAgent } from 'socktap/pulumi';

const { options, warnings } = fromHelmValues(readFileSync(join(__dirname, 'values.yaml'), 'utf8'));
for (const warning of warnings) console.warn(`values.yaml: ${warning}`);

const agent = new EbpfAgent('socktap', options);

export const daemonSet = agent.daemonSetName;
