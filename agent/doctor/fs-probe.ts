/** Reading the system for doctor: a missing or unreadable path is an answer, not an exception. */
import fs from 'node:fs';

// File access: "absent" and "permission denied" lead to different advice, so they stay apart.

export type PathState = 'present' | 'absent' | 'denied';

export function errState(err: unknown): Exclude<PathState, 'present'> {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'EACCES' || code === 'EPERM' ? 'denied' : 'absent';
}

export function pathState(p: string): PathState {
  try {
    fs.statSync(p);
    return 'present';
  } catch (err) {
    return errState(err);
  }
}

export type ReadResult = { state: 'present'; text: string } | { state: 'absent' | 'denied' };

export function readText(p: string): ReadResult {
  try {
    return { state: 'present', text: fs.readFileSync(p, 'utf8') };
  } catch (err) {
    return { state: errState(err) };
  }
}

export function readDir(p: string): { state: 'present'; names: string[] } | { state: 'absent' | 'denied' } {
  try {
    return { state: 'present', names: fs.readdirSync(p) };
  } catch (err) {
    return { state: errState(err) };
  }
}

export const RUN_AS_ROOT = 'run socktap doctor as root to check this';
