/**
 * Gate for tests that load BPF. In CI (CI=true) they must run and fail loudly when BPF cannot
 * load; on a developer machine without root they are skipped with the reason.
 */
import type { TestContext } from 'node:test';

export const inCi = process.env.CI === 'true' || process.env.CI === '1';

/** Returns false (after marking the test skipped) when BPF tests cannot run here. */
export function bpfAvailable(t: TestContext): boolean {
  if (inCi) return true;
  if (process.getuid && process.getuid() !== 0) {
    t.skip('needs root to load BPF programs (in CI this test fails instead of skipping)');
    return false;
  }
  return true;
}
