/**
 * The record timestamp: MonotonicClock.toIso caches the current second's date part; whatever order
 * timestamps come in (bursts in one second, back across a boundary, far jumps), each one reads as
 * the wall-clock instant computed from scratch.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MonotonicClock } from '../../agent/capture/clock';

function reference(clock: MonotonicClock, monoNs: bigint): string {
  const wall = clock.toWallNs(monoNs);
  const sec = wall / 1_000_000_000n;
  const frac = (wall % 1_000_000_000n).toString().padStart(9, '0');
  return `${new Date(Number(sec) * 1000).toISOString().slice(0, 19)}.${frac}Z`;
}

test('toIso equals the instant computed from scratch, in any order, across second boundaries', () => {
  const clock = new MonotonicClock();
  const now = process.hrtime.bigint();
  // The monotonic ns at which the wall clock turns a second, near now.
  const boundary = now - (clock.toWallNs(now) % 1_000_000_000n);
  const near = fc.bigInt({ min: -3_000_000_000n, max: 3_000_000_000n }).map((d) => boundary + d);
  const edges = fc.constantFrom(-1n, 0n, 1n, 999_999_999n, 1_000_000_000n, 1_000_000_001n).map((d) => boundary + d);
  const far = fc.bigInt({ min: 0n, max: 1n << 52n });
  fc.assert(
    fc.property(fc.array(fc.oneof(near, edges, far), { minLength: 1, maxLength: 20 }), (stamps) => {
      for (const t of stamps) assert.equal(clock.toIso(t), reference(clock, t), String(t));
    }),
    { numRuns: 500 },
  );
});
