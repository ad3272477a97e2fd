/** Processes and ports for tests: the shared implementation (bench/lib/procs) plus test paths. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export { freePort, run, start, waitForPort, waitListening, type Proc } from '../../bench/lib/procs';

/** A fresh temporary directory, removed when the test process exits. */
export function tempDir(prefix = 'socktap-test-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export const fixtures = path.join(__dirname, '..', 'fixtures');
