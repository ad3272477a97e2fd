/**
 * One direction of one connection: start line, header section, body framing, as a state
 * machine fed in arbitrary chunks. Hand-written on purpose rather than built on llhttp or
 * node:http: a passive observer must take whatever bytes the capture saw, lost ranges and
 * mid-stream starts included, parse them leniently, resynchronise after a gap or an error, and
 * never throw — a server's parser rejects and closes instead, which is not an option here.
 *
 * After an error the direction drops the message whose head was bad, or ends as truncated the
 * message whose body framing broke, counts the error and resyncs.
 */
import { BlockScanner } from './block-scanner';
import { BodyCollector } from './body-collector';
import { contentCodings, decodeContent } from './body-decoding';
import { ChunkedDecoder } from './chunked';
import type { HttpParseErrorCode } from './error-codes';
import type { Framing } from './framing';
import type { HttpParserLimits } from './limits';
import { Resync } from './resync';
import { StartLineMatcher } from './start-line';
import type { HeaderFields } from './header-fields';
import type { HttpDirection } from './types';

/** A message whose body ended (or was given up). */
export interface ParsedMessage<H> {
  readonly head: H;
  readonly startNs: bigint;
  readonly endNs: bigint;
  readonly body: Buffer;
  readonly bodySize: number;
  readonly bodyTruncated: boolean;
  readonly contentDecoded: true | undefined;
  readonly trailers: HeaderFields | undefined;
  /** The connection closed or expired before the body's framing said it was complete. */
  readonly cut: boolean;
}

export interface MessageEvents<H> {
  /**
   * A head is complete. Returns its body framing, or an error code to drop the message.
   * `afterLoss`: bytes were skipped or lost since the previous head on this direction.
   */
  onHead(head: H, startNs: bigint, afterLoss: boolean): Framing | HttpParseErrorCode;
  onMessage(message: ParsedMessage<H>): void;
  onError(code: HttpParseErrorCode): void;
  onResync(): void;
}

const IDLE = 0;
const HEAD = 1;
const RESYNC = 2;
const BODY_LENGTH = 3;
const BODY_CHUNKED = 4;
const BODY_EOF = 5;
/** Waiting for the verdict on an Upgrade/CONNECT request: input is held, not parsed. */
const PAUSED = 6;
/** Tunnel, upgrade or stream end: input is ignored. */
const STOPPED = 7;

const CR = 0x0d;
const LF = 0x0a;

/** Finished at once, never added to: finishing it leaves it as it was (empty, size 0). */
const NO_BODY_COLLECTOR = new BodyCollector(0, 0);

interface Current<H> {
  readonly head: H;
  readonly startNs: bigint;
  endNs: bigint;
  readonly body: BodyCollector;
  readonly chunked: ChunkedDecoder | null;
  remaining: number;
}

interface Held {
  readonly buf: Buffer;
  readonly ts: bigint;
}

export class MessageParser<H extends { readonly headers: HeaderFields }> {
  private state = IDLE;
  private readonly scanner: BlockScanner;
  /** Made at the first resync: most connections never need one, and 10k idle ones add up. */
  private resyncState: Resync | null = null;
  private cur: Current<H> | null = null;
  private headStartNs = 0n;
  /** No head has been tried yet: junk before the first start line is a mid-stream start, not an error. */
  private pristine = true;
  private droppedHeadBytes = 0;
  private afterLoss = false;
  /** Input held while paused; null when none (most directions never pause: no array each). */
  private held: Held[] | null = null;
  private heldBytes = 0;
  /** Held input was dropped (over the bound, or bytes were lost): resume must resync. */
  private heldDropped = false;

  constructor(
    private readonly direction: HttpDirection,
    private readonly limits: HttpParserLimits,
    /** `fieldsAt`: BlockScanner.fieldsAt for this block. */
    private readonly parseHead: (block: Buffer, fieldsAt: number) => H | HttpParseErrorCode,
    private readonly events: MessageEvents<H>,
  ) {
    this.scanner = new BlockScanner(limits.maxHeaderBytes, limits.maxHeaders, new StartLineMatcher(direction));
  }

  private get resync(): Resync {
    return (this.resyncState ??= new Resync(this.direction, this.limits.maxHeaderBytes));
  }

  /** Bytes this direction holds: a partial head or line, a kept body, held input. */
  get bufferedBytes(): number {
    return (
      this.scanner.heldBytes +
      (this.resyncState?.heldBytes ?? 0) +
      this.heldBytes +
      (this.cur === null ? 0 : this.cur.body.keptBytes + (this.cur.chunked?.heldBytes ?? 0))
    );
  }

  /** Captured bytes that belonged to no message: dropped heads, bytes passed over by resyncs. */
  get skippedBytes(): number {
    return this.droppedHeadBytes + (this.resyncState?.skipped ?? 0);
  }

  push(buf: Buffer, ts: bigint): void {
    let i = 0;
    while (i < buf.length) {
      switch (this.state) {
        case IDLE:
          i = this.idle(buf, i, ts);
          break;
        case HEAD:
          i = this.headBytes(buf, i, ts);
          break;
        case RESYNC:
          i = this.resyncBytes(buf, i, ts);
          break;
        case BODY_LENGTH:
          i = this.lengthBytes(buf, i, ts);
          break;
        case BODY_CHUNKED:
          i = this.chunkedBytes(buf, i, ts);
          break;
        case BODY_EOF:
          (this.cur as Current<H>).body.add(buf, i, buf.length);
          (this.cur as Current<H>).endNs = ts;
          i = buf.length;
          break;
        case PAUSED:
          this.hold(buf, i, ts);
          i = buf.length;
          break;
        default:
          i = buf.length;
      }
    }
  }

  /**
   * `len` bytes of this direction were lost or not captured. Inside a body of known length (or
   * inside one chunk's data) framing survives and the body gets a hole; elsewhere, resync.
   */
  gap(len: number): void {
    const cur = this.cur;
    switch (this.state) {
      case IDLE:
      case HEAD:
        this.droppedHeadBytes += this.scanner.heldBytes;
        this.scanner.release();
        this.enterResync();
        return;
      case RESYNC:
        this.resync.breakLine();
        this.afterLoss = true;
        return;
      case BODY_LENGTH: {
        const c = cur as Current<H>;
        const inBody = Math.min(len, c.remaining);
        c.body.addHole(inBody);
        c.remaining -= inBody;
        if (c.remaining === 0) this.finish(false);
        if (len > inBody) this.enterResync();
        return;
      }
      case BODY_CHUNKED: {
        const c = cur as Current<H>;
        if ((c.chunked as ChunkedDecoder).skip(len)) {
          c.body.addHole(len);
          return;
        }
        c.body.addHole(0);
        this.finish(false);
        this.enterResync();
        return;
      }
      case BODY_EOF:
        (cur as Current<H>).body.addHole(len);
        return;
      case PAUSED:
        // What follows a loss needs a resync anyway: drop what is held, resync on resume.
        this.dropHeld();
        return;
      default:
    }
  }

  /**
   * The stream ended. A body delimited by the close ends here normally; on a timeout, or for
   * a body whose framing wanted more, the message is emitted cut. A partial head is dropped.
   */
  end(reason: 'closed' | 'timeout'): void {
    switch (this.state) {
      case BODY_LENGTH:
      case BODY_CHUNKED:
        this.finish(true);
        break;
      case BODY_EOF:
        this.finish(reason === 'timeout');
        break;
      case RESYNC:
        this.resync.end();
        break;
      case HEAD:
        this.droppedHeadBytes += this.scanner.heldBytes;
        break;
      default:
    }
    this.halt();
  }

  /** Holds input until `resume` (an Upgrade/CONNECT request awaits its response). */
  pause(): void {
    if (this.state === IDLE) this.state = PAUSED;
  }

  /** The request was not upgraded: parse what was held, then go on. */
  resume(): void {
    if (this.state !== PAUSED) return;
    const items = this.held ?? [];
    const overflow = this.heldDropped;
    this.held = null;
    this.heldBytes = 0;
    this.heldDropped = false;
    this.state = IDLE;
    if (overflow) this.enterResync();
    for (const item of items) {
      if (this.state !== PAUSED) this.push(item.buf, item.ts);
      // Paused again by a held Upgrade/CONNECT request: the rest stays held, in order.
      else if (this.admit(item.buf.length)) (this.held ??= []).push(item);
    }
  }

  /**
   * The connection switched protocols: the rest of this direction is not HTTP. A message still
   * in its body ends there, truncated.
   */
  stop(): void {
    if (this.state === BODY_LENGTH || this.state === BODY_CHUNKED || this.state === BODY_EOF) {
      (this.cur as Current<H>).body.addHole(0);
      this.finish(false);
    }
    this.halt();
  }

  /** Drops all state and searches for the next start line (after a fault). */
  reset(): void {
    this.cur = null;
    this.held = null;
    this.heldBytes = 0;
    this.heldDropped = false;
    this.scanner.release();
    this.enterResync();
  }

  private halt(): void {
    this.state = STOPPED;
    this.cur = null;
    this.held = null;
    this.heldBytes = 0;
    this.heldDropped = false;
    this.scanner.release();
  }

  private idle(buf: Buffer, i: number, ts: bigint): number {
    // Empty lines between messages are tolerated (RFC 9112 §2.2: old clients add CRLF after a body).
    while (i < buf.length && (buf[i] === CR || buf[i] === LF)) i++;
    if (i < buf.length) {
      this.scanner.begin();
      this.headStartNs = ts;
      this.state = HEAD;
    }
    return i;
  }

  private headBytes(buf: Buffer, i: number, ts: bigint): number {
    const p = this.scanner.feed(buf, i);
    const status = this.scanner.status;
    if (status === 'more') return p;
    if (status !== 'done') {
      this.droppedHeadBytes += this.scanner.droppedBytes;
      this.headFailed(status);
      return p;
    }
    const block = this.scanner.block;
    const head = this.parseHead(block, this.scanner.fieldsAt);
    this.scanner.release();
    if (typeof head === 'string') {
      this.droppedHeadBytes += block.length;
      this.headFailed(head);
      return p;
    }
    this.pristine = false;
    const afterLoss = this.afterLoss;
    this.afterLoss = false;
    const framing = this.events.onHead(head, this.headStartNs, afterLoss);
    if (typeof framing === 'string') {
      this.droppedHeadBytes += block.length;
      this.events.onError(framing);
      this.enterResync();
      return p;
    }
    this.startBody(head, framing, ts);
    return p;
  }

  private headFailed(code: HttpParseErrorCode): void {
    // A stream that starts with something other than a start line was joined mid-stream
    // (capture started on a live connection): expected, so it is a resync, not an error.
    if (!(this.pristine && code === 'bad_start_line')) this.events.onError(code);
    this.pristine = false;
    this.enterResync();
  }

  private startBody(head: H, framing: Framing, ts: bigint): void {
    const length = framing.kind === 'length' ? framing.length : -1;
    const startNs = this.headStartNs;
    // The message has it now; a BigInt kept per idle direction is memory (10,000-connection target).
    this.headStartNs = 0n;
    this.cur = {
      head,
      startNs,
      endNs: ts,
      // A message without a body (most requests) shares one collector nothing is ever added to.
      body: framing.kind === 'none' || framing.kind === 'tunnel' ? NO_BODY_COLLECTOR : new BodyCollector(this.limits.maxBodyBytes, length),
      chunked: framing.kind === 'chunked' ? new ChunkedDecoder(this.limits) : null,
      remaining: length,
    };
    switch (framing.kind) {
      case 'length':
        this.state = BODY_LENGTH;
        return;
      case 'chunked':
        this.state = BODY_CHUNKED;
        return;
      case 'eof':
        this.state = BODY_EOF;
        return;
      case 'tunnel':
        this.finish(false);
        this.halt();
        return;
      default:
        this.finish(false);
    }
  }

  private resyncBytes(buf: Buffer, i: number, ts: bigint): number {
    const p = this.resync.feed(buf, i, ts);
    const line = this.resync.found;
    if (line !== null) {
      this.scanner.beginAfterLine(line);
      this.headStartNs = this.resync.foundNs;
      this.resync.begin();
      this.state = HEAD;
    }
    return p;
  }

  private lengthBytes(buf: Buffer, i: number, ts: bigint): number {
    const c = this.cur as Current<H>;
    const n = Math.min(c.remaining, buf.length - i);
    c.body.add(buf, i, i + n);
    c.remaining -= n;
    c.endNs = ts;
    if (c.remaining === 0) this.finish(false);
    return i + n;
  }

  private chunkedBytes(buf: Buffer, i: number, ts: bigint): number {
    const c = this.cur as Current<H>;
    const decoder = c.chunked as ChunkedDecoder;
    const p = decoder.feed(buf, i, c.body);
    if (p > i) c.endNs = ts;
    const status = decoder.status;
    if (status === 'done') {
      this.finish(false);
    } else if (status !== 'more') {
      this.events.onError(status);
      c.body.addHole(0);
      this.finish(false);
      this.enterResync();
    }
    return p;
  }

  private enterResync(): void {
    this.state = RESYNC;
    this.resync.begin();
    this.afterLoss = true;
    this.events.onResync();
  }

  /** Ends the current message and reports it; `cut`: by close/expire. */
  private finish(cut: boolean): void {
    const c = this.cur as Current<H>;
    this.cur = null;
    this.state = IDLE;
    const collected = c.body.finish();
    let body = collected.body;
    let bodySize = collected.size;
    let bodyTruncated = collected.truncated || cut;
    let contentDecoded: true | undefined;
    if (this.limits.decode && !bodyTruncated && bodySize > 0) {
      const codings = contentCodings(c.head.headers);
      if (codings !== null) {
        const decoded = decodeContent(body, codings, this.limits.maxDecodedBytes);
        if (decoded.ok) {
          const max = this.limits.maxBodyBytes;
          bodySize = decoded.data.length;
          bodyTruncated = bodySize > max;
          // Copy the kept part: a view would pin the whole decoded buffer (up to maxDecodedBytes).
          body = bodyTruncated ? Buffer.from(decoded.data.subarray(0, max)) : decoded.data;
          contentDecoded = true;
        } else {
          this.events.onError(decoded.code);
        }
      }
    }
    const trailers = c.chunked?.trailers;
    this.events.onMessage({ head: c.head, startNs: c.startNs, endNs: c.endNs, body, bodySize, bodyTruncated, contentDecoded, trailers, cut });
  }

  private hold(buf: Buffer, from: number, ts: bigint): void {
    if (this.admit(buf.length - from)) (this.held ??= []).push({ buf: Buffer.from(buf.subarray(from)), ts });
  }

  /**
   * Held input is bounded like a head: a client that sends more than that before the verdict
   * has switched protocols already or is not HTTP. If the verdict is "declined" after all, the
   * held bytes become a lost range and the direction resyncs.
   */
  private admit(n: number): boolean {
    if (this.heldDropped) return false;
    if (this.heldBytes + n > this.limits.maxHeaderBytes) {
      this.dropHeld();
      return false;
    }
    this.heldBytes += n;
    return true;
  }

  private dropHeld(): void {
    this.held = null;
    this.heldBytes = 0;
    this.heldDropped = true;
  }
}
