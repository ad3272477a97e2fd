/**
 * The sink contract. Every exporter (uds, stdout, otlp, har) is a Sink: the pipeline offers each
 * exchange record once, on the main thread, and `offer` never blocks and never throws. A sink that
 * cannot keep up drops and counts (DESIGN.md §5: a slow or absent sink never blocks capture).
 */
import type { ExchangeRecord } from '../pipeline/record';
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
  /** Queues `record` for delivery, or counts it as dropped. Main thread; never blocks or throws. */
  offer(record: ExchangeRecord): void;
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
  /** Records handed to `deliver` at once. @default 512 */
  batchSize?: number;
}

/**
 * A bounded queue and a single delivery loop: at most one `deliver` call is in flight, so records
 * leave in the order they came. Subclasses say how a batch is delivered and whether they can
 * deliver now (`ready`); a subclass that was not ready calls `kick()` when it becomes ready.
 */
export abstract class QueuedSink implements Sink {
  abstract readonly name: string;
  protected sent = 0;
  protected dropped = 0;
  private readonly queue: BoundedQueue<ExchangeRecord>;
  private readonly batchSize: number;
  private pumping = false;
  private closing = false;
  private idleWaiters: Array<() => void> = [];

  constructor(options: QueuedSinkOptions) {
    this.queue = new BoundedQueue(options.queueSize);
    this.batchSize = options.batchSize ?? 512;
  }

  offer(record: ExchangeRecord): void {
    if (this.closing || !this.queue.push(record)) {
      this.dropped++;
      return;
    }
    this.kick();
  }

  stats(): SinkStats {
    return { sent: this.sent, dropped: this.dropped, queued: this.queue.length };
  }

  async close(timeoutMs = 2000): Promise<void> {
    this.closing = true;
    this.kick();
    if (this.pumping || (this.queue.length > 0 && this.ready())) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        new Promise<void>((resolve) => this.idleWaiters.push(resolve)),
        new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs))),
      ]);
      clearTimeout(timer);
    }
    this.dropped += this.queue.take(this.queue.length).length;
    await this.shutdown();
  }

  /** Starts the delivery loop if it is not running and there is work it can do. */
  protected kick(): void {
    if (this.pumping || this.queue.length === 0 || !this.ready()) {
      if (!this.pumping) this.notifyIdle();
      return;
    }
    this.pumping = true;
    // setImmediate: records offered in the same turn go out as one batch.
    setImmediate(() => void this.pump());
  }

  private async pump(): Promise<void> {
    try {
      while (this.queue.length > 0 && this.ready()) {
        const batch = this.queue.take(this.batchSize);
        try {
          const notDelivered = await this.deliver(batch);
          this.sent += batch.length - notDelivered.length;
          // Undelivered records keep their place; those that no longer fit are dropped.
          this.dropped += this.queue.unshift(notDelivered);
        } catch (err) {
          this.dropped += batch.length;
          this.onDeliveryError(err, batch.length);
        }
      }
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

  /** True when `deliver` can be called now (e.g. the socket is connected). */
  protected ready(): boolean {
    return true;
  }

  /**
   * Delivers `batch` in order. Resolves with the tail that was not delivered (to be retried when
   * ready again), or rejects: then the whole batch is counted as dropped.
   */
  protected abstract deliver(batch: ExchangeRecord[]): Promise<readonly ExchangeRecord[]>;

  /** Called when `deliver` rejected; the records are already counted as dropped. */
  protected abstract onDeliveryError(err: unknown, records: number): void;

  /** Releases sockets, files, exporters. Called once, after the final delivery attempt. */
  protected abstract shutdown(): Promise<void>;
}
