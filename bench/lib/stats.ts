/** Summary statistics for benchmark rounds. Pure functions: unit-tested in test/unit/bench-lib.test.ts. */

export interface Summary {
  readonly min: number;
  readonly median: number;
  readonly max: number;
  readonly n: number;
}

function checked(name: string, xs: readonly number[]): readonly number[] {
  if (xs.length === 0) throw new RangeError(`${name} needs at least one value, got an empty list`);
  for (const x of xs) {
    if (!Number.isFinite(x)) throw new RangeError(`${name} values must be finite numbers, got ${x}`);
  }
  return xs;
}

export function min(xs: readonly number[]): number {
  return Math.min(...checked('min', xs));
}

export function max(xs: readonly number[]): number {
  return Math.max(...checked('max', xs));
}

/** The middle value; for an even count, the mean of the two middle values. Does not reorder `xs`. */
export function median(xs: readonly number[]): number {
  const s = [...checked('median', xs)].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

export function mean(xs: readonly number[]): number {
  return checked('mean', xs).reduce((a, b) => a + b, 0) / xs.length;
}

export function summarize(xs: readonly number[]): Summary {
  return { min: min(xs), median: median(xs), max: max(xs), n: xs.length };
}

export function sum(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0);
}
