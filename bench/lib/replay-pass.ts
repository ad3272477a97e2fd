/**
 * One replay of a batch recording through the agent's JavaScript path, as `socktap run --uds`
 * runs it per batch: decode (agent/capture/decode.ts), the exchange assembler with the default
 * config's options (assemblerOptions, shared with the agent runtime), and a line sink whose
 * destination takes every write at once. One batch per event-loop turn, as the addon delivers
 * them, so the sink's delivery loop runs between batches as it does in the agent.
 */
import { MonotonicClock } from '../../agent/capture/clock';
import { ConnIdTable, decodeBatch } from '../../agent/capture/decode';
import type { CaptureEvent } from '../../agent/capture/events';
import type { HttpExchange } from '../../agent/http';
import { DEFAULT_CONFIG } from '../../agent/config/schema';
import { ExchangeAssembler, type ExchangeRecord } from '../../agent/pipeline';
import { FastLines, withFastStats } from '../../agent/pipeline/fast-lines';
import { assemblerOptions } from '../../agent/runtime/agent-runtime';
import { LineSink } from '../../agent/sinks/line-sink';
import type { Recording } from './batch-recording';

/** The unix-socket sink with a destination that is never slow: its encoding and queueing, no socket. */
class DiscardingLineSink extends LineSink {
  readonly name = 'discard';
  bytes = 0;

  protected write(chunk: Buffer): Promise<void> {
    this.bytes += chunk.length;
    return Promise.resolve();
  }

  protected onDeliveryError(): void {}

  protected shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

export interface PassResult {
  /** Exchanges the pass made (for `decode`: those of a full pass of the same recording). */
  readonly exchanges: number;
  /** Records the sink delivered (equal to exchanges unless its queue overflowed). */
  readonly sent: number;
  readonly dropped: number;
  readonly lineBytes: number;
  readonly parseErrors: number;
  /** User + system CPU of this process over the pass, µs. */
  readonly cpuUs: number;
  readonly wallMs: number;
  readonly cpuUsPerExchange: number;
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * How far each batch goes: `decode` (events only), `assemble` (up to the exchange records, which
 * are then dropped), `full` (and the line sink), all in JavaScript; `fast`: the line sink fed as
 * `socktap run --uds` feeds it, the addon's fast path first (agent/pipeline/fast-lines.ts) and
 * JavaScript for what it hands back. Costs apart show where a change landed.
 */
export type ReplayStage = 'decode' | 'assemble' | 'full' | 'fast';
export const REPLAY_STAGES: readonly ReplayStage[] = ['decode', 'assemble', 'full', 'fast'];

/** Replays every batch once, with fresh connection and sink state. */
export async function replayPass(rec: Recording, stage: ReplayStage = 'full', exchangesOfFull = 0): Promise<PassResult> {
  const sink = new DiscardingLineSink({ queueSize: DEFAULT_CONFIG.uds_event_queue_size });
  let records = 0;
  const onRecord = stage === 'full' || stage === 'fast' ? (r: ExchangeRecord, ex: HttpExchange) => sink.offer(r, ex) : () => void records++;
  const clock = new MonotonicClock();
  const options = assemblerOptions(DEFAULT_CONFIG, clock);
  const assembler = new ExchangeAssembler(options, onRecord);
  const fast = stage === 'fast' ? new FastLines({ ...options, clock }, (lines, count) => sink.offerLines(lines, count)) : null;
  const ids = new ConnIdTable();
  const counters = { malformed: 0 };
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  for (const batch of rec.batches) {
    const rest = fast === null ? batch : fast.take(batch);
    const events: CaptureEvent[] = [];
    if (rest !== null) decodeBatch(rest, ids, counters, (ev) => events.push(ev));
    if (stage !== 'decode') for (const ev of events) assembler.add(ev);
    await nextTurn();
  }
  await sink.close(10_000);
  const cpu = process.cpuUsage(cpu0);
  const wallMs = performance.now() - t0;
  const st = withFastStats(assembler.stats, fast?.stats());
  const sinkStats = sink.stats();
  const cpuUs = cpu.user + cpu.system;
  // The decode stage makes no exchanges: its cost is divided by those of a full pass, for comparison.
  const exchanges = stage === 'decode' ? exchangesOfFull : st.exchanges;
  return {
    exchanges,
    sent: sinkStats.sent,
    dropped: sinkStats.dropped,
    lineBytes: sink.bytes,
    parseErrors: st.requestParseErrors + st.responseParseErrors,
    cpuUs,
    wallMs,
    cpuUsPerExchange: cpuUs / Math.max(1, exchanges),
  };
}
