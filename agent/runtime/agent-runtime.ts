/**
 * The running agent: capture (Tracer) -> exchange assembly -> sinks, with the periodic stats
 * lines, idle expiry, and `/metrics` + health endpoints. `socktap run` and `socktap demo` (and,
 * later, the Kubernetes mode) differ only in the config, the targets and the sinks they pass.
 */
import type { Server } from 'node:http';
import type { MonotonicClock } from '../capture/clock';
import type { AgentConfig } from '../config/schema';
import { Tracer, type Targets, type TracerOptions, type TracerStats } from '../capture/tracer';
import type { Logger } from '../log/logger';
import { logStats, type StatCounters } from '../log/stats-line';
import { ExchangeAssembler, type ExchangeAssemblerOptions, type ExchangeRecord } from '../pipeline';
import { FastLines, withFastStats } from '../pipeline/fast-lines';
import { LineSink } from '../sinks/line-sink';
import type { Sink } from '../sinks/sink';
import { statCounters, type PipelineSnapshot } from './stat-counters';

export interface AgentRuntimeOptions {
  config: AgentConfig;
  /** What the kernel captures. */
  targets: Targets;
  /** Keep only connections on these ports (local for ingress, remote for egress). @default every port */
  ports?: readonly number[];
  sinks: readonly Sink[];
  log: Logger;
  /** Also called for every record (e.g. the demo's live view), after the sinks were offered it. */
  onRecord?: (record: ExchangeRecord) => void;
  /** Per-process mode and labels (Kubernetes mode). */
  processPolicy?: ExchangeAssemblerOptions['processPolicy'];
  /** Tracer settings beyond the config's (tests: small rings). */
  tracer?: Omit<TracerOptions, 'targets'>;
  /**
   * Let the addon write the lines of plain exchanges (agent/pipeline/fast-lines.ts) when every
   * sink writes JSON exchange lines and nothing else reads records. @default the config's `fast_path`
   */
  fastPath?: boolean;
}

/**
 * Whether the fast path can serve these sinks: it writes JSON exchange lines, so only when every
 * sink writes exactly those, and no one needs record objects (a live view).
 */
export function fastPathServes(options: Pick<AgentRuntimeOptions, 'sinks' | 'onRecord' | 'fastPath'>): boolean {
  if (options.fastPath === false || options.onRecord !== undefined) return false;
  return options.sinks.every((s) => s instanceof LineSink && s.takesJsonLines);
}

export interface AgentRunResult {
  counters: StatCounters;
  tracer: TracerStats;
}

/**
 * What the config says the assembler does: the one place `socktap run`, the demo and the replay
 * benchmark (bench/lib/replay-pass.ts) take it from, so the benchmark parses as the agent does.
 */
export function assemblerOptions(
  config: AgentConfig,
  clock: MonotonicClock,
  extra: Pick<ExchangeAssemblerOptions, 'ports' | 'processPolicy'> = {},
): ExchangeAssemblerOptions {
  return {
    clock,
    mode: config.mode,
    ports: extra.ports,
    processPolicy: extra.processPolicy,
    maxBodyBytes: config.max_body_bytes,
    decodeContent: config.decode_content,
    redactHeaders: config.redact_headers,
  };
}

/** How often idle connections are checked; the idle timeout itself is the assembler's. */
const EXPIRY_CHECK_MS = 1000;

export class AgentRuntime {
  readonly tracer: Tracer;
  readonly assembler: ExchangeAssembler;
  /** The addon's fast path, when it serves the sinks (fastPathServes). */
  readonly fast: FastLines | null;
  private timers: NodeJS.Timeout[] = [];
  private metrics: Server | undefined;
  private attached = false;
  private stopped: Promise<AgentRunResult> | undefined;

  constructor(private readonly options: AgentRuntimeOptions) {
    const { config } = options;
    this.tracer = new Tracer({
      targets: options.targets,
      ringBufferBytes: config.perfmap_queue_size * 4096,
      maxPendingRecords: config.probe_event_queue_size,
      tls: config.tls_capture ? { procRoot: config.proc_fs_path, log: options.log } : false,
      ...options.tracer,
    });
    const sinks = options.sinks;
    const onRecord = options.onRecord;
    const assembling = assemblerOptions(config, this.tracer.clock, { ports: options.ports, processPolicy: options.processPolicy });
    this.assembler = new ExchangeAssembler(assembling, (record, ex) => {
      for (const s of sinks) s.offer(record, ex);
      onRecord?.(record);
    });
    this.fast = fastPathServes({ ...options, fastPath: options.fastPath ?? config.fast_path })
      ? new FastLines({ ...assembling, clock: this.tracer.clock }, (lines, count) => {
          for (const s of sinks) (s as LineSink).offerLines(lines, count);
        })
      : null;
  }

  /** Attaches the capture, then serves metrics and starts the periodic work. Throws SocktapError. */
  async start(): Promise<void> {
    const { config, log } = this.options;
    if (config.metrics_addr !== undefined) {
      // Before attaching: the health endpoint answers (not ready) while the programs load.
      // prom-client (and the OpenTelemetry API it loads) only when an endpoint is configured.
      const { startMetricsServer } = require('./metrics-server') as typeof import('./metrics-server');
      this.metrics = await startMetricsServer({ addr: config.metrics_addr, snapshot: () => this.snapshot(), ready: () => this.attached });
      log.info(`serving /metrics, /healthz and /readyz on ${config.metrics_addr}`);
    }
    this.tracer.setBatchFilter(this.fast);
    this.tracer.start();
    this.attached = true;
    this.tracer.on('batch', (events) => {
      for (const ev of events) this.assembler.add(ev);
    });
    this.tracer.on('error', (err) => log.error(`capture: ${err.message}`));
    this.timers.push(setInterval(() => this.expire(process.hrtime.bigint()), EXPIRY_CHECK_MS));
    this.timers.push(
      setInterval(() => {
        const snap = this.snapshot();
        logStats(log, statCounters(snap), snap.tracer.probes);
      }, config.stats_interval),
    );
    for (const t of this.timers) t.unref();
  }

  snapshot(): PipelineSnapshot {
    return { tracer: this.tracer.stats(), assembler: this.assemblerStats(), sinks: this.options.sinks };
  }

  /** The fast path's idle connections first: those it hands back are then ended by the assembler's expiry. */
  private expire(nowNs: bigint): void {
    const handed = this.fast?.expire(nowNs, this.assembler.idleTimeout) ?? null;
    if (handed !== null) this.tracer.inject(handed);
    this.assembler.expire(nowNs);
  }

  private assemblerStats() {
    return withFastStats(this.assembler.stats, this.fast?.stats());
  }

  /**
   * Detaches, parses what the kernel still held, gives the sinks `sinkTimeoutMs` to deliver,
   * logs the final stats lines. Idempotent.
   */
  stop(sinkTimeoutMs = 2000): Promise<AgentRunResult> {
    this.stopped ??= (async () => {
      for (const t of this.timers) clearInterval(t);
      const tracer = this.attached ? await this.tracer.stop() : this.tracer.stats();
      this.attached = false;
      await Promise.all(this.options.sinks.map((s) => s.close(sinkTimeoutMs)));
      await new Promise<void>((resolve) => (this.metrics ? this.metrics.close(() => resolve()) : resolve()));
      const counters = statCounters({ tracer, assembler: this.assemblerStats(), sinks: this.options.sinks });
      logStats(this.options.log, counters, tracer.probes);
      for (const s of this.options.sinks) {
        const st = s.stats();
        if (st.dropped > 0) this.options.log.warn(`sink ${s.name}: ${st.dropped} exchanges dropped (queue full or delivery failed)`);
      }
      return { counters, tracer };
    })();
    return this.stopped;
  }
}
