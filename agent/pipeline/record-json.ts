/**
 * The exchange record as the UDS and stdout sinks write it: one JSON object, keys in the order of
 * DESIGN.md §3 whatever order the record object was built in, then a newline.
 *
 * Written byte by byte into a reused buffer, not with JSON.stringify or string concatenation:
 * this runs once per exchange on the agent's hot path, and every intermediate string (a
 * serialized line is a rope of dozens of pieces, then flattened and encoded again for the
 * socket) is allocation the garbage collector pays for. The output is byte for byte what
 * JSON.stringify gives for the record in contract order (escapes included); a property test
 * holds it to that. Long ASCII bodies are the exception: the addon copies them (jsonAscii,
 * native/src/json-bytes.cc), with this module's escape tables.
 */
// From its own module, not the '../http' index: CommonJS re-exports are getters, and the
// instanceof below read one per message.
import { HeaderFields, headerTextLength } from '../http/header-fields';
import { loadNative, type NativeAddon } from '../capture/native';
import type { ExchangeRecord, ProcessLabels, RequestRecord, ResponseRecord } from './record';

/**
 * The bytes a record's bodies were decoded from: the parsed exchange it was built from
 * (HttpExchange has this shape). Given to `line`, a body that is ASCII is copied from its
 * bytes: a typed-array read costs about half of a `charCodeAt`, and a body is most of a line.
 * (Header fields need no such help: a record's HeaderFields are bytes already.)
 */
export interface BodyBytes {
  readonly request: { readonly body: Buffer };
  readonly response: { readonly body: Buffer } | null;
}

const HEX = '0123456789abcdef';
/** 1 for the ASCII characters a JSON string holds as they are (printable, not `"` or `\\`). */
const PLAIN = new Uint8Array(128);
for (let c = 0x20; c < 0x80; c++) PLAIN[c] = c === 0x22 || c === 0x5c ? 0 : 1;
/** The letter after the backslash of a two-character escape, by ASCII code; 0: a `\u` escape or none. */
const SHORT_ESCAPES = new Uint8Array(128);
for (const [c, e] of [[0x08, 0x62], [0x09, 0x74], [0x0a, 0x6e], [0x0c, 0x66], [0x0d, 0x72], [0x22, 0x22], [0x5c, 0x5c]]) SHORT_ESCAPES[c!] = e!;

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
const K_PAIR_NEXT = K(',[');
const K_COMMA = K(',');
const K_PAIR_END = K(']');
const K_BODY = K('],"body":');
const K_UTF8 = K(',"body_encoding":"utf8","body_size":');
const K_BASE64 = K(',"body_encoding":"base64","body_size":');
const K_TRUNCATED = K(',"body_truncated":true');
const K_NOT_TRUNCATED = K(',"body_truncated":false');
const K_DECODED_END = K(',"content_decoded":true}');

/** Every fixed part at once, plus room for the numbers (at most 24 characters each) and newline. */
const FIXED_BYTES = [
  K_TS, K_DURATION, K_INGRESS, K_FALSE, K_PID, K_COMM, K_CONTAINER, K_POD, K_NAMESPACE, K_SERVICE,
  K_NULL, K_NULL, K_NULL, K_NULL, K_CONNECTION, K_LOCAL, K_PORT, K_REMOTE, K_PORT, K_REQUEST, K_TARGET,
  K_RESPONSE, K_REASON, K_INCOMPLETE, K_CLOSE,
].reduce((n, k) => n + k.length, 0) + 2 * (K_VERSION.length + K_HEADERS.length + K_BODY.length + K_BASE64.length + K_NOT_TRUNCATED.length + K_DECODED_END.length) + 8 * 24 + 1;
/** Per header pair: `,[` `,` `]` and four quotes. */
const PAIR_BYTES = K_PAIR_NEXT.length + K_COMMA.length + K_PAIR_END.length + 4;
/** Per string: its two quotes; per UTF-16 unit at most six bytes (a `\u` escape). */
const STRING_BYTES = 2;
const UNIT_BYTES = 6;

/** See JsonLineWriter.reset. */
export const RELEASE_AFTER_FILLS = 64;

export class JsonLineWriter {
  private buf: Buffer;
  /** Bytes written since the last `reset`. */
  length = 0;
  /** Fills in a row, up to the last `reset`, that used less than a quarter of a buffer above its keep size. */
  private smallFills = 0;

  constructor(private readonly initialBytes = 1 << 16) {
    this.buf = Buffer.allocUnsafe(initialBytes);
  }

  /**
   * Starts over. A buffer that grew beyond `keepBytes` (a backlog while a sink was away) is given
   * back once RELEASE_AFTER_FILLS fills in a row used less than a quarter of it, so one outage
   * does not pin its size for the agent's lifetime. Not at the first small fill: under a load
   * whose fills are that large every few writes (bodies of kilobytes at tens of thousands of
   * exchanges a second), giving it back whenever one was small had it grow again, copy by doubling
   * copy (100 MB copied per 59,000 exchanges of 4 KiB bodies, 4-7 % of the replayed path).
   */
  reset(keepBytes = Infinity): void {
    if (this.buf.length > keepBytes && this.length < this.buf.length / 4) {
      if (++this.smallFills >= RELEASE_AFTER_FILLS) {
        this.buf = Buffer.allocUnsafe(this.initialBytes);
        this.smallFills = 0;
      }
    } else {
      this.smallFills = 0;
    }
    this.length = 0;
  }

  /** The bytes written: a view, valid until the next write after a `reset`. */
  bytes(): Buffer {
    return this.buf.subarray(0, this.length);
  }

  /** Appends the record's JSON line and a newline; `bytes`: what its bodies were decoded from. */
  line(rec: ExchangeRecord, bytes?: BodyBytes): void {
    this.room(maxLineBytes(rec));
    const o = writeRecord(this.buf, this.length, rec, bytes);
    this.buf[o] = 0x0a;
    this.length = o + 1;
  }

  /** Appends bytes as they are (lines written elsewhere: the fast path's). */
  raw(b: Uint8Array, from = 0, to = b.length): void {
    this.room(to - from);
    this.buf.set(from === 0 && to === b.length ? b : b.subarray(from, to), this.length);
    this.length += to - from;
  }

  /** Appends `s` as UTF-8, unescaped (already formatted text, e.g. a `pretty` line). */
  text(s: string): void {
    this.room(Buffer.byteLength(s));
    this.length += this.buf.write(s, this.length);
  }

  private room(n: number): void {
    if (this.buf.length - this.length >= n) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.length + n));
    this.buf.copy(next, 0, 0, this.length);
    this.buf = next;
  }
}

/**
 * An upper bound of the record's line, so the writers below check room once per line instead of
 * once per piece (about a hundred pieces a line). Reads lengths only.
 */
function maxLineBytes(rec: ExchangeRecord): number {
  const p = rec.process;
  const c = rec.connection;
  let units = rec.ts.length + p.comm.length + c.id.length + c.local.ip.length + c.remote.ip.length;
  units += (p.container_id?.length ?? 0) + (p.pod?.length ?? 0) + (p.namespace?.length ?? 0) + (p.service?.length ?? 0);
  units += rec.request.method.length + rec.request.target.length + (rec.incomplete?.length ?? 0);
  let n = FIXED_BYTES + 14 * STRING_BYTES + messageBytes(rec.request);
  if (rec.response !== null) {
    units += rec.response.reason.length;
    n += messageBytes(rec.response);
  }
  return n + units * UNIT_BYTES;
}

function messageBytes(m: RequestRecord | ResponseRecord): number {
  const h = m.headers;
  const units = m.version.length + m.body.length + headerTextLength(h);
  return 2 * STRING_BYTES + h.length * PAIR_BYTES + units * UNIT_BYTES;
}

// The writers below take the buffer and the offset to write at and return the offset after what
// they wrote; the caller made room (maxLineBytes).

function writeRecord(buf: Buffer, o: number, rec: ExchangeRecord, bytes: BodyBytes | undefined): number {
  o = lit(buf, o, K_TS);
  o = str(buf, o, rec.ts);
  o = lit(buf, o, K_DURATION);
  o = num(buf, o, rec.duration_ns);
  o = lit(buf, o, connectionPart(rec));
  const q = rec.request;
  o = str(buf, o, q.method);
  o = lit(buf, o, K_TARGET);
  o = str(buf, o, q.target);
  o = message(buf, o, q, bytes?.request.body);
  const s = rec.response;
  if (s === null) {
    o = lit(buf, o, K_NO_RESPONSE);
  } else {
    o = lit(buf, o, K_RESPONSE);
    o = num(buf, o, s.status);
    o = lit(buf, o, K_REASON);
    o = str(buf, o, s.reason);
    o = message(buf, o, s, bytes?.response?.body);
  }
  if (rec.incomplete !== undefined) {
    o = lit(buf, o, K_INCOMPLETE);
    o = str(buf, o, rec.incomplete);
  }
  return lit(buf, o, K_CLOSE);
}

/** A connection's part of its lines, encoded once: the same for every exchange of the connection. */
interface ConnectionPart {
  readonly process: ExchangeRecord['process'];
  readonly direction: ExchangeRecord['direction'];
  readonly tls: boolean;
  readonly bytes: Uint8Array;
}

/**
 * By the record's `connection` object, which RecordBuilder shares between the records of one
 * connection (with its `process`): from `"direction"` to the request's `"method":`, a quarter
 * of a line, is then one copy instead of a dozen pieces written character by character. Records
 * are read-only once built; a record with other process, direction or tls values than the
 * cached ones (tls is learned on the way) re-encodes it. Records built elsewhere, with fresh
 * objects each, simply miss.
 */
const connectionParts = new WeakMap<ExchangeRecord['connection'], ConnectionPart>();

let partScratch = Buffer.allocUnsafe(4096);

function connectionPart(rec: ExchangeRecord): Uint8Array {
  const c = rec.connection;
  let part = connectionParts.get(c);
  if (part === undefined || part.process !== rec.process || part.direction !== rec.direction || part.tls !== rec.tls) {
    const p = rec.process;
    const units = p.comm.length + c.id.length + c.local.ip.length + c.remote.ip.length + (p.container_id?.length ?? 0) + (p.pod?.length ?? 0) + (p.namespace?.length ?? 0) + (p.service?.length ?? 0);
    const room = FIXED_BYTES + 8 * STRING_BYTES + units * UNIT_BYTES;
    if (partScratch.length < room) partScratch = Buffer.allocUnsafe(room);
    const n = writeConnectionPart(partScratch, 0, rec);
    // Its own memory, not a slice of Node's 8 KB Buffer pool: a part lives as long as its
    // connection, and a pooled slice would keep its whole slab alive with it, the slab's other
    // (short-lived) slices included. At 10,000 idle connections that was 2,000 slabs, 16 MB.
    part = { process: p, direction: rec.direction, tls: rec.tls, bytes: new Uint8Array(partScratch.subarray(0, n)) };
    connectionParts.set(c, part);
  }
  return part.bytes;
}

function writeConnectionPart(buf: Buffer, o: number, rec: ExchangeRecord): number {
  const p = rec.process;
  const c = rec.connection;
  o = lit(buf, o, rec.direction === 'ingress' ? K_INGRESS : K_EGRESS);
  o = lit(buf, o, rec.tls ? K_TRUE : K_FALSE);
  o = lit(buf, o, K_PID);
  o = num(buf, o, p.pid);
  o = lit(buf, o, K_COMM);
  o = str(buf, o, p.comm);
  o = writeLabels(buf, o, p);
  o = lit(buf, o, K_CONNECTION);
  o = str(buf, o, c.id);
  o = lit(buf, o, K_LOCAL);
  o = str(buf, o, c.local.ip);
  o = lit(buf, o, K_PORT);
  o = num(buf, o, c.local.port);
  o = lit(buf, o, K_REMOTE);
  o = str(buf, o, c.remote.ip);
  o = lit(buf, o, K_PORT);
  o = num(buf, o, c.remote.port);
  return lit(buf, o, K_REQUEST);
}

/** The process's labels: from `,"container_id":` to the service's value. */
function writeLabels(buf: Buffer, o: number, p: ProcessLabels): number {
  if (p.container_id === null && p.pod === null && p.namespace === null && p.service === null) return lit(buf, o, K_NO_LABELS);
  o = lit(buf, o, K_CONTAINER);
  o = nullable(buf, o, p.container_id);
  o = lit(buf, o, K_POD);
  o = nullable(buf, o, p.pod);
  o = lit(buf, o, K_NAMESPACE);
  o = nullable(buf, o, p.namespace);
  o = lit(buf, o, K_SERVICE);
  return nullable(buf, o, p.service);
}

/** The labels' part of a line as writeConnectionPart writes it, for the fast path's connections (fast-lines.ts). */
export function labelsJson(p: Readonly<ProcessLabels>): Buffer {
  const units = (p.container_id?.length ?? 0) + (p.pod?.length ?? 0) + (p.namespace?.length ?? 0) + (p.service?.length ?? 0);
  const buf = Buffer.allocUnsafe(FIXED_BYTES + 4 * STRING_BYTES + units * UNIT_BYTES);
  return Buffer.from(buf.subarray(0, writeLabels(buf, 0, p)));
}

function message(buf: Buffer, o: number, m: RequestRecord | ResponseRecord, bodyBytes: Buffer | undefined): number {
  o = lit(buf, o, K_VERSION);
  o = str(buf, o, m.version);
  o = lit(buf, o, K_HEADERS);
  const h = m.headers;
  o = h instanceof HeaderFields ? fields(buf, o, h) : pairs(buf, o, h);
  o = lit(buf, o, K_BODY);
  o = body(buf, o, m, bodyBytes);
  o = lit(buf, o, m.body_encoding === 'utf8' ? K_UTF8 : K_BASE64);
  o = num(buf, o, m.body_size);
  o = lit(buf, o, m.body_truncated ? K_TRUNCATED : K_NOT_TRUNCATED);
  return lit(buf, o, m.content_decoded ? K_DECODED_END : K_CLOSE);
}

/** Parsed fields, copied from their bytes: a value the record replaced (redaction) or joined is read from its string. */
function fields(buf: Buffer, o: number, h: HeaderFields): number {
  const b = h.bytes;
  const r = h.ranges;
  for (let i = 0, k = 0; k < r.length; i++, k += 4) {
    if (i > 0) buf[o++] = 0x2c; // ,
    buf[o++] = 0x5b; // [
    o = bytesStr(buf, o, b, r[k]!, r[k + 1]!, false);
    buf[o++] = 0x2c;
    o = h.valueIsRange(i) ? bytesStr(buf, o, b, r[k + 2]!, r[k + 3]!, false) : str(buf, o, h.value(i));
    buf[o++] = 0x5d; // ]
  }
  return o;
}

/** Fields as pairs of strings (a record made by hand). */
function pairs(buf: Buffer, o: number, h: ReadonlyArray<readonly [string, string]>): number {
  for (let i = 0; i < h.length; i++) {
    if (i > 0) buf[o++] = 0x2c; // ,
    buf[o++] = 0x5b; // [
    o = str(buf, o, h[i]![0]);
    buf[o++] = 0x2c;
    o = str(buf, o, h[i]![1]);
    buf[o++] = 0x5d; // ]
  }
  return o;
}

/**
 * A utf8 body decoded from `bytes` has as many characters as bytes only if every byte is ASCII,
 * and then the bytes are the characters: they are copied, escaped, from the buffer. Anything
 * else (multi-byte text, base64, a prefix cut by max_body_bytes, no bytes given) is read from
 * the string.
 */
function body(buf: Buffer, o: number, m: RequestRecord | ResponseRecord, bytes: Buffer | undefined): number {
  const s = m.body;
  if (bytes === undefined || m.body_encoding !== 'utf8' || bytes.length !== s.length) return str(buf, o, s);
  const at = bytes.length >= NATIVE_BODY_BYTES ? jsonAscii()(buf, o, bytes) : bytesStr(buf, o, bytes, 0, bytes.length, true);
  // Not ASCII after all (a body changed after the record was built): the string is the record.
  return at >= 0 ? at : str(buf, o, s);
}

function nullable(buf: Buffer, o: number, s: string | null): number {
  return s === null ? lit(buf, o, K_NULL) : str(buf, o, s);
}

/**
 * One of the record's fixed parts. Bytes, not strings: reading a typed array in a loop costs
 * about a third of what charCodeAt does, and these are a quarter of every line.
 */
function lit(buf: Buffer, o: number, b: Uint8Array): number {
  // A native copy costs a call; it pays only for the longer parts.
  if (b.length > 24) {
    buf.set(b, o);
    return o + b.length;
  }
  for (let i = 0; i < b.length; i++) buf[o++] = b[i]!;
  return o;
}

/**
 * A number as JSON.stringify writes it. Whole numbers below 2^31 (every port, pid, status and
 * size, most durations) digit by digit: no string is made for them.
 */
function num(buf: Buffer, o: number, n: number): number {
  if (n >= 0 && n <= 0x7fffffff && (n | 0) === n) {
    let digits = 1;
    for (let t = n; t >= 10; t = (t / 10) | 0) digits++;
    let e = o + digits;
    for (let t = n; e > o; t = (t / 10) | 0) buf[--e] = 0x30 + (t % 10);
    return o + digits;
  }
  return raw(buf, o, String(n));
}

/** ASCII text that needs no escaping (numbers). */
function raw(buf: Buffer, o: number, s: string): number {
  for (let i = 0; i < s.length; i++) buf[o++] = s.charCodeAt(i);
  return o;
}

/** A JSON string literal, escaped as JSON.stringify escapes, encoded as UTF-8. */
function str(buf: Buffer, o: number, s: string): number {
  buf[o++] = 0x22;
  const n = s.length;
  let i = 0;
  // The common case in a tight loop of its own: printable ASCII, copied as it is.
  for (; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80 || PLAIN[c] === 0) break;
    buf[o++] = c;
  }
  if (i < n) o = strRest(buf, o, s, i);
  buf[o++] = 0x22;
  return o;
}

/** Bytes to JSON for an ASCII byte: 1 copied as it is, 2 a two-character escape, 6 a `\\u` escape; 0 not ASCII. */
const ASCII_OUT = new Uint8Array(256);
for (let c = 0; c < 0x80; c++) ASCII_OUT[c] = PLAIN[c] === 1 ? 1 : SHORT_ESCAPES[c] !== 0 ? 2 : 6;

/**
 * From this many bytes on, an ASCII body is written by the addon: about 0.35 ns a byte against
 * 1.2-1.7 for `bytesStr` (JSON text, a quote every few bytes), but about 50 ns a call, so they
 * break even near 60 bytes. Header fields stay here: runs of a few dozen bytes, two per field;
 * handed to the addon a head at a time (one call each) they made the replayed nginx lines slower.
 */
export const NATIVE_BODY_BYTES = 128;

type JsonAscii = (out: Buffer, at: number, bytes: Buffer) => number;
let jsonAsciiFn: JsonAscii | undefined;

let tablesGiven = false;

/**
 * Hands this module's escape tables to the addon, once: jsonAscii and the fast path
 * (native/src/fast-lines.cc) escape with them. Returns the addon.
 */
export function nativeWithJsonTables(): NativeAddon {
  const addon = loadNative();
  if (!tablesGiven) addon.jsonTables(ASCII_OUT, SHORT_ESCAPES);
  tablesGiven = true;
  return addon;
}

/** The addon's jsonAscii with this module's tables, loaded at the first long body. */
function jsonAscii(): JsonAscii {
  if (jsonAsciiFn === undefined) {
    const addon = nativeWithJsonTables();
    // Held as a plain function: a call through the addon's exports object costs a property lookup.
    jsonAsciiFn = addon.jsonAscii;
  }
  return jsonAsciiFn;
}

/**
 * `b[from, to)` read as latin1 (a character per byte) as a JSON string literal: what `str`
 * writes for that string. `asciiOnly`: the bytes are meant to be ASCII (a utf8 body); returns -1
 * at the first that is not, having written garbage the caller writes over.
 */
function bytesStr(buf: Buffer, o: number, b: Buffer, from: number, to: number, asciiOnly: boolean): number {
  const out = ASCII_OUT;
  buf[o++] = 0x22;
  for (let i = from; i < to; i++) {
    const c = b[i]!;
    const k = out[c]!;
    if (k === 1) {
      buf[o++] = c;
    } else if (k === 2) {
      buf[o++] = 0x5c;
      buf[o++] = SHORT_ESCAPES[c]!;
    } else if (k === 6) {
      buf[o++] = 0x5c;
      o = unicodeEscape(buf, o, c);
    } else if (asciiOnly) {
      return -1;
    } else {
      // U+0080-U+00FF: two bytes of UTF-8.
      buf[o++] = 0xc0 | (c >> 6);
      buf[o++] = 0x80 | (c & 0x3f);
    }
  }
  buf[o++] = 0x22;
  return o;
}

/** The rest of `s` from `i`, where a character that needs escaping or encoding was met. */
function strRest(buf: Buffer, o: number, s: string, i: number): number {
  const n = s.length;
  for (; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80 && PLAIN[c] === 1) {
      buf[o++] = c;
    } else if (c < 0x80) {
      const short = SHORT_ESCAPES[c]!;
      buf[o++] = 0x5c;
      if (short !== 0) {
        buf[o++] = short;
      } else {
        o = unicodeEscape(buf, o, c);
      }
    } else if (c < 0x800) {
      buf[o++] = 0xc0 | (c >> 6);
      buf[o++] = 0x80 | (c & 0x3f);
    } else if (c >= 0xd800 && c <= 0xdfff) {
      const next = i + 1 < n ? s.charCodeAt(i + 1) : 0;
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
        o = unicodeEscape(buf, o, c);
      }
    } else {
      buf[o++] = 0xe0 | (c >> 12);
      buf[o++] = 0x80 | ((c >> 6) & 0x3f);
      buf[o++] = 0x80 | (c & 0x3f);
    }
  }
  return o;
}

/** `u` and four hex digits (the backslash is already written), lower case as JSON.stringify writes them. */
function unicodeEscape(buf: Buffer, o: number, c: number): number {
  buf[o++] = 0x75;
  buf[o++] = HEX.charCodeAt((c >> 12) & 15);
  buf[o++] = HEX.charCodeAt((c >> 8) & 15);
  buf[o++] = HEX.charCodeAt((c >> 4) & 15);
  buf[o++] = HEX.charCodeAt(c & 15);
  return o;
}

const shared = new JsonLineWriter();

/** The record's JSON line as a string (no newline). For the sinks' hot path, use JsonLineWriter. */
export function toJsonLine(rec: ExchangeRecord): string {
  shared.reset();
  shared.line(rec);
  const b = shared.bytes();
  return b.toString('utf8', 0, b.length - 1);
}
