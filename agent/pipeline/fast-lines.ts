/**
 * The fast path (native/src/fast-lines.cc) as the pipeline uses it: a reader batch goes to the
 * addon first, which writes the JSON lines of the plain exchanges it completes and hands back, as
 * records in the batch's own framing, everything it does not take (other connections, and any
 * connection it hands over, resumed at a message boundary). Those go through decode and the
 * ExchangeAssembler as before. Only for line sinks writing the exchange record (unix socket,
 * stdout jsonl): OTLP, HAR, `pretty` and the demo's live view read record objects. In
 * Kubernetes mode the addon asks the process policy once per connection, as the assembler does.
 *
 *   const fast = new FastLines(options, (lines, count) => sink.offerLines(lines, count));
 *   const rest = fast.take(batch);  // decode `rest` (null: nothing left)
 */
import type { MonotonicClock } from '../capture/clock';
import type { NativeFastLines, NativeFastLinesOptions, NativeFastLinesStats } from '../capture/native';
import { DEFAULT_REDACT_HEADERS } from '../config/schema';
import type { ExchangeAssemblerOptions, ExchangeAssemblerStats } from './exchange-assembler';
import { labelsJson, nativeWithJsonTables } from './record-json';

export type FastLinesOptions = Pick<ExchangeAssemblerOptions, 'mode' | 'ports' | 'maxBodyBytes' | 'redactHeaders' | 'decodeContent' | 'processPolicy'> & {
  clock: MonotonicClock;
};

/** Capture event counts the fast path took net of what it handed back (those are decoded and counted again). */
export interface FastEventCounts {
  data: number;
  open: number;
  close: number;
}

export class FastLines {
  private readonly native: NativeFastLines;
  /** Where the addon copies a batch's lines: kept, so its memory is warm (see take in native/src/fast-lines.cc). */
  private linesOut: Buffer = Buffer.allocUnsafeSlow(1 << 16);

  constructor(
    opts: FastLinesOptions,
    /** `count` whole lines (each ends in a newline), valid during the call. */
    private readonly onLines: (lines: Buffer, count: number) => void,
  ) {
    const addon = nativeWithJsonTables();
    // The assembler's defaults (exchange-assembler.ts), so the two paths read one config alike.
    this.native = new addon.FastLines({
      mode: opts.mode ?? 'all',
      ports: opts.ports ?? [],
      maxBodyBytes: opts.maxBodyBytes ?? 65536,
      redactHeaders: opts.redactHeaders ?? DEFAULT_REDACT_HEADERS,
      clockOffsetNs: opts.clock.offset,
      decodeContent: opts.decodeContent ?? false,
      policy: policyOf(opts.processPolicy),
    });
  }

  /** What of `batch` JavaScript decodes: the batch itself, records the addon wrote, or null (nothing). */
  take(batch: Buffer): Buffer | null {
    const r = this.native.take(batch, this.linesOut);
    if (r.grown !== undefined) this.linesOut = r.grown;
    if (r.lineCount > 0) this.onLines(this.linesOut.subarray(0, r.lineBytes), r.lineCount);
    return r.rest === undefined ? batch : r.rest;
  }

  /**
   * Connections idle for `idleNs` at `nowNs`: dropped, or (holding a message) handed back as
   * records to decode before the assembler's own expire() runs, which then ends them as it would.
   */
  expire(nowNs: bigint, idleNs: bigint): Buffer | null {
    return this.native.expire(nowNs - idleNs);
  }

  stats(): NativeFastLinesStats {
    return this.native.stats();
  }

  /** Net event counts (see FastEventCounts). */
  events(): FastEventCounts {
    const s = this.native.stats();
    return { data: s.dataEvents - s.syntheticData, open: s.openEvents - s.syntheticOpen, close: s.closeEvents };
  }
}

/** The assembler's per-process policy as the addon asks it: the labels as the bytes of their part of a line. */
function policyOf(policy: ExchangeAssemblerOptions['processPolicy']): NativeFastLinesOptions['policy'] {
  if (policy === undefined) return undefined;
  // Once per connection, as the assembler asks it: encoding the labels costs less than the call.
  return (pid, cgroupId) => {
    const p = policy(pid, cgroupId);
    return p === undefined ? undefined : { mode: p.mode, labels: labelsJson(p.labels) };
  };
}

/** The assembler's stats with the fast path's exchanges, connections and expiries added. */
export function withFastStats(a: ExchangeAssemblerStats, f: NativeFastLinesStats | undefined): ExchangeAssemblerStats {
  if (f === undefined) return a;
  return { ...a, exchanges: a.exchanges + f.exchanges, connections: a.connections + f.connections, expired: a.expired + f.expired };
}
