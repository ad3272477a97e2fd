/**
 * `socktap doctor`: gathers the real environment, runs every check, prints a report (or JSON)
 * and returns the exit code. It never changes the system: the agent mounts tracefs, doctor only
 * says whether it will need to.
 */
import os from 'node:os';
import { loadNative } from '../capture/native';
import { runChecks, type CheckResult, type CheckStatus, type DoctorEnv } from './checks';

export type { CheckResult, CheckStatus, DoctorEnv } from './checks';

export interface DoctorOptions {
  /** Print `{ checks, summary }` as JSON instead of the readable report. @default false */
  readonly json?: boolean;
  /** @default process.stdout */
  readonly out?: NodeJS.WritableStream;
  /** Overrides of the gathered environment; passing `features` or `featuresError` skips the addon. */
  readonly env?: Partial<DoctorEnv>;
}

export interface DoctorSummary {
  ok: number;
  warn: number;
  fail: number;
}

/** The real environment, with `overrides` applied; the addon is only loaded when needed. */
export function gatherEnv(overrides: Partial<DoctorEnv> = {}): DoctorEnv {
  const env: DoctorEnv = { procRoot: '/proc', sysRoot: '/sys', bootRoot: '/boot', uname: os.release(), ...overrides };
  if (!('features' in overrides) && !('featuresError' in overrides)) {
    // An unbuilt addon must not stop doctor: the feature checks then say why they cannot tell.
    try {
      env.features = loadNative().probeFeatures();
    } catch (err) {
      env.featuresError = (err as Error).message;
    }
  }
  return env;
}

export function summarize(results: readonly CheckResult[]): DoctorSummary {
  const summary: DoctorSummary = { ok: 0, warn: 0, fail: 0 };
  for (const r of results) summary[r.status]++;
  return summary;
}

const MARKERS: Record<CheckStatus, string> = { ok: 'ok  ', warn: 'warn', fail: 'FAIL' };

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** The readable report: one line per check, an indented fix line when there is one, a summary. */
export function formatReport(results: readonly CheckResult[]): string {
  const width = Math.max(...results.map((r) => r.title.length));
  const lines: string[] = [];
  for (const r of results) {
    lines.push(`${MARKERS[r.status]}  ${r.title.padEnd(width)}  ${r.detail}`);
    if (r.fix) lines.push(`${' '.repeat(6 + width + 2)}fix: ${r.fix}`);
  }
  const s = summarize(results);
  lines.push(`doctor: ${s.ok} ok, ${plural(s.warn, 'warning')}, ${plural(s.fail, 'failure')}`);
  return `${lines.join('\n')}\n`;
}

/** Runs doctor; resolves to the exit code (1 if any check failed) once the output is flushed. */
export async function runDoctor(opts: DoctorOptions = {}): Promise<number> {
  const results = runChecks(gatherEnv(opts.env));
  const text = opts.json
    ? `${JSON.stringify({ checks: results, summary: summarize(results) }, null, 2)}\n`
    : formatReport(results);
  const out = opts.out ?? process.stdout;
  // Wait for the write so a caller that exits right after does not cut the report short.
  await new Promise<void>((resolve, reject) => {
    out.write(text, (err?: Error | null) => (err ? reject(err) : resolve()));
  });
  return results.some((r) => r.status === 'fail') ? 1 : 0;
}
