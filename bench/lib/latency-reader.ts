/**
 * A discarding unix-socket reader that also times each exchange's trip from the syscall to the
 * sink: for every JSON line it reads the record's `ts` (the request's first byte, wall clock
 * from the kernel's timestamp) and `duration_ns` (to the response's last byte), and takes
 * arrival minus (ts + duration) — the time from the last syscall of the exchange to the line
 * reaching the consumer. Only the start of each line is looked at: the record's first two keys.
 */
import { startLineServer } from './line-server';

export interface LatencyReader {
  /** Complete lines received. */
  lines(): number;
  /** Syscall-to-sink latencies in ms, one per line, in arrival order (a copy). */
  latenciesMs(): Float64Array;
  /** Forgets what was counted (between runs on one reader). */
  reset(): void;
  close(): Promise<void>;
}

const HEAD = /^\{"ts":"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\.(\d{9})Z","duration_ns":(\d+),/;

/** ms since the epoch at which the exchange's last byte moved, from the line's first keys; NaN if the line does not start as a record does. */
export function exchangeEndMs(line: string): number {
  const m = HEAD.exec(line);
  if (!m) return NaN;
  return Date.parse(`${m[1]}Z`) + Number(m[2]) / 1e6 + Number(m[3]) / 1e6;
}

/** Listens at `socketPath` (replacing a stale socket file). */
export async function startLatencyReader(socketPath: string): Promise<LatencyReader> {
  let lines = 0;
  let lat = new Float64Array(1 << 16);
  const server = await startLineServer(socketPath, (text, from, _to, now) => {
    if (lines === lat.length) {
      const next = new Float64Array(lat.length * 2);
      next.set(lat);
      lat = next;
    }
    lat[lines++] = now - exchangeEndMs(text.slice(from, from + 96));
  });
  return {
    lines: () => lines,
    latenciesMs: () => lat.slice(0, lines),
    reset: () => {
      lines = 0;
    },
    close: () => server.close(),
  };
}

/** The `p`-th percentile (0..100) of `xs` by nearest rank; NaN for no values. */
export function percentile(xs: Float64Array | readonly number[], p: number): number {
  if (xs.length === 0) return NaN;
  const sorted = Float64Array.from(xs).sort();
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1]!;
}
