/**
 * Fixed request rates with wrk paced by bench/lua/paced.lua: every connection pauses `intervalMs`
 * after each response, so a rate is a number of connections. Shared by the fixed-rate and the
 * packet-capture harnesses, which pace the same way.
 */
import { UsageError } from './args';

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

/** Connections that make `rate` requests per second when each pauses `intervalMs` after a response. */
export function connectionsFor(rate: number, intervalMs: number): number {
  return (rate * intervalMs) / 1000;
}

/** `--rates` (comma-separated requests per second), refusing rates the interval cannot make. */
export function parsePacedRates(text: string, intervalMs: number): number[] {
  const rates = text.split(',').map((r) => Number(r.trim()));
  for (const r of rates) {
    if (!Number.isInteger(r) || r < 1 || r > 1_000_000) throw new UsageError(`--rates must be whole numbers of requests per second from 1 to 1000000, got '${text}'`);
    if ((r * intervalMs) % 1000 !== 0) {
      throw new UsageError(`--rates: ${r}/s needs ${connectionsFor(r, intervalMs)} connections at --interval ${intervalMs} ms; choose rates that are multiples of ${1000 / gcd(1000, intervalMs)}`);
    }
  }
  return rates;
}
