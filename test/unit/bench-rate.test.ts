/** The fixed-rate harness's pure parts: flags, pacing, the latency reader's line parsing and percentiles. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../../bench/fixed-rate';
import { connectionsFor } from '../../bench/lib/pacing';
import { exchangeEndMs, percentile } from '../../bench/lib/latency-reader';
import { UsageError } from '../../bench/lib/args';

test('flags: defaults, rates list, pacing that cannot make a rate is refused with the reason', () => {
  const c = parseConfig([], '/r')!;
  assert.deepEqual([c.rates, c.durationS, c.intervalMs, c.warmupS, c.out, c.docs], [[1000, 5000, 20000], 15, 10, 3, '/r/bench/results/fixed-rate.json', '/r/docs/benchmarks.md']);
  assert.deepEqual(parseConfig(['--rates', '200,400', '--interval', '5'], '/r')!.rates, [200, 400]);
  assert.throws(() => parseConfig(['--rates', '150', '--interval', '10'], '/r'), (e: Error) => e instanceof UsageError && /150\/s needs 1.5 connections at --interval 10 ms; choose rates that are multiples of 100/.test(e.message));
  assert.throws(() => parseConfig(['--rates', '1000,x'], '/r'), /--rates must be whole numbers of requests per second from 1 to 1000000, got '1000,x'/);
  assert.equal(parseConfig(['--help'], '/r'), undefined);
});

test('connections for a rate: rate x interval / 1000', () => {
  assert.deepEqual([connectionsFor(1000, 10), connectionsFor(5000, 10), connectionsFor(20000, 10), connectionsFor(300, 5)], [10, 50, 200, 1.5]);
});

test('exchangeEndMs: ts (ns precision) plus duration_ns, from the record line; NaN for other lines', () => {
  const line = '{"ts":"2026-11-25T02:00:05.201004720Z","duration_ns":16244000,"direction":"ingress"}';
  const expected = Date.UTC(2026, 10, 25, 2, 0, 5) + 201.00472 + 16.244;
  assert.ok(Math.abs(exchangeEndMs(line) - expected) < 1e-6, String(exchangeEndMs(line) - expected));
  assert.ok(Number.isNaN(exchangeEndMs('{"duration_ns":1}')));
  assert.ok(Number.isNaN(exchangeEndMs('{"ts":"2026-11-25T02:00:05.201Z","duration_ns":1,')), 'ns precision is what the record writes');
});

test('percentile: nearest rank over unsorted values', () => {
  const xs = Float64Array.from([5, 1, 4, 2, 3, 10, 9, 8, 7, 6]);
  assert.deepEqual([percentile(xs, 50), percentile(xs, 90), percentile(xs, 99), percentile(xs, 100), percentile(xs, 0)], [5, 9, 10, 10, 1]);
  assert.ok(Number.isNaN(percentile([], 50)));
});
