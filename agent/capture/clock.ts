/**
 * Kernel timestamps are CLOCK_MONOTONIC (bpf_ktime_get_ns), the same clock as
 * process.hrtime.bigint(); the offset to wall time is measured once per Tracer.
 */
export class MonotonicClock {
  private readonly offsetNs: bigint;

  constructor() {
    // Two hrtime reads around Date.now() bound the error to the read-out jitter (sub-µs).
    const a = process.hrtime.bigint();
    const wallMs = Date.now();
    const b = process.hrtime.bigint();
    this.offsetNs = BigInt(wallMs) * 1_000_000n - (a + b) / 2n;
  }

  /** Wall-clock ns since the epoch for a CLOCK_MONOTONIC ns timestamp. */
  toWallNs(monoNs: bigint): bigint {
    return monoNs + this.offsetNs;
  }

  /** RFC 3339 with ns precision, as in the exchange record: 2026-11-24T20:34:47.123456789Z. */
  toIso(monoNs: bigint): string {
    const wall = this.toWallNs(monoNs);
    const sec = wall / 1_000_000_000n;
    // Records arrive in bursts within the same second: format the date part once per second.
    if (sec !== this.isoSec) {
      this.isoSec = sec;
      this.isoPrefix = new Date(Number(sec) * 1000).toISOString().slice(0, 19);
    }
    const frac = (wall - sec * 1_000_000_000n).toString().padStart(9, '0');
    return `${this.isoPrefix}.${frac}Z`;
  }

  private isoSec = -1n;
  private isoPrefix = '';
}
