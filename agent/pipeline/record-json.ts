/**
 * The exchange record as the UDS and stdout sinks write it: one JSON object, keys in the order
 * of DESIGN.md §3 whatever order the record object was built in. No trailing newline: the sink
 * adds it (and may join many lines in one write).
 *
 * Written out by hand, not with JSON.stringify(record): this runs once per exchange on the
 * agent's hot path, and concatenating the known shape (JSON.stringify only for the strings,
 * which escapes them) is several times faster than walking a fresh object tree.
 */
import type { ExchangeRecord, RequestRecord, ResponseRecord } from './record';

/**
 * A JSON string literal. Most strings on the wire need no escaping: a char scan (inlined by the
 * JIT) finds that out much more cheaply than a JSON.stringify call costs; anything that needs
 * escaping (quote, backslash, control characters, surrogates) goes to JSON.stringify.
 */
function str(s: string): string {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x22 || c === 0x5c || (c >= 0xd800 && c <= 0xdfff)) return JSON.stringify(s);
  }
  return '"' + s + '"';
}

function nullable(s: string | null): string {
  return s === null ? 'null' : str(s);
}

function headers(h: ReadonlyArray<readonly [string, string]>): string {
  let out = '[';
  for (let i = 0; i < h.length; i++) {
    const pair = h[i]!;
    out += (i === 0 ? '[' : ',[') + str(pair[0]) + ',' + str(pair[1]) + ']';
  }
  return out + ']';
}

function body(r: RequestRecord | ResponseRecord): string {
  return (
    ',"body":' + str(r.body) +
    ',"body_encoding":"' + r.body_encoding +
    '","body_size":' + r.body_size +
    ',"body_truncated":' + r.body_truncated +
    (r.content_decoded ? ',"content_decoded":true}' : '}')
  );
}

function request(r: RequestRecord): string {
  return '{"method":' + str(r.method) + ',"target":' + str(r.target) + ',"version":' + str(r.version) + ',"headers":' + headers(r.headers) + body(r);
}

function response(r: ResponseRecord | null): string {
  if (r === null) return 'null';
  return '{"status":' + r.status + ',"reason":' + str(r.reason) + ',"version":' + str(r.version) + ',"headers":' + headers(r.headers) + body(r);
}

export function toJsonLine(rec: ExchangeRecord): string {
  const p = rec.process;
  const c = rec.connection;
  return (
    '{"ts":' + str(rec.ts) +
    ',"duration_ns":' + rec.duration_ns +
    ',"direction":' + str(rec.direction) +
    ',"tls":' + rec.tls +
    ',"process":{"pid":' + p.pid + ',"comm":' + str(p.comm) + ',"container_id":' + nullable(p.container_id) +
    ',"pod":' + nullable(p.pod) + ',"namespace":' + nullable(p.namespace) + ',"service":' + nullable(p.service) +
    '},"connection":{"id":' + str(c.id) +
    ',"local":{"ip":' + str(c.local.ip) + ',"port":' + c.local.port +
    '},"remote":{"ip":' + str(c.remote.ip) + ',"port":' + c.remote.port +
    '}},"request":' + request(rec.request) +
    ',"response":' + response(rec.response) +
    (rec.incomplete !== undefined ? ',"incomplete":' + str(rec.incomplete) + '}' : '}')
  );
}
