/**
 * Where an exchange went, as the sinks that need a URL see it (OTLP `url.*` / `server.*`, HAR
 * `request.url`): one place decides scheme, authority, path and query from the record, so the
 * two sinks can never describe the same exchange with different URLs.
 */
import type { ExchangeRecord } from '../pipeline/record';

export interface ExchangeUrl {
  scheme: 'http' | 'https';
  /** Server host as the client named it (Host header), else the server's IP. No brackets. */
  host: string;
  /** Server port: from the Host header (or the scheme's default when it names none), else the socket's. */
  port: number;
  /** Absolute URL: `scheme://authority/path?query`, or the target itself when it is absolute. */
  full: string;
  /** The target's path, raw as on the wire (not decoded). */
  path: string;
  /** The target's query without `?`, raw; undefined when the target has no `?`. */
  query: string | undefined;
}

const ABSOLUTE = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//;

/** First value of header `name` (case-insensitive), as the record holds it. */
export function headerValue(headers: Iterable<readonly [string, string]>, name: string): string | undefined {
  const lower = name.toLowerCase();
  for (const [n, v] of headers) if (n.toLowerCase() === lower) return v;
  return undefined;
}

/** The server side of the connection: ours for ingress (we accepted), the peer's for egress. */
export function serverEndpoint(rec: ExchangeRecord): { ip: string; port: number } {
  return rec.direction === 'ingress' ? rec.connection.local : rec.connection.remote;
}

/** The client side of the connection: the peer for ingress, ours for egress. */
export function clientEndpoint(rec: ExchangeRecord): { ip: string; port: number } {
  return rec.direction === 'ingress' ? rec.connection.remote : rec.connection.local;
}

export function exchangeUrl(rec: ExchangeRecord): ExchangeUrl {
  const scheme = rec.tls ? 'https' : 'http';
  const target = rec.request.target;
  const server = serverEndpoint(rec);
  const hostHeader = headerValue(rec.request.headers, 'host')?.trim();
  const named = hostHeader ? splitHostPort(hostHeader) : undefined;
  const host = named?.host ?? server.ip;
  const port = named ? (named.port ?? (scheme === 'https' ? 443 : 80)) : server.port;
  const authority = hostHeader || authorityOf(server.ip, server.port, scheme);

  if (ABSOLUTE.test(target)) {
    // absolute-form (requests to a proxy): the target is the URL.
    const rest = target.slice(target.indexOf('//') + 2);
    const slash = rest.search(/[/?]/);
    return { scheme, host, port, full: target, ...splitTarget(slash < 0 ? '/' : rest.slice(slash)) };
  }
  // origin-form `/p?q`; asterisk-form `*` and authority-form `h:p` (CONNECT) have no path of their own.
  const parts = target.startsWith('/') ? splitTarget(target) : { path: target, query: undefined };
  const full = `${scheme}://${authority}${target.startsWith('/') ? target : `/${target}`}`;
  return { scheme, host, port, full, ...parts };
}

function splitTarget(target: string): { path: string; query: string | undefined } {
  const q = target.indexOf('?');
  return q < 0 ? { path: target, query: undefined } : { path: target.slice(0, q), query: target.slice(q + 1) };
}

/** `example.com:8080` -> {example.com, 8080}; `[::1]:80` -> {::1, 80}; a bad port is ignored. */
export function splitHostPort(value: string): { host: string; port: number | undefined } {
  const v6 = /^\[([^\]]*)\](?::(\d+))?$/.exec(value);
  if (v6) return { host: v6[1], port: toPort(v6[2]) };
  const colon = value.lastIndexOf(':');
  if (colon > 0 && value.indexOf(':') === colon) return { host: value.slice(0, colon), port: toPort(value.slice(colon + 1)) };
  return { host: value, port: undefined };
}

function toPort(s: string | undefined): number | undefined {
  if (s === undefined || !/^\d{1,5}$/.test(s)) return undefined;
  const n = Number(s);
  return n <= 65535 ? n : undefined;
}

function authorityOf(ip: string, port: number, scheme: 'http' | 'https'): string {
  const host = ip.includes(':') ? `[${ip}]` : ip;
  return port === (scheme === 'https' ? 443 : 80) ? host : `${host}:${port}`;
}
