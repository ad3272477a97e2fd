/** Byte comparisons for e2e tests. */
import assert from 'node:assert/strict';

/** Byte-for-byte equality with a readable failure: the first differing offset, not a 1 MiB diff. */
export function assertSameBytes(actual: Buffer, expected: Buffer, label: string): void {
  if (actual.equals(expected)) return;
  let i = 0;
  while (i < actual.length && i < expected.length && actual[i] === expected[i]) i++;
  assert.fail(
    `${label}: ${actual.length} bytes captured, ${expected.length} expected; first difference at offset ${i}: ` +
      `captured ${JSON.stringify(actual.subarray(i, i + 32).toString('latin1'))}, ` +
      `expected ${JSON.stringify(expected.subarray(i, i + 32).toString('latin1'))}`,
  );
}
