/** Where the agent runs and how it is replaced: affinity, tolerations, update strategy. */
import type { ResolvedEbpfAgentOptions } from './defaults';

/** Node labels that mark control-plane nodes (`master` before Kubernetes 1.20). */
export const CONTROL_PLANE_LABELS = ['node-role.kubernetes.io/control-plane', 'node-role.kubernetes.io/master'] as const;

export function nodeAffinity(r: ResolvedEbpfAgentOptions): Record<string, unknown> {
  const expressions: Record<string, unknown>[] = [{ key: 'kubernetes.io/os', operator: 'In', values: ['linux'] }];
  if (r.scheduleOnControlPlane !== true) {
    for (const key of CONTROL_PLANE_LABELS) expressions.push({ key, operator: 'DoesNotExist' });
  }
  return { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: expressions }] } } };
}

export function tolerations(r: ResolvedEbpfAgentOptions): Record<string, unknown>[] {
  return r.tolerations.map((t) => {
    const out: Record<string, unknown> = {};
    if (t.key !== undefined) out.key = t.key;
    if (t.operator !== undefined) out.operator = t.operator;
    if (t.value !== undefined) out.value = t.value;
    if (t.effect !== undefined) out.effect = t.effect;
    if (t.tolerationSeconds !== undefined) out.tolerationSeconds = t.tolerationSeconds;
    return out;
  });
}

export function updateStrategy(r: ResolvedEbpfAgentOptions): Record<string, unknown> {
  const s = r.updateStrategy;
  if (s.type === 'OnDelete') return { type: 'OnDelete' };
  return { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: s.maxUnavailable, maxSurge: s.maxSurge } };
}
