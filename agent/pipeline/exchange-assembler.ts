/**
 * From capture events to exchange records. Per connection: the open event (who and where), one
 * OrderedStream per direction (slices in stream order, losses as holes of known size) feeding one
 * HttpConnectionParser, whose exchanges become records of DESIGN.md §3.
 *
 *   const asm = new ExchangeAssembler({ clock: tracer.clock }, (rec) => sink.write(rec));
 *   tracer.on('batch', (events) => { for (const ev of events) asm.add(ev); });
 *   setInterval(() => asm.expire(process.hrtime.bigint()), 10_000);
 */
import type { MonotonicClock } from '../capture/clock';
import type { CaptureEvent, ConnCloseEvent, ConnOpenEvent, DataEvent } from '../capture/events';
import type { Direction } from '../capture/layout';
import { OrderedStream, type PieceReceiver, type StreamPiece } from '../capture/ordered-stream';
import { DEFAULT_REDACT_HEADERS } from '../config/schema';
import { HttpConnectionParser, resolveHttpParserOptions, type HttpDirection, type HttpExchange, type HttpExchangeSink, type HttpParserLimits } from '../http';
import { RecordBuilder, type ConnectionInfo, type ExchangeRecord, type ProcessLabels, type RecordDirection } from './record';
import { classifyStart, type StreamStart } from './role-inference';

export interface ExchangeAssemblerOptions {
  /** Turns kernel (CLOCK_MONOTONIC) timestamps into the record's wall-clock `ts`. */
  clock: MonotonicClock;
  /** Body bytes kept per message. @default 65536 */
  maxBodyBytes?: number;
  /** Header names whose values become `[REDACTED]`, case-insensitive. @default DEFAULT_REDACT_HEADERS */
  redactHeaders?: readonly string[];
  /** Which exchanges to emit: the traced process as server (ingress), as client (egress), or both. @default 'all' */
  mode?: 'ingress' | 'egress' | 'all';
  /** A connection without events for this long is given up by `expire()`. @default 300000 */
  idleTimeoutMs?: number;
  /** Decode gzip/deflate/br bodies (then `content_decoded: true`). @default false */
  decodeContent?: boolean;
  /**
   * Keep only connections on these ports: the local port of a connection the process served
   * (ingress), the remote port of one it opened (egress), as `socktap run --port`. @default every port
   */
  ports?: readonly number[];
  /**
   * Per process (Kubernetes: per pod), asked once per connection with the process's pid and
   * cgroup id: the mode to apply instead of `mode`, and the labels records carry. Undefined:
   * `mode`, no labels.
   */
  processPolicy?: (pid: number, cgroupId: bigint) => { readonly mode: 'ingress' | 'egress' | 'all'; readonly labels: Readonly<ProcessLabels> } | undefined;
}

export interface ExchangeAssemblerStats {
  /** Records emitted. */
  exchanges: number;
  requestParseErrors: number;
  responseParseErrors: number;
  /** Connections seen (open events). */
  connections: number;
  /** Connections not parsed because their direction is excluded by `mode`. */
  droppedByMode: number;
  /** Connections not parsed because their port is not among `ports`. */
  droppedByPort: number;
  /** Connections of unknown role whose first bytes showed neither a request nor a response. */
  undecided: number;
  /** Connections given up by `expire()`. */
  expired: number;
  /** Data events of connections never opened (or already closed): dropped. */
  orphanEvents: number;
  /** Times a direction skipped bytes to find the next message (after a hole or an error). */
  resyncs: number;
  /** Exceptions thrown by the onRecord callback (the record is lost; parsing goes on). */
  sinkErrors: number;
}

/** Shared by every connection whose direction's first bytes are not being held (never written to). */
const EMPTY = Buffer.alloc(0);

/** Bytes of a connection of unknown role held while its request side is not yet known. */
const MAX_UNDECIDED_BYTES = 64 * 1024;
const DEFAULT_IDLE_TIMEOUT_MS = 300_000;

interface HeldTime {
  readonly pos: number;
  readonly end: number;
  readonly tsNs: bigint;
}

interface Pending {
  dir: Direction;
  piece: StreamPiece;
  tsNs: bigint;
}

/** Role inference of a connection of role 'unknown': pieces in arrival order and each direction's first bytes. */
interface Inference {
  pending: Pending[];
  pendingBytes: number;
  readonly heads: Record<Direction, Buffer>;
  readonly starts: Record<Direction, StreamStart>;
}

/** What every connection's parser reports to: one per assembler, shared by its connections. */
interface AssemblerOutput {
  piece(c: Conn, dir: Direction, p: StreamPiece): void;
  exchange(ex: HttpExchange, info: ConnectionInfo): void;
  parseError(side: HttpDirection): void;
  resync(): void;
}

/**
 * One tracked connection. It is its parser's sink and its streams' receiver itself (methods,
 * not closures), and what only some connections need is made when they need it: 10,000 idle
 * keep-alive connections are the memory target, and per-connection closures were ~1 KB each.
 */
class Conn implements HttpExchangeSink, PieceReceiver {
  lastNs: bigint;
  readonly streams: Record<Direction, OrderedStream>;
  /**
   * Timestamps of the slices held out of order, by position; null until a slice is held. A slice
   * delivered in order takes the event's own timestamp (`lastNs`), so in-order traffic needs none.
   */
  times: Record<Direction, HeldTime[]> | null = null;
  /** Who and where, until the request side is decided (then `info` carries what records need). */
  open: ConnOpenEvent | null;
  /** Set once known which direction carries requests; null while the role is being inferred. */
  requestSide: Direction | null = null;
  parser: HttpConnectionParser | null = null;
  /** Excluded by mode, or undecidable: events are ignored until the close. */
  ignored = false;
  /** Its data is TLS plaintext from the SSL probes (every record of the connection says so). */
  tls = false;
  /** What records of this connection carry; set when the request side is decided. */
  info: ConnectionInfo | null = null;
  /** Only while the role is being inferred (role 'unknown'); null otherwise. */
  infer: Inference | null = null;

  constructor(
    open: ConnOpenEvent,
    private readonly out: AssemblerOutput,
  ) {
    this.open = open;
    this.lastNs = open.tsNs;
    this.streams = { ingress: new OrderedStream(this), egress: new OrderedStream(this) };
  }

  piece(p: StreamPiece, from: OrderedStream): void {
    this.out.piece(this, from === this.streams.ingress ? 'ingress' : 'egress', p);
  }

  onExchange(ex: HttpExchange): void {
    this.out.exchange(ex, this.info as ConnectionInfo);
  }

  onError(side: HttpDirection): void {
    this.out.parseError(side);
  }

  onResync(): void {
    this.out.resync();
  }
}

export class ExchangeAssembler {
  private readonly conns = new Map<string, Conn>();
  private readonly builder: RecordBuilder;
  private readonly mode: 'ingress' | 'egress' | 'all';
  private readonly idleTimeoutNs: bigint;
  private readonly maxBodyBytes: number;
  private readonly decodeContent: boolean;
  private readonly ports: ReadonlySet<number> | null;
  private readonly processPolicy: ExchangeAssemblerOptions['processPolicy'];
  /** Resolved once: every connection's parser shares it. */
  private readonly parserLimits: HttpParserLimits;
  private readonly output: AssemblerOutput = {
    piece: (c, dir, p) => this.piece(c, dir, p),
    exchange: (ex, info) => this.emit(this.builder.build(ex, info), ex),
    parseError: (side) => {
      if (side === 'request') this.counts.requestParseErrors++;
      else this.counts.responseParseErrors++;
    },
    resync: () => this.counts.resyncs++,
  };
  private readonly counts: ExchangeAssemblerStats = {
    exchanges: 0,
    requestParseErrors: 0,
    responseParseErrors: 0,
    connections: 0,
    droppedByMode: 0,
    droppedByPort: 0,
    undecided: 0,
    expired: 0,
    orphanEvents: 0,
    resyncs: 0,
    sinkErrors: 0,
  };

  constructor(
    opts: ExchangeAssemblerOptions,
    /** `ex`: the parsed exchange the record was built from, valid during the call (for `Sink.offer`). */
    private readonly onRecord: (rec: ExchangeRecord, ex: HttpExchange) => void,
  ) {
    this.builder = new RecordBuilder(opts.clock, opts.redactHeaders ?? DEFAULT_REDACT_HEADERS);
    this.mode = opts.mode ?? 'all';
    this.idleTimeoutNs = BigInt(Math.round((opts.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS) * 1e6));
    this.maxBodyBytes = opts.maxBodyBytes ?? 65536;
    this.decodeContent = opts.decodeContent ?? false;
    this.ports = opts.ports && opts.ports.length > 0 ? new Set(opts.ports) : null;
    this.processPolicy = opts.processPolicy;
    this.parserLimits = resolveHttpParserOptions({ maxBodyBytes: this.maxBodyBytes, decode: this.decodeContent });
  }

  get stats(): ExchangeAssemblerStats {
    return { ...this.counts };
  }

  /** After how long without events `expire()` gives a connection up. */
  get idleTimeout(): bigint {
    return this.idleTimeoutNs;
  }

  /** Connections tracked right now. */
  get openConnections(): number {
    return this.conns.size;
  }

  /** Data events are used during the call only (payloads copied where kept), so batch views are fine. */
  add(ev: CaptureEvent): void {
    if (ev.kind === 'data') this.data(ev);
    else if (ev.kind === 'open') this.opened(ev);
    else this.closed(ev);
  }

  /** Gives up connections idle for longer than idleTimeoutMs: pending requests become `incomplete: 'timeout'`. */
  expire(nowNs: bigint): void {
    for (const [key, c] of this.conns) {
      if (nowNs - c.lastNs < this.idleTimeoutNs) continue;
      this.conns.delete(key);
      this.counts.expired++;
      // Held out-of-order slices will not be completed now: deliver them after their holes.
      c.streams.ingress.flush();
      c.streams.egress.flush();
      c.parser?.expire(nowNs);
    }
  }

  private opened(ev: ConnOpenEvent): void {
    const old = this.conns.get(ev.conn.key);
    if (old) {
      // A second open for one key means its close was missed: end the old one here.
      this.conns.delete(ev.conn.key);
      old.parser?.close(ev.tsNs);
    }
    const c = new Conn(ev, this.output);
    this.conns.set(ev.conn.key, c);
    if (ev.resumeAt !== undefined) {
      // Handed over by the fast path, which counted the connection: parsing starts at a message
      // boundary on each stream, past the exchanges it already wrote.
      c.streams.ingress.next = ev.resumeAt.ingress;
      c.streams.egress.next = ev.resumeAt.egress;
    } else {
      this.counts.connections++;
    }
    // A server receives requests (ingress); a client sends them (egress).
    if (ev.role === 'server') this.decide(c, 'ingress');
    else if (ev.role === 'client') this.decide(c, 'egress');
    else c.infer = { pending: [], pendingBytes: 0, heads: { ingress: EMPTY, egress: EMPTY }, starts: { ingress: 'undecided', egress: 'undecided' } };
  }

  private data(ev: DataEvent): void {
    const c = this.conns.get(ev.conn.key);
    if (!c) {
      this.counts.orphanEvents++;
      return;
    }
    // Read once: each read of a batch view's timestamp makes a BigInt.
    const tsNs = ev.tsNs;
    c.lastNs = tsNs;
    if (c.ignored) return;
    if (ev.tls && !c.tls) {
      c.tls = true;
      if (c.info) c.info.tls = true;
    }
    const stream = c.streams[ev.direction];
    const end = ev.pos + ev.len;
    if (end <= stream.next) return; // already delivered (overlap of a retransmitted range)
    if (ev.pos > stream.next) {
      // Held by OrderedStream past this call: its timestamp goes with it, and a copy of the view.
      insertTime((c.times ??= { ingress: [], egress: [] })[ev.direction], ev.pos, end, tsNs);
      stream.push(ev.pos, ev.len, Buffer.from(ev.payload));
    } else {
      // A length-only event (sendfile) has no bytes: no view of the batch is made for it.
      stream.push(ev.pos, ev.len, ev.noPayload ? EMPTY : ev.payload);
    }
  }

  private closed(ev: ConnCloseEvent): void {
    const c = this.conns.get(ev.conn.key);
    if (!c) return;
    c.lastNs = ev.tsNs;
    if (!c.ignored) {
      c.streams.ingress.end(Number(ev.ingressBytes));
      c.streams.egress.end(Number(ev.egressBytes));
      if (c.requestSide === null && !c.ignored) this.inferRole(c, true);
      c.parser?.close(ev.tsNs);
    }
    this.conns.delete(ev.conn.key);
  }

  /**
   * One in-order piece of a direction, with the timestamp of the slice it came from: a held
   * slice's own, else the event being added (or the close / expiry that flushed the stream).
   */
  private piece(c: Conn, dir: Direction, p: StreamPiece): void {
    if (c.ignored) return;
    const tsNs = (c.times !== null ? heldTimeAt(c.times[dir], p.pos) : undefined) ?? c.lastNs;
    if (c.requestSide === null) {
      this.hold(c, dir, p, tsNs);
      return;
    }
    this.feed(c, dir, p, tsNs);
  }

  private feed(c: Conn, dir: Direction, p: StreamPiece, tsNs: bigint): void {
    const parser = c.parser;
    if (!parser) return;
    const side: HttpDirection = dir === c.requestSide ? 'request' : 'response';
    if (p.kind === 'hole') parser.gap(side, p.len);
    else if (side === 'request') parser.pushRequestBytes(p.data, tsNs);
    else parser.pushResponseBytes(p.data, tsNs);
  }

  /** Role unknown: keep the piece (copied: it may be a batch view) and judge the direction's first bytes. */
  private hold(c: Conn, dir: Direction, p: StreamPiece, tsNs: bigint): void {
    const inf = c.infer as Inference;
    const kept: StreamPiece = p.kind === 'data' ? { kind: 'data', pos: p.pos, data: Buffer.from(p.data) } : p;
    inf.pending.push({ dir, piece: kept, tsNs });
    if (inf.starts[dir] === 'undecided') {
      if (p.kind === 'hole') {
        // The direction's start (or the rest of it) was lost: it cannot be judged from its start.
        inf.starts[dir] = 'other';
      } else {
        inf.heads[dir] = Buffer.concat([inf.heads[dir], p.data]);
        inf.starts[dir] = classifyStart(inf.heads[dir]);
      }
      if (inf.starts[dir] !== 'undecided') inf.heads[dir] = EMPTY;
    }
    if (p.kind === 'data') inf.pendingBytes += p.data.length;
    this.inferRole(c, inf.pendingBytes > MAX_UNDECIDED_BYTES);
  }

  /** Decides the request side from either direction's start; `final`: no more bytes will help. */
  private inferRole(c: Conn, final: boolean): void {
    const inf = c.infer;
    if (inf === null) return;
    const { ingress, egress } = inf.starts;
    let requestSide: Direction | null = null;
    if (ingress === 'request' || egress === 'response') requestSide = 'ingress';
    else if (egress === 'request' || ingress === 'response') requestSide = 'egress';
    if (requestSide === null) {
      if (!final && (ingress === 'undecided' || egress === 'undecided')) return;
      if (inf.pending.length > 0) this.counts.undecided++;
      this.ignore(c);
      return;
    }
    const pending = mergeByTime(inf.pending);
    c.infer = null;
    this.decide(c, requestSide);
    for (const p of pending) this.feed(c, p.dir, p.piece, p.tsNs);
  }

  /** The request side is known: apply the mode and start parsing. */
  private decide(c: Conn, requestSide: Direction): void {
    c.requestSide = requestSide;
    // Requests arriving at the traced process make it the server: its exchanges are ingress.
    const direction: RecordDirection = requestSide;
    const o = c.open!;
    c.open = null;
    const policy = this.processPolicy?.(o.conn.tgid, o.cgroupId);
    const mode = policy?.mode ?? this.mode;
    if (mode !== 'all' && mode !== direction) {
      this.counts.droppedByMode++;
      this.ignore(c);
      return;
    }
    if (this.ports !== null && !this.ports.has(direction === 'ingress' ? o.local.port : o.remote.port)) {
      this.counts.droppedByPort++;
      this.ignore(c);
      return;
    }
    const info: ConnectionInfo = {
      id: o.conn.key,
      pid: o.conn.tgid,
      comm: o.comm,
      local: o.local,
      remote: o.remote,
      direction,
      tls: c.tls,
      labels: policy?.labels,
      process: undefined,
      connection: undefined,
    };
    c.info = info;
    c.parser = new HttpConnectionParser(this.parserLimits, c);
  }

  private ignore(c: Conn): void {
    c.ignored = true;
    c.open = null;
    c.infer = null;
    c.parser = null;
    c.times = null;
  }

  private emit(rec: ExchangeRecord, ex: HttpExchange): void {
    this.counts.exchanges++;
    try {
      this.onRecord(rec, ex);
    } catch (err) {
      // The parser would count a throw as its own internal error and reset: keep it out of there.
      this.counts.sinkErrors++;
      process.emitWarning(`socktap: the exchange record callback threw: ${(err as Error).message}`);
    }
  }
}

/** Inserts a held slice's time by position; the scan from the end is short (slices arrive almost in order). */
function insertTime(times: HeldTime[], pos: number, end: number, tsNs: bigint): void {
  let i = times.length;
  while (i > 0 && times[i - 1].pos > pos) i--;
  // push when it goes last, as splice() allocates an array for its result.
  if (i === times.length) times.push({ pos, end, tsNs });
  else times.splice(i, 0, { pos, end, tsNs });
}

/**
 * The timestamp of the held slice covering `pos`, if one does. Entries ending at or before it
 * are done with (delivery only moves forward); once none is left, `length = 0` gives the
 * array's backing store back (V8 keeps the capacity through shift()).
 */
function heldTimeAt(times: HeldTime[], pos: number): bigint | undefined {
  if (times.length === 0) return undefined;
  while (times.length > 0 && times[0].end <= pos) times.shift();
  if (times.length === 0) {
    times.length = 0;
    return undefined;
  }
  return times[0].pos <= pos ? times[0].tsNs : undefined;
}

/**
 * The held pieces in capture-time order across the two directions, each direction kept in
 * stream order: slices of the two directions can come from different CPUs' buffers, and a
 * response replayed before the request it answers would be orphaned.
 */
function mergeByTime(pending: Pending[]): Pending[] {
  const a = pending.filter((p) => p.dir === 'ingress');
  const b = pending.filter((p) => p.dir === 'egress');
  const out: Pending[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (j >= b.length || (i < a.length && a[i].tsNs <= b[j].tsNs)) out.push(a[i++]);
    else out.push(b[j++]);
  }
  return out;
}
