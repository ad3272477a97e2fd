/**
 * The chunked transfer coding (RFC 9112 §7.1), decoded incrementally:
 *   chunk-size [BWS] *( ";" chunk-ext ) CRLF, chunk-data CRLF, ..., "0" CRLF, trailer-section CRLF.
 * Extensions are skipped (nothing uses them, and they are where smuggling tricks hide); bare LF
 * is accepted as a line end. Trailer fields are returned separately, never merged into the head.
 */
import { BlockScanner } from './block-scanner';
import type { HttpParseErrorCode } from './error-codes';
import { HeaderFields } from './header-fields';
import { MAX_CHUNK_SIZE_HEX_DIGITS, MAX_CHUNK_SIZE_LINE_BYTES, type HttpParserLimits } from './limits';

const CR = 0x0d;
const LF = 0x0a;

const SIZE = 0;
const EXT = 1;
const SIZE_LF = 2;
const DATA = 3;
const DATA_CR = 4;
const DATA_LF = 5;
const TRAILERS = 6;

function hexValue(b: number): number {
  if (b >= 0x30 && b <= 0x39) return b - 0x30;
  const l = b | 0x20;
  if (l >= 0x61 && l <= 0x66) return l - 0x61 + 10;
  return -1;
}

export type ChunkedStatus = 'more' | 'done' | HttpParseErrorCode;

/** Where chunk data goes (the message's BodyCollector): an object, not a callback, so no closure per parser. */
export interface ChunkDataSink {
  add(buf: Buffer, start: number, end: number): void;
}

export class ChunkedDecoder {
  status: ChunkedStatus = 'more';
  /** Trailer fields, when the trailer section had any. */
  trailers: HeaderFields | undefined;
  private state = SIZE;
  private size = 0;
  private digits = 0;
  private lineBytes = 0;
  private remaining = 0;
  private readonly trailerScanner: BlockScanner;

  constructor(limits: HttpParserLimits) {
    this.trailerScanner = new BlockScanner(limits.maxHeaderBytes, limits.maxHeaders, null);
  }

  /** Bytes held across chunks (a partial trailer section). */
  get heldBytes(): number {
    return this.trailerScanner.heldBytes;
  }

  /**
   * Decodes from `from`, handing chunk data to `out.add` as ranges of `buf`. Returns the index
   * after the last byte consumed: after the body ('done'), at an error (an error code), or
   * `buf.length` ('more').
   */
  feed(buf: Buffer, from: number, out: ChunkDataSink): number {
    let i = from;
    while (i < buf.length) {
      if (this.state === DATA) {
        const n = Math.min(this.remaining, buf.length - i);
        out.add(buf, i, i + n);
        this.remaining -= n;
        i += n;
        if (this.remaining === 0) this.state = DATA_CR;
        continue;
      }
      if (this.state === TRAILERS) {
        i = this.trailerScanner.feed(buf, i);
        const s = this.trailerScanner.status;
        if (s === 'more') return i;
        if (s === 'done') {
          const parsed = HeaderFields.parse(this.trailerScanner.block, 0);
          this.trailerScanner.release();
          if (typeof parsed === 'string') return this.fail(parsed, i);
          if (parsed.length > 0) this.trailers = parsed;
          this.status = 'done';
          return i;
        }
        return this.fail(s, i);
      }
      const err = this.lineByte(buf[i]);
      if (err !== null) return this.fail(err, i);
      i++;
    }
    return i;
  }

  /**
   * `len` bytes were lost. Inside chunk data that ends no later than the lost range, framing
   * survives (the caller records a hole); anywhere else the decoder cannot know where it is.
   */
  skip(len: number): boolean {
    if (this.state !== DATA || len > this.remaining) return false;
    this.remaining -= len;
    if (this.remaining === 0) this.state = DATA_CR;
    return true;
  }

  /** One byte of a size line or of the CRLF after chunk data. */
  private lineByte(b: number): HttpParseErrorCode | null {
    switch (this.state) {
      case SIZE: {
        if (++this.lineBytes > MAX_CHUNK_SIZE_LINE_BYTES) return 'bad_chunk_size';
        const v = hexValue(b);
        if (v >= 0) {
          if (++this.digits > MAX_CHUNK_SIZE_HEX_DIGITS) return 'bad_chunk_size';
          this.size = this.size * 16 + v;
          return null;
        }
        if (this.digits === 0) return 'bad_chunk_size';
        if (b === 0x3b || b === 0x20 || b === 0x09) this.state = EXT;
        else if (b === CR) this.state = SIZE_LF;
        else if (b === LF) this.sizeLineDone();
        else return 'bad_chunk_size';
        return null;
      }
      case EXT:
        if (++this.lineBytes > MAX_CHUNK_SIZE_LINE_BYTES) return 'bad_chunk_size';
        if (b === CR) this.state = SIZE_LF;
        else if (b === LF) this.sizeLineDone();
        return null;
      case SIZE_LF:
        if (b !== LF) return 'bad_chunk_size';
        this.sizeLineDone();
        return null;
      case DATA_CR:
        if (b === CR) this.state = DATA_LF;
        else if (b === LF) this.state = SIZE;
        else return 'bad_chunk';
        return null;
      case DATA_LF:
        if (b !== LF) return 'bad_chunk';
        this.state = SIZE;
        return null;
      default:
        return 'bad_chunk';
    }
  }

  private sizeLineDone(): void {
    if (this.size === 0) {
      this.state = TRAILERS;
      this.trailerScanner.begin();
    } else {
      this.state = DATA;
      this.remaining = this.size;
    }
    this.size = 0;
    this.digits = 0;
    this.lineBytes = 0;
  }

  private fail(code: HttpParseErrorCode, at: number): number {
    this.status = code;
    this.trailerScanner.release();
    return at;
  }
}
