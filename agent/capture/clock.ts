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

  /** Wall-clock ns minus CLOCK_MONOTONIC ns, as measured at construction. */
  get offset(): bigint {
    return this.offsetNs;
  }

  /** Wall-clock ns since the epoch for a CLOCK_MONOTONIC ns timestamp. */
  toWallNs(monoNs: bigint): bigint {
    return monoNs + this.offsetNs;
  }

  /** RFC 3339 with ns precision, as in the exchange record: 2026-11-24T20:34:47.123456789Z. */
  toIso(monoNs: bigint): string {
    // Records arrive in bursts within the same second: the second's date part is formatted once,
    // and a timestamp inside it costs one subtraction (no BigInt division per record).
    const fromSecNs = monoNs - this.isoSecMonoNs;
    if (fromSecNs < 0n || fromSecNs >= 1_000_000_000n) return this.toIsoNewSecond(monoNs);
    return `${this.isoPrefix}.${String(Number(fromSecNs)).padStart(9, '0')}Z`;
  }

  private toIsoNewSecond(monoNs: bigint): string {
    const wall = this.toWallNs(monoNs);
    let sec = wall / 1_000_000_000n;
    if (wall < 0n && sec * 1_000_000_000n !== wall) sec -= 1n; // floor, for instants before 1970
    this.isoSecMonoNs = sec * 1_000_000_000n - this.offsetNs;
    this.isoPrefix = new Date(Number(sec) * 1000).toISOString().slice(0, 19);
    return this.toIso(monoNs);
  }

  /** CLOCK_MONOTONIC ns of the start of the second `isoPrefix` names. */
  private isoSecMonoNs = 1n << 62n;
  private isoPrefix = '';
}
