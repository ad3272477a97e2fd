/**
 * The sink contract. Every exporter (uds, stdout, otlp, har) is a Sink: the pipeline offers each
 * exchange record once, on the main thread, and `offer` never blocks and never throws. A sink that
 * cannot keep up drops and counts (DESIGN.md §5: a slow or absent sink never blocks capture).
 */
import { headerTextLength } from '../http/header-fields';
import type { ExchangeRecord, RecordHeaders } from '../pipeline/record';
import type { BodyBytes } from '../pipeline/record-json';
import { BoundedQueue } from './bounded-queue';

export interface SinkStats {
  /** Records delivered (written to the socket or file, accepted by the collector). */
  sent: number;
  /** Records given up: queue full, delivery failed, or still queued when the sink closed. */
  dropped: number;
  /** Records waiting in the queue now. */
  queued: number;
}

export interface Sink {
  /** `uds`, `stdout`, `otlp` or `har`: the exporter's key in the config. */
  readonly name: string;
  /**
   * Queues `record` for delivery, or counts it as dropped. Main thread; never blocks or throws.
   * `bytes`: the parsed exchange the record was built from, read during the call only (a line
   * sink copies ASCII bodies from it instead of re-reading their strings).
   */
  offer(record: ExchangeRecord, bytes?: BodyBytes): void;
  stats(): SinkStats;
  /**
   * Delivers what is queued, waiting at most `timeoutMs`, then releases sockets and files.
   * Whatever is still queued then is counted as dropped.
   */
  close(timeoutMs?: number): Promise<void>;
}

/** Where sinks report trouble (connection lost, collector refusing): the agent's logger. */
export interface SinkLog {
  info(msg: string): void;
  warn(msg: string): void;
}

export interface QueuedSinkOptions {
  /** Records held while the destination is slow or away. */
  queueSize: number;
  /**
   * Bytes those records may hold (by `recordBytes`), whatever their number: large bodies would
   * otherwise make `queueSize` records weigh gigabytes. @default DEFAULT_QUEUE_BYTES
   */
  queueBytes?: number;
  /** Records handed to `deliver` at once. @default 512 */
  batchSize?: number;
}

/** 64 MiB per sink: room for thousands of ordinary exchanges, and a bound when bodies are large. */
export const DEFAULT_QUEUE_BYTES = 64 << 20;

/**
 * What a queued record costs in memory, roughly: its bodies (strings of about a byte per
 * character), its headers, and a kilobyte for the rest of the object. An estimate on purpose:
 * it is computed for every record offered and taken, so it reads lengths, not bytes.
 */
export function recordBytes(r: ExchangeRecord): number {
  let n = 1024 + r.request.body.length + headerChars(r.request.headers);
  if (r.response) n += r.response.body.length + headerChars(r.response.headers);
  return n;
}

function headerChars(h: RecordHeaders): number {
  return headerTextLength(h) + 16 * h.length;
}

/**
 * The delivery loop every sink shares: at most one delivery is in flight, so records leave in the
 * order they came; `close` waits (bounded) for what is held, then counts the rest as dropped.
 * Subclasses hold the records (`QueuedSink`: record objects; `LineSink`: encoded lines) and say
 * whether they can deliver now (`ready`); a subclass that was not ready calls `kick()` when it
 * becomes ready.
 */
export abstract class DeliveryLoop implements Sink {
  abstract readonly name: string;
  protected sent = 0;
  protected dropped = 0;
  /** Set by `close`: offers from then on are dropped. */
  protected closing = false;
  private pumping = false;
  private idleWaiters: Array<() => void> = [];

  abstract offer(record: ExchangeRecord, bytes?: BodyBytes): void;

  /** Records held and not yet handed to a delivery. */
  protected abstract held(): number;

  /** Takes one batch of what is held and delivers it, counting it as sent or dropped. */
  protected abstract deliverNext(): Promise<void>;

  /** Forgets everything held (at close); returns how many records that was. */
  protected abstract dropHeld(): number;

  stats(): SinkStats {
    return { sent: this.sent, dropped: this.dropped, queued: this.held() };
  }

  async close(timeoutMs = 2000): Promise<void> {
    this.closing = true;
    this.kick();
    if (this.pumping || (this.held() > 0 && this.ready())) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        new Promise<void>((resolve) => this.idleWaiters.push(resolve)),
        new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs))),
      ]);
      clearTimeout(timer);
    }
    this.dropped += this.dropHeld();
    await this.shutdown();
  }

  /** Starts the delivery loop if it is not running and there is work it can do. */
  protected kick(): void {
    if (this.pumping || this.held() === 0 || !this.ready()) {
      if (!this.pumping) this.notifyIdle();
      return;
    }
    this.pumping = true;
    // setImmediate: records offered in the same turn go out as one batch.
    setImmediate(() => void this.pump());
  }

  private async pump(): Promise<void> {
    try {
      while (this.held() > 0 && this.ready()) await this.deliverNext();
    } finally {
      this.pumping = false;
    }
    this.kick();
  }

  private notifyIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  /** True when a delivery can start now (e.g. the socket is connected). */
  protected ready(): boolean {
    return true;
  }

  /** Called when a delivery failed; its records are already counted as dropped. */
  protected abstract onDeliveryError(err: unknown, records: number): void;

  /** Releases sockets, files, exporters. Called once, after the final delivery attempt. */
  protected abstract shutdown(): Promise<void>;
}

/**
 * A sink that holds record objects in a bounded queue (by count and by `recordBytes`) and
 * delivers them in batches: for exporters that need the records themselves (OTLP spans, HAR).
 */
export abstract class QueuedSink extends DeliveryLoop {
  private readonly queue: BoundedQueue<ExchangeRecord>;
  private readonly queueBytes: number;
  /** recordBytes of what is queued now. */
  private queuedBytes = 0;
  private readonly batchSize: number;

  constructor(options: QueuedSinkOptions) {
    super();
    this.queue = new BoundedQueue(options.queueSize);
    this.queueBytes = options.queueBytes ?? DEFAULT_QUEUE_BYTES;
    this.batchSize = options.batchSize ?? 512;
  }

  offer(record: ExchangeRecord): void {
    const bytes = recordBytes(record);
    // An empty queue takes any record, so one larger than the budget is still delivered.
    const full = this.queue.length > 0 && this.queuedBytes + bytes > this.queueBytes;
    if (this.closing || full || !this.queue.push(record)) {
      this.dropped++;
      return;
    }
    this.queuedBytes += bytes;
    this.kick();
  }

  protected held(): number {
    return this.queue.length;
  }

  protected dropHeld(): number {
    return this.take(this.queue.length).length;
  }

  protected async deliverNext(): Promise<void> {
    const batch = this.take(this.batchSize);
    try {
      const notDelivered = await this.deliver(batch);
      this.sent += batch.length - notDelivered.length;
      // Undelivered records keep their place; those that no longer fit are dropped.
      this.dropped += this.putBack(notDelivered);
    } catch (err) {
      this.dropped += batch.length;
      this.onDeliveryError(err, batch.length);
    }
  }

  private take(max: number): ExchangeRecord[] {
    const batch = this.queue.take(max);
    for (const r of batch) this.queuedBytes -= recordBytes(r);
    return batch;
  }

  /** Puts undelivered records back in front; returns how many no longer fit (dropped). */
  private putBack(records: readonly ExchangeRecord[]): number {
    const lost = this.queue.unshift(records);
    for (let i = 0; i < records.length - lost; i++) this.queuedBytes += recordBytes(records[i]!);
    return lost;
  }

  /**
   * Delivers `batch` in order. Resolves with the tail that was not delivered (to be retried when
   * ready again), or rejects: then the whole batch is counted as dropped.
   */
  protected abstract deliver(batch: ExchangeRecord[]): Promise<readonly ExchangeRecord[]>;
}
