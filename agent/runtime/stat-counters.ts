/**
 * The one place where the reference agent's stat names are given their meaning in socktap. The
 * stats line, the final line and `/metrics` all read these.
 */
import type { TracerStats } from '../capture/tracer';
import type { StatCounters } from '../log/stats-line';
import type { ExchangeAssemblerStats } from '../pipeline';
import type { Sink } from '../sinks/sink';

export interface PipelineSnapshot {
  tracer: TracerStats;
  assembler: ExchangeAssemblerStats;
  sinks: readonly Sink[];
}

export function statCounters({ tracer, assembler, sinks }: PipelineSnapshot): StatCounters {
  let sent = 0;
  for (const s of sinks) sent += s.stats().sent;
  return {
    /** Connection open and close events. */
    ControlEventReceived: tracer.openEvents + tracer.closeEvents,
    DataEventReceived: tracer.dataEvents,
    /** Exchanges assembled (complete or incomplete), before the mode filter's sinks. */
    TotalRequestsParsed: assembler.exchanges,
    ReqParsingErrors: assembler.requestParseErrors,
    ResParsingErrors: assembler.responseParseErrors,
    /** Kernel ring buffer full: events the kernel could not hand over. */
    EventLost: tracer.lostEvents,
    /** Records delivered, summed over the enabled sinks (one per record per sink). */
    TotalRequestsSent: sent,
    /**
     * Dropped at a full queue, wherever: events the reader thread could not hand to JavaScript,
     * plus exchange records a sink gave up (its queue full, or delivery failed). Per sink on /metrics.
     */
    TotalEventsDroppedAtEventQueueLimit: tracer.handoffDroppedRecords + sinkDrops(sinks),
    /** Data events of connections the parser never saw open (or already closed). */
    TotalEventsDroppedAtParsing: assembler.orphanEvents,
  };
}

/** Exchanges the sinks gave up (queue full, collector down, write failed), summed. */
export function sinkDrops(sinks: readonly Sink[]): number {
  let dropped = 0;
  for (const s of sinks) dropped += s.stats().dropped;
  return dropped;
}
