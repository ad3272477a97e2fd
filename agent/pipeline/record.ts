/**
 * The exchange record of DESIGN.md §3 and its construction from a parsed HttpExchange: bodies
 * as utf8 or base64 text, redacted header values, wall-clock timestamps.
 */
import { isAscii } from 'node:buffer';
import type { Endpoint } from '../capture/events';
import type { MonotonicClock } from '../capture/clock';
import type { HeaderFields, HttpExchange, IncompleteReason } from '../http';

export type RecordDirection = 'ingress' | 'egress';

/**
 * A message's header fields. RecordBuilder gives the parsed HeaderFields (strings made only when
 * a sink reads them: the line sinks copy bytes); a record made by hand may give pairs. Both
 * iterate as [name, value] pairs, and JSON.stringify writes both as pairs.
 */
export type RecordHeaders = HeaderFields | Array<[string, string]>;

interface MessageRecord {
  version: string;
  headers: RecordHeaders;
  body: string;
  body_encoding: 'utf8' | 'base64';
  body_size: number;
  body_truncated: boolean;
  content_decoded?: true;
}

export interface RequestRecord extends MessageRecord {
  method: string;
  target: string;
}

export interface ResponseRecord extends MessageRecord {
  status: number;
  reason: string;
}

export interface ExchangeRecord {
  ts: string;
  duration_ns: number;
  direction: RecordDirection;
  tls: boolean;
  process: {
    pid: number;
    comm: string;
    container_id: string | null;
    pod: string | null;
    namespace: string | null;
    service: string | null;
  };
  connection: { id: string; local: { ip: string; port: number }; remote: { ip: string; port: number } };
  request: RequestRecord;
  response: ResponseRecord | null;
  /** Present only when the exchange did not finish (no response, or a message cut short). */
  incomplete?: IncompleteReason;
}

/** Where a process runs, in Kubernetes terms; null outside Kubernetes or when unknown. */
export interface ProcessLabels {
  container_id: string | null;
  pod: string | null;
  namespace: string | null;
  service: string | null;
}

export const NO_LABELS: Readonly<ProcessLabels> = Object.freeze({ container_id: null, pod: null, namespace: null, service: null });

/** What the record needs to know about the connection, from its open event. */
export interface ConnectionInfo {
  id: string;
  pid: number;
  comm: string;
  local: Endpoint;
  remote: Endpoint;
  direction: RecordDirection;
  /** Plaintext from the TLS library: set when the connection's first TLS data event arrives. */
  tls: boolean;
  /** @default NO_LABELS */
  labels?: Readonly<ProcessLabels>;
  /** The records' `process` and `connection` objects, made at the first record (RecordBuilder). */
  process?: ExchangeRecord['process'];
  connection?: ExchangeRecord['connection'];
}

export const REDACTED = '[REDACTED]';

type RecordProcess = ExchangeRecord['process'];

function sameProcess(p: RecordProcess, conn: ConnectionInfo, l: Readonly<ProcessLabels>): boolean {
  return p.comm === conn.comm && p.container_id === l.container_id && p.pod === l.pod && p.namespace === l.namespace && p.service === l.service;
}

/** Processes whose `process` object is kept for their next connection; past this the table starts over. */
const MAX_PROCESSES = 4096;

const MAX_PREFILTER_LENGTH = 64;

const NO_BODY = Object.freeze({ text: '', encoding: 'utf8' as const });

export class RecordBuilder {
  /** Lower-cased names by length: header names are case-insensitive. */
  private readonly redact = new Map<number, string[]>();
  private readonly utf8 = new TextDecoder('utf-8', { fatal: true });
  /** By pid: a server's connections share one `process` object (records are read-only). */
  private readonly processes = new Map<number, RecordProcess>();

  constructor(
    private readonly clock: MonotonicClock,
    redactHeaders: readonly string[],
  ) {
    for (const h of new Set(redactHeaders.map((name) => name.toLowerCase()))) {
      this.redact.set(h.length, [...(this.redact.get(h.length) ?? []), h]);
      // Letters map to the same bit in either case (& 31), so the prefilter is case-insensitive.
      if (h.length < MAX_PREFILTER_LENGTH) this.lengthLetter[h.length]! |= 1 << (h.charCodeAt(0) & 31);
    }
  }

  /** By name length: a bit per possible first letter of a redacted name of that length. */
  private readonly lengthLetter = new Uint32Array(MAX_PREFILTER_LENGTH);

  build(ex: HttpExchange, conn: ConnectionInfo): ExchangeRecord {
    const { request: req, response: res } = ex;
    // With a response: first request byte to last response byte. Without: to the close or
    // expiry that ended the wait, or (lost/overflowed responses) to the request's last byte.
    const endNs = ex.responseEndNs ?? ex.endedNs ?? ex.requestEndNs;
    const rec: ExchangeRecord = {
      ts: this.clock.toIso(ex.requestStartNs),
      duration_ns: Math.max(0, Number(endNs - ex.requestStartNs)),
      direction: conn.direction,
      tls: conn.tls,
      // Shared by the connection's records (read-only): no two objects per exchange, and the
      // JSON writer encodes their part once per connection (record-json.ts, connectionPart).
      process: (conn.process ??= this.processOf(conn)),
      // The endpoints are the open event's own (read-only {ip, port}): no copies per connection.
      connection: (conn.connection ??= { id: conn.id, local: conn.local, remote: conn.remote }),
      request: this.request(req),
      response: res && this.response(res),
    };
    if (ex.incomplete) rec.incomplete = ex.incomplete;
    return rec;
  }

  /** The process's shared object, or a new one when the pid's name or labels changed (pid reuse, a pod relabelled). */
  private processOf(conn: ConnectionInfo): RecordProcess {
    const l = conn.labels ?? NO_LABELS;
    const known = this.processes.get(conn.pid);
    if (known !== undefined && sameProcess(known, conn, l)) return known;
    if (this.processes.size >= MAX_PROCESSES) this.processes.clear();
    const p = { pid: conn.pid, comm: conn.comm, container_id: l.container_id, pod: l.pod, namespace: l.namespace, service: l.service };
    this.processes.set(conn.pid, p);
    return p;
  }

  // Built field by field in the record's key order (no spreads: they are slow on the hot path,
  // and the JSON line then needs no reordering).
  private request(m: HttpExchange['request']): RequestRecord {
    return this.message({ method: m.method, target: m.target }, m);
  }

  private response(m: NonNullable<HttpExchange['response']>): ResponseRecord {
    return this.message({ status: m.status, reason: m.reason }, m);
  }

  private message<H extends object>(head: H, m: HttpExchange['request'] | NonNullable<HttpExchange['response']>): H & MessageRecord {
    const body = this.body(m.body, m.bodyTruncated);
    const out = head as H & MessageRecord;
    out.version = m.version;
    out.headers = this.headers(m.headers);
    out.body = body.text;
    out.body_encoding = body.encoding;
    out.body_size = m.bodySize;
    out.body_truncated = m.bodyTruncated;
    if (m.contentDecoded) out.content_decoded = true;
    return out;
  }

  /**
   * The parsed fields themselves when none is redacted (the usual case: nothing is copied or
   * made per message), else a view of them with the redacted values replaced. The parser is
   * done with a message's fields once its exchange is built.
   */
  private headers(h: HeaderFields): HeaderFields {
    let redacted: number[] | null = null;
    for (let i = 0; i < h.length; i++) if (this.isRedacted(h, i)) (redacted ??= []).push(i);
    return redacted === null ? h : h.replacing(redacted, REDACTED);
  }

  /**
   * Most header names cannot be redacted ones by their length and first letter alone, read from
   * the field's bytes; the others are compared in place, ignoring ASCII case (no strings made).
   */
  private isRedacted(h: HeaderFields, i: number): boolean {
    const start = h.ranges[4 * i]!;
    const n = h.ranges[4 * i + 1]! - start;
    if (n < MAX_PREFILTER_LENGTH && (this.lengthLetter[n]! & (1 << (h.bytes[start]! & 31))) === 0) return false;
    const names = this.redact.get(n);
    if (names === undefined) return false;
    for (const name of names) if (h.nameIs(i, name)) return true;
    return false;
  }

  /**
   * utf8 when the kept bytes are valid UTF-8, else base64. A body cut by max_body_bytes may end
   * inside a multi-byte character: that partial character is left out rather than turning a
   * text body into base64. An ASCII body (most API bodies) is its latin1 text: checked and copied
   * at half the cost of the decoder, which validates and decodes in separate passes.
   */
  private body(b: Buffer, truncated: boolean): { text: string; encoding: 'utf8' | 'base64' } {
    if (b.length === 0) return NO_BODY;
    if (isAscii(b)) return { text: b.toString('latin1'), encoding: 'utf8' };
    try {
      return { text: this.utf8.decode(truncated ? b.subarray(0, completeUtf8Length(b)) : b), encoding: 'utf8' };
    } catch {
      return { text: b.toString('base64'), encoding: 'base64' };
    }
  }
}

/** Length of `b` without a trailing incomplete UTF-8 sequence (at most 3 bytes are dropped). */
export function completeUtf8Length(b: Buffer): number {
  const n = b.length;
  for (let i = n - 1; i >= 0 && i >= n - 3; i--) {
    const c = b[i];
    if ((c & 0xc0) === 0x80) continue; // continuation byte: look further back for the lead
    const need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
    return n - i < need ? i : n;
  }
  return n;
}
