/**
 * A sink that writes lines to a stream (the unix socket, stdout): each record is encoded the
 * moment it is offered, and what waits for delivery is bytes, not record objects.
 *
 * Why at offer time: a record object queued until the next turn lives through garbage
 * collections, and at tens of thousands of exchanges a second the young generation then copies
 * and promotes every one of them (with its header strings and bodies) before it is written and
 * dropped. Encoded at once, the record dies young, and the backlog is one buffer the collector
 * never looks into. Lines are whole by construction: a delivery is one write of whole lines.
 *
 * Two buffers: one fills while the other is being written; at most one write is in flight.
 */
import type { ExchangeRecord } from '../pipeline/record';
import { JsonLineWriter, type BodyBytes } from '../pipeline/record-json';
import { DEFAULT_QUEUE_BYTES, DeliveryLoop } from './sink';

export interface LineSinkOptions {
  /** Lines held while the destination is slow or away (`uds_event_queue_size`). */
  queueSize: number;
  /** Bytes those lines may take, whatever their number. @default DEFAULT_QUEUE_BYTES */
  queueBytes?: number;
  /** A record as one line of text (no newline); default the JSON exchange record. */
  format?: (record: ExchangeRecord) => string;
}

/** A buffer that grew beyond this while a destination was away is released once written. */
const KEEP_BYTES = 4 << 20;

export abstract class LineSink extends DeliveryLoop {
  private filling = new JsonLineWriter();
  private writing = new JsonLineWriter();
  /** Lines in `filling`. */
  private lines = 0;
  private readonly queueSize: number;
  private readonly queueBytes: number;
  private readonly format: ((record: ExchangeRecord) => string) | undefined;

  constructor(options: LineSinkOptions) {
    super();
    if (!Number.isInteger(options.queueSize) || options.queueSize < 1) {
      throw new RangeError(`queue size must be a whole number >= 1, got ${options.queueSize}`);
    }
    this.queueSize = options.queueSize;
    this.queueBytes = options.queueBytes ?? DEFAULT_QUEUE_BYTES;
    this.format = options.format;
  }

  offer(record: ExchangeRecord, bytes?: BodyBytes): void {
    if (this.closing || this.lines >= this.queueSize) {
      this.dropped++;
      return;
    }
    const w = this.filling;
    const before = w.length;
    try {
      if (this.format === undefined) w.line(record, bytes);
      else w.text(`${this.format(record)}\n`);
    } catch {
      // offer never throws (Sink contract): a record the formatter cannot read costs only itself.
      w.length = before;
      this.dropped++;
      return;
    }
    if (!this.admits(w.length - before, before)) {
      w.length = before;
      this.dropped++;
      return;
    }
    this.lines++;
    this.kick();
  }

  /** The sink writes the JSON exchange record (no `format`): lines made elsewhere are its lines. */
  get takesJsonLines(): boolean {
    return this.format === undefined;
  }

  /**
   * `count` whole JSON lines, each ending in a newline, written by the addon's fast path: queued
   * under the same bounds as offered records (a line that does not fit is dropped and counted).
   */
  offerLines(lines: Buffer, count: number): void {
    if (this.closing) {
      this.dropped += count;
      return;
    }
    const w = this.filling;
    // The usual case: all of them fit.
    if (this.lines + count <= this.queueSize && w.length + lines.length <= this.queueBytes) {
      w.raw(lines);
      this.lines += count;
      this.kick();
      return;
    }
    for (let from = 0, k = 0; k < count; k++) {
      const end = lines.indexOf(0x0a, from) + 1;
      if (end === 0) {
        // Fewer lines than counted: the rest cannot be delivered whole.
        this.dropped += count - k;
        break;
      }
      if (!this.admits(end - from, w.length)) {
        this.dropped++;
      } else {
        w.raw(lines, from, end);
        this.lines++;
      }
      from = end;
    }
    this.kick();
  }

  /**
   * Whether a line of `lineBytes` joins `heldBytes` already waiting: the one rule for `offer` and
   * `offerLines`. An empty backlog takes any line, so one larger than the budget is still delivered.
   */
  private admits(lineBytes: number, heldBytes: number): boolean {
    return this.lines < this.queueSize && (this.lines === 0 || heldBytes + lineBytes <= this.queueBytes);
  }

  protected held(): number {
    return this.lines;
  }

  protected dropHeld(): number {
    const n = this.lines;
    this.lines = 0;
    this.filling.reset(KEEP_BYTES);
    return n;
  }

  protected async deliverNext(): Promise<void> {
    const batch = this.filling;
    const n = this.lines;
    this.filling = this.writing;
    this.filling.reset(KEEP_BYTES);
    this.writing = batch;
    this.lines = 0;
    try {
      await this.write(batch.bytes());
      this.sent += n;
    } catch (err) {
      this.dropped += n;
      this.onDeliveryError(err, n);
    }
  }

  /**
   * Writes `chunk` (whole lines) and resolves once the destination took it, or rejects: then its
   * lines are counted as dropped, not retried (the peer may have read part of them). The chunk is
   * a view that stays valid until the returned promise settles.
   */
  protected abstract write(chunk: Buffer): Promise<void>;
}
