/**
 * Record timestamps to OpenTelemetry HrTime ([seconds, nanoseconds]) without passing through a
 * JavaScript number of nanoseconds: epoch nanoseconds (~1.8e18) exceed 2^53, so a float would
 * round the last digits the capture measured.
 */
import type { HrTime } from '@opentelemetry/api';

const ISO = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?Z$/;
const NS_PER_S = 1_000_000_000;

/** `2026-11-24T20:34:47.123456789Z` -> [1795552487, 123456789]. Throws RangeError on any other form. */
export function isoToHrTime(ts: string): HrTime {
  const m = ISO.exec(ts);
  const ms = m ? Date.parse(`${m[1]}Z`) : NaN;
  if (!m || Number.isNaN(ms)) {
    throw new RangeError(`timestamp must be an ISO-8601 UTC time like 2026-11-24T20:34:47.123456789Z, got ${JSON.stringify(ts)}`);
  }
  return [ms / 1000, Number((m[2] ?? '').padEnd(9, '0'))];
}

/** `start` plus `ns` nanoseconds (ns >= 0, a safe integer), normalized so nanoseconds < 1e9. */
export function addNanos(start: HrTime, ns: number): HrTime {
  const total = start[1] + ns;
  return [start[0] + Math.floor(total / NS_PER_S), total % NS_PER_S];
}

/** `end - start` as HrTime (end >= start). */
export function hrDiff(start: HrTime, end: HrTime): HrTime {
  let s = end[0] - start[0];
  let n = end[1] - start[1];
  if (n < 0) {
    s -= 1;
    n += NS_PER_S;
  }
  return [s, n];
}
