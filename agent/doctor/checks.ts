/**
 * `socktap doctor` checks: what this kernel and this process allow, and what to do about the rest.
 * Every check reads through the roots in `DoctorEnv`, so tests point them at fixture trees; none
 * of them changes the system (the agent mounts tracefs, doctor only reports). One file per area;
 * this one runs them in order and is the import point.
 */
import { checkBpfFeatures, checkKprobes } from './bpf-features';
import { checkCapabilities } from './capabilities';
import { checkCgroups } from './cgroups';
import { checkBtf, checkKernel, checkLockdown } from './kernel';
import { checkTlsLibraries } from './tls';
import { checkSyscallTracepoints, checkTracefs, checkUprobes } from './tracing';
import type { CheckResult, DoctorEnv } from './types';
export * from './types';
export * from './kernel';
export * from './tracing';
export * from './capabilities';
export * from './bpf-features';
export * from './cgroups';
export * from './tls';

/** Every check, in `CHECK_IDS` order. */
export function runChecks(env: DoctorEnv): CheckResult[] {
  return [
    checkKernel(env),
    checkBtf(env),
    checkTracefs(env),
    checkSyscallTracepoints(env),
    checkLockdown(env),
    checkCapabilities(env),
    ...checkBpfFeatures(env),
    checkKprobes(env),
    checkUprobes(env),
    checkCgroups(env),
    checkTlsLibraries(env),
  ];
}
