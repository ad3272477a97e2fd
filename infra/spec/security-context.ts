/**
 * The agent container's security context, per `security.mode`.
 *
 * Both modes run as uid 0: Kubernetes adds capabilities to the bounding and permitted sets, but
 * only a root process gets them in its effective set (there is no ambient-capability support in
 * the pod API), so a non-root agent would hold none of them. Both keep the root filesystem
 * read-only; writable places are emptyDirs (see volumes.ts).
 */
import type { ResolvedEbpfAgentOptions } from './defaults';

export function containerSecurityContext(r: ResolvedEbpfAgentOptions): Record<string, unknown> {
  if (r.security.mode === 'privileged') {
    return { privileged: true, runAsUser: 0, readOnlyRootFilesystem: true };
  }
  return {
    privileged: false,
    runAsUser: 0,
    readOnlyRootFilesystem: true,
    // No setuid binaries are run; the listed capabilities are all the agent gets.
    allowPrivilegeEscalation: false,
    capabilities: { drop: ['ALL'], add: [...r.security.capabilities] },
  };
}
