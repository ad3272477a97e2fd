/**
 * The exchange record as the UDS and stdout sinks write it: one JSON object, keys in the order of
 * DESIGN.md §3 whatever order the record object was built in, then a newline.
 *
 * Written byte by byte into a reused buffer, not with JSON.stringify or string concatenation:
 * this runs once per exchange on the agent's hot path, and every intermediate string (a
 * serialized line is a rope of dozens of pieces, then flattened and encoded again for the
 * socket) is allocation the garbage collector pays for. The output is byte for byte what
 * JSON.stringify gives for the record in contract order (escapes included); a property test
 * holds it to that.
 */
import type { ExchangeRecord, RequestRecord, ResponseRecord } from './record';

const HEX = '0123456789abcdef';
const SHORT_ESCAPES: Record<number, number> = { 0x08: 0x62, 0x09: 0x74, 0x0a: 0x6e, 0x0c: 0x66, 0x0d: 0x72, 0x22: 0x22, 0x5c: 0x5c };

/** The record's fixed parts, in the order `record` writes them. */
const K = (s: string): Uint8Array => Buffer.from(s, 'latin1');
const K_TS = K('{"ts":');
const K_DURATION = K(',"duration_ns":');
const K_INGRESS = K(',"direction":"ingress","tls":');
const K_EGRESS = K(',"direction":"egress","tls":');
const K_TRUE = K('true');
const K_FALSE = K('false');
const K_PID = K(',"process":{"pid":');
const K_COMM = K(',"comm":');
const K_NO_LABELS = K(',"container_id":null,"pod":null,"namespace":null,"service":null');
const K_CONTAINER = K(',"container_id":');
const K_POD = K(',"pod":');
const K_NAMESPACE = K(',"namespace":');
const K_SERVICE = K(',"service":');
const K_NULL = K('null');
const K_CONNECTION = K('},"connection":{"id":');
const K_LOCAL = K(',"local":{"ip":');
const K_PORT = K(',"port":');
const K_REMOTE = K('},"remote":{"ip":');
const K_REQUEST = K('}},"request":{"method":');
const K_TARGET = K(',"target":');
const K_NO_RESPONSE = K(',"response":null');
const K_RESPONSE = K(',"response":{"status":');
const K_REASON = K(',"reason":');
const K_INCOMPLETE = K(',"incomplete":');
const K_CLOSE = K('}');
const K_VERSION = K(',"version":');
const K_HEADERS = K(',"headers":[');
const K_PAIR_FIRST = K('[');
const K_PAIR_NEXT = K(',[');
const K_COMMA = K(',');
const K_PAIR_END = K(']');
const K_BODY = K('],"body":');
const K_UTF8 = K(',"body_encoding":"utf8","body_size":');
const K_BASE64 = K(',"body_encoding":"base64","body_size":');
const K_TRUNCATED = K(',"body_truncated":true');
const K_NOT_TRUNCATED = K(',"body_truncated":false');
const K_DECODED_END = K(',"content_decoded":true}');

export class JsonLineWriter {
  private buf: Buffer;
  /** Bytes written since the last `reset`. */
  length = 0;

  constructor(private readonly initialBytes = 1 << 16) {
    this.buf = Buffer.allocUnsafe(initialBytes);
  }

  /**
   * Starts over. A buffer that grew beyond `keepBytes` (a backlog while a sink was away) is given
   * back, so one outage does not pin its size for the agent's lifetime.
   */
  reset(keepBytes = Infinity): void {
    this.length = 0;
    if (this.buf.length > keepBytes) this.buf = Buffer.allocUnsafe(this.initialBytes);
  }

  /** The bytes written: a view, valid until the next write after a `reset`. */
  bytes(): Buffer {
    return this.buf.subarray(0, this.length);
  }

  /** Appends the record's JSON line and a newline. */
  line(rec: ExchangeRecord): void {
    this.record(rec);
    this.room(1);
    this.buf[this.length++] = 0x0a;
  }

  /** Appends `s` as UTF-8, unescaped (already formatted text, e.g. a `pretty` line). */
  text(s: string): void {
    this.room(Buffer.byteLength(s));
    this.length += this.buf.write(s, this.length);
  }

  record(rec: ExchangeRecord): void {
    const p = rec.process;
    const c = rec.connection;
    this.lit(K_TS);
    this.str(rec.ts);
    this.lit(K_DURATION);
    this.raw(String(rec.duration_ns));
    this.lit(rec.direction === 'ingress' ? K_INGRESS : K_EGRESS);
    this.lit(rec.tls ? K_TRUE : K_FALSE);
    this.lit(K_PID);
    this.raw(String(p.pid));
    this.lit(K_COMM);
    this.str(p.comm);
    if (p.container_id === null && p.pod === null && p.namespace === null && p.service === null) {
      this.lit(K_NO_LABELS);
    } else {
      this.lit(K_CONTAINER);
      this.nullable(p.container_id);
      this.lit(K_POD);
      this.nullable(p.pod);
      this.lit(K_NAMESPACE);
      this.nullable(p.namespace);
      this.lit(K_SERVICE);
      this.nullable(p.service);
    }
    this.lit(K_CONNECTION);
    this.str(c.id);
    this.lit(K_LOCAL);
    this.str(c.local.ip);
    this.lit(K_PORT);
    this.raw(String(c.local.port));
    this.lit(K_REMOTE);
    this.str(c.remote.ip);
    this.lit(K_PORT);
    this.raw(String(c.remote.port));
    this.lit(K_REQUEST);
    const q = rec.request;
    this.str(q.method);
    this.lit(K_TARGET);
    this.str(q.target);
    this.message(q);
    const s = rec.response;
    if (s === null) {
      this.lit(K_NO_RESPONSE);
    } else {
      this.lit(K_RESPONSE);
      this.raw(String(s.status));
      this.lit(K_REASON);
      this.str(s.reason);
      this.message(s);
    }
    if (rec.incomplete !== undefined) {
      this.lit(K_INCOMPLETE);
      this.str(rec.incomplete);
    }
    this.lit(K_CLOSE);
  }

  private message(m: RequestRecord | ResponseRecord): void {
    this.lit(K_VERSION);
    this.str(m.version);
    this.lit(K_HEADERS);
    const h = m.headers;
    for (let i = 0; i < h.length; i++) {
      const pair = h[i]!;
      this.lit(i === 0 ? K_PAIR_FIRST : K_PAIR_NEXT);
      this.str(pair[0]);
      this.lit(K_COMMA);
      this.str(pair[1]);
      this.lit(K_PAIR_END);
    }
    this.lit(K_BODY);
    this.str(m.body);
    this.lit(m.body_encoding === 'utf8' ? K_UTF8 : K_BASE64);
    this.raw(String(m.body_size));
    this.lit(m.body_truncated ? K_TRUNCATED : K_NOT_TRUNCATED);
    this.lit(m.content_decoded ? K_DECODED_END : K_CLOSE);
  }

  private nullable(s: string | null): void {
    if (s === null) this.lit(K_NULL);
    else this.str(s);
  }

  /**
   * One of the record's fixed parts. Bytes, not strings: reading a typed array in a loop costs
   * about a third of what charCodeAt does, and these are a quarter of every line.
   */
  private lit(b: Uint8Array): void {
    this.room(b.length);
    const buf = this.buf;
    let o = this.length;
    for (let i = 0; i < b.length; i++) buf[o++] = b[i]!;
    this.length = o;
  }

  /** ASCII text that needs no escaping (numbers). */
  private raw(s: string): void {
    this.room(s.length);
    const buf = this.buf;
    let o = this.length;
    for (let i = 0; i < s.length; i++) buf[o++] = s.charCodeAt(i);
    this.length = o;
  }

  /** A JSON string literal, escaped as JSON.stringify escapes, encoded as UTF-8. */
  private str(s: string): void {
    // Worst case: a six-byte \u escape per UTF-16 unit, and the two quotes.
    this.room(s.length * 6 + 2);
    const buf = this.buf;
    let o = this.length;
    buf[o++] = 0x22;
    const n = s.length;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x20 && c < 0x80 && c !== 0x22 && c !== 0x5c) {
        buf[o++] = c;
      } else if (c < 0x80) {
        const short = SHORT_ESCAPES[c];
        buf[o++] = 0x5c;
        if (short !== undefined) {
          buf[o++] = short;
        } else {
          o = this.unicodeEscape(o, c);
        }
      } else if (c < 0x800) {
        buf[o++] = 0xc0 | (c >> 6);
        buf[o++] = 0x80 | (c & 0x3f);
      } else if (c >= 0xd800 && c <= 0xdfff) {
        const next = i + 1 < s.length ? s.charCodeAt(i + 1) : 0;
        if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
          const cp = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00);
          buf[o++] = 0xf0 | (cp >> 18);
          buf[o++] = 0x80 | ((cp >> 12) & 0x3f);
          buf[o++] = 0x80 | ((cp >> 6) & 0x3f);
          buf[o++] = 0x80 | (cp & 0x3f);
          i++;
        } else {
          // A lone surrogate: JSON.stringify writes it as an escape (well-formed JSON.stringify).
          buf[o++] = 0x5c;
          o = this.unicodeEscape(o, c);
        }
      } else {
        buf[o++] = 0xe0 | (c >> 12);
        buf[o++] = 0x80 | ((c >> 6) & 0x3f);
        buf[o++] = 0x80 | (c & 0x3f);
      }
    }
    buf[o++] = 0x22;
    this.length = o;
  }

  /** `u` and four hex digits (the backslash is already written), lower case as JSON.stringify writes them. */
  private unicodeEscape(o: number, c: number): number {
    const buf = this.buf;
    buf[o++] = 0x75;
    buf[o++] = HEX.charCodeAt((c >> 12) & 15);
    buf[o++] = HEX.charCodeAt((c >> 8) & 15);
    buf[o++] = HEX.charCodeAt((c >> 4) & 15);
    buf[o++] = HEX.charCodeAt(c & 15);
    return o;
  }

  private room(n: number): void {
    if (this.buf.length - this.length >= n) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.length + n));
    this.buf.copy(next, 0, 0, this.length);
    this.buf = next;
  }
}

const shared = new JsonLineWriter();

/** The record's JSON line as a string (no newline). For the sinks' hot path, use JsonLineWriter. */
export function toJsonLine(rec: ExchangeRecord): string {
  shared.reset();
  shared.record(rec);
  return shared.bytes().toString('utf8');
}
