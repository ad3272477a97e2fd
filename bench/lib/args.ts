/** Command-line flags for the benchmark scripts: node's parseArgs plus range-checked numbers. */
import { parseArgs } from 'node:util';

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** `--name` as an integer in [lo, hi], or `dflt` when absent. */
export function intFlag(values: Record<string, unknown>, name: string, dflt: number, lo: number, hi: number): number {
  const raw = values[name];
  if (raw === undefined) return dflt;
  const v = Number(raw);
  if (typeof raw !== 'string' || !/^\d+$/.test(raw) || v < lo || v > hi) {
    throw new UsageError(`--${name} must be an integer in [${lo}, ${hi}], got '${String(raw)}'`);
  }
  return v;
}

/** `--name` as one of `choices`, or `dflt` when absent. */
export function choiceFlag<T extends string>(values: Record<string, unknown>, name: string, dflt: T, choices: readonly T[]): T {
  const raw = values[name];
  if (raw === undefined) return dflt;
  if (!choices.includes(raw as T)) throw new UsageError(`--${name} must be one of ${choices.join(', ')}, got '${String(raw)}'`);
  return raw as T;
}

/** Parses string-valued flags, `booleans` (and --help); unknown flags and positionals are usage errors. */
export function parseFlags(argv: readonly string[], names: readonly string[], booleans: readonly string[] = []): Record<string, string | boolean | undefined> {
  const options: Record<string, { type: 'string' | 'boolean' }> = { help: { type: 'boolean' } };
  for (const n of names) options[n] = { type: 'string' };
  for (const n of booleans) options[n] = { type: 'boolean' };
  try {
    return parseArgs({ args: [...argv], options, strict: true, allowPositionals: false }).values;
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}
