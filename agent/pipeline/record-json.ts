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
    this.raw('{"ts":');
    this.str(rec.ts);
    this.raw(',"duration_ns":');
    this.raw(String(rec.duration_ns));
    this.raw(rec.direction === 'ingress' ? ',"direction":"ingress","tls":' : ',"direction":"egress","tls":');
    this.raw(rec.tls ? 'true' : 'false');
    this.raw(',"process":{"pid":');
    this.raw(String(p.pid));
    this.raw(',"comm":');
    this.str(p.comm);
    this.raw(',"container_id":');
    this.nullable(p.container_id);
    this.raw(',"pod":');
    this.nullable(p.pod);
    this.raw(',"namespace":');
    this.nullable(p.namespace);
    this.raw(',"service":');
    this.nullable(p.service);
    this.raw('},"connection":{"id":');
    this.str(c.id);
    this.raw(',"local":{"ip":');
    this.str(c.local.ip);
    this.raw(',"port":');
    this.raw(String(c.local.port));
    this.raw('},"remote":{"ip":');
    this.str(c.remote.ip);
    this.raw(',"port":');
    this.raw(String(c.remote.port));
    this.raw('}},"request":{"method":');
    const q = rec.request;
    this.str(q.method);
    this.raw(',"target":');
    this.str(q.target);
    this.message(q);
    this.raw(',"response":');
    const s = rec.response;
    if (s === null) {
      this.raw('null');
    } else {
      this.raw('{"status":');
      this.raw(String(s.status));
      this.raw(',"reason":');
      this.str(s.reason);
      this.message(s);
    }
    if (rec.incomplete !== undefined) {
      this.raw(',"incomplete":');
      this.str(rec.incomplete);
    }
    this.raw('}');
  }

  private message(m: RequestRecord | ResponseRecord): void {
    this.raw(',"version":');
    this.str(m.version);
    this.raw(',"headers":[');
    const h = m.headers;
    for (let i = 0; i < h.length; i++) {
      const pair = h[i]!;
      this.raw(i === 0 ? '[' : ',[');
      this.str(pair[0]);
      this.raw(',');
      this.str(pair[1]);
      this.raw(']');
    }
    this.raw('],"body":');
    this.str(m.body);
    this.raw(m.body_encoding === 'utf8' ? ',"body_encoding":"utf8","body_size":' : ',"body_encoding":"base64","body_size":');
    this.raw(String(m.body_size));
    this.raw(m.body_truncated ? ',"body_truncated":true' : ',"body_truncated":false');
    this.raw(m.content_decoded ? ',"content_decoded":true}' : '}');
  }

  private nullable(s: string | null): void {
    if (s === null) this.raw('null');
    else this.str(s);
  }

  /** ASCII text that needs no escaping (the record's fixed parts, numbers). */
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
