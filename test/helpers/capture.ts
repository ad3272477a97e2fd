/**
 * Collects what a Tracer captured, per connection and direction, through the same OrderedStream
 * the agent uses, so tests compare whole byte streams with what the programs sent.
 */
import { Tracer, type TracerOptions } from '../../agent/capture/tracer';
import type { CaptureEvent, ConnCloseEvent, ConnOpenEvent, DataEvent } from '../../agent/capture/events';
import { OrderedStream, type StreamPiece } from '../../agent/capture/ordered-stream';
import { materialize } from '../../agent/capture/decode';
import type { Direction } from '../../agent/capture/layout';

export interface CapturedStream {
  pieces: StreamPiece[];
  events: DataEvent[];
}

export class Capture {
  readonly tracer: Tracer;
  readonly opens = new Map<string, ConnOpenEvent>();
  readonly closes = new Map<string, ConnCloseEvent>();
  readonly events: CaptureEvent[] = [];
  private readonly streams = new Map<string, { ordered: OrderedStream; captured: CapturedStream }>();

  constructor(opts: TracerOptions = {}) {
    this.tracer = new Tracer(opts);
    this.tracer.on('batch', (events) => {
      for (const ev of events) this.add(ev);
    });
  }

  start(): this {
    this.tracer.start();
    return this;
  }

  /** Stops once; later calls return the same final stats. */
  stop() {
    return this.tracer.stop();
  }

  private add(ev: CaptureEvent): void {
    if (ev.kind === 'open') this.opens.set(ev.conn.key, ev);
    else if (ev.kind === 'close') this.closes.set(ev.conn.key, ev);
    else {
      // Data events are views of the batch buffer: keep copies.
      const copy = materialize(ev);
      const s = this.stream(ev.conn.key, ev.direction);
      s.captured.events.push(copy);
      s.ordered.push(copy.pos, copy.len, copy.payload);
      this.events.push(copy);
      return;
    }
    this.events.push(ev);
  }

  private stream(key: string, dir: Direction) {
    const k = `${key}/${dir}`;
    let s = this.streams.get(k);
    if (!s) {
      const captured: CapturedStream = { pieces: [], events: [] };
      s = { ordered: new OrderedStream({ piece: (p) => captured.pieces.push(p) }), captured };
      this.streams.set(k, s);
    }
    return s;
  }

  /** Connections (open events) of a process, in the order they were seen. */
  connsOf(pid: number): ConnOpenEvent[] {
    return [...this.opens.values()].filter((o) => o.conn.tgid === pid);
  }

  /** Data events of a process. */
  dataOf(pid: number): DataEvent[] {
    return this.events.filter((e): e is DataEvent => e.kind === 'data' && e.conn.tgid === pid);
  }

  /** The contiguous bytes captured so far for a connection and direction (holes throw). */
  bytes(connKey: string, dir: Direction): Buffer {
    const s = this.streams.get(`${connKey}/${dir}`);
    if (!s) return Buffer.alloc(0);
    const holes = s.captured.pieces.filter((p) => p.kind === 'hole');
    if (holes.length > 0) throw new Error(`${connKey}/${dir} has holes: ${JSON.stringify(holes)}`);
    return Buffer.concat(s.captured.pieces.map((p) => (p.kind === 'data' ? p.data : Buffer.alloc(0))));
  }

  /** Pieces (data and holes) of a connection and direction. */
  pieces(connKey: string, dir: Direction): StreamPiece[] {
    return this.streams.get(`${connKey}/${dir}`)?.captured.pieces ?? [];
  }

  /** Raw data events of a connection and direction, in arrival order. */
  dataEvents(connKey: string, dir: Direction): DataEvent[] {
    return this.streams.get(`${connKey}/${dir}`)?.captured.events ?? [];
  }

  /** Waits until `pred` holds, checking after each batch and every 50 ms. */
  async waitFor(what: string, pred: () => boolean, timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!pred()) {
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Waits until nothing new arrived for `quietMs` (the reader drains every 50 ms). */
  async settle(quietMs = 250): Promise<void> {
    let n = -1;
    while (n !== this.events.length) {
      n = this.events.length;
      await new Promise((r) => setTimeout(r, quietMs));
    }
  }
}
