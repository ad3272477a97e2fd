/**
 * Span attributes for one exchange: the stable HTTP semantic conventions
 * (https://opentelemetry.io/docs/specs/semconv/http/http-spans/) plus socktap's own `socktap.*`
 * for what the conventions have no name for (bodies, truncation, the connection id).
 */
import type { Attributes } from '@opentelemetry/api';
import {
  ATTR_CLIENT_ADDRESS,
  ATTR_CLIENT_PORT,
  ATTR_CONTAINER_ID,
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_HEADER,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_REQUEST_METHOD_ORIGINAL,
  ATTR_HTTP_RESPONSE_HEADER,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_K8S_NAMESPACE_NAME,
  ATTR_K8S_POD_NAME,
  ATTR_NETWORK_LOCAL_ADDRESS,
  ATTR_NETWORK_LOCAL_PORT,
  ATTR_NETWORK_PEER_ADDRESS,
  ATTR_NETWORK_PEER_PORT,
  ATTR_NETWORK_PROTOCOL_VERSION,
  ATTR_NETWORK_TRANSPORT,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  ATTR_URL_FULL,
  ATTR_URL_PATH,
  ATTR_URL_QUERY,
  ATTR_URL_SCHEME,
  ATTR_USER_AGENT_ORIGINAL,
} from '@opentelemetry/semantic-conventions';
import type { ExchangeRecord, RequestRecord, ResponseRecord } from '../../pipeline/record';
import { clientEndpoint, exchangeUrl, headerValue } from '../exchange-url';

// Incubating names, copied rather than imported from `semantic-conventions/incubating` as that
// package advises: its incubating exports may change in any minor release.
export const ATTR_HTTP_REQUEST_BODY_SIZE = 'http.request.body.size';
export const ATTR_HTTP_RESPONSE_BODY_SIZE = 'http.response.body.size';
export const ATTR_PROCESS_PID = 'process.pid';
export const ATTR_PROCESS_EXECUTABLE_NAME = 'process.executable.name';

/** socktap's attributes: the captured bodies and what the conventions do not cover. */
export const SOCKTAP_ATTR = {
  requestBody: 'socktap.request.body',
  requestBodyEncoding: 'socktap.request.body.encoding',
  requestBodyTruncated: 'socktap.request.body.truncated',
  requestContentDecoded: 'socktap.request.content_decoded',
  responseBody: 'socktap.response.body',
  responseBodyEncoding: 'socktap.response.body.encoding',
  responseBodyTruncated: 'socktap.response.body.truncated',
  responseContentDecoded: 'socktap.response.content_decoded',
  responseReason: 'socktap.response.reason',
  incomplete: 'socktap.incomplete',
  connectionId: 'socktap.connection.id',
  direction: 'socktap.direction',
  tls: 'socktap.tls',
  service: 'socktap.k8s.service',
} as const;

/** The methods the conventions know; any other is reported as `_OTHER` plus the original. */
const KNOWN_METHODS = new Set(['CONNECT', 'DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT', 'TRACE', 'QUERY']);

/** `http.request.method` as the conventions want it: a known method, or `_OTHER`. */
export function semconvMethod(method: string): string {
  return KNOWN_METHODS.has(method) ? method : '_OTHER';
}

/**
 * Where the process runs (Kubernetes): resource attributes, since they describe the entity that
 * produced the span; the sink groups spans by them. Undefined outside Kubernetes.
 */
export function podResourceAttributes(rec: ExchangeRecord): Attributes | undefined {
  const p = rec.process;
  if (p.pod === null && p.container_id === null) return undefined;
  const a: Attributes = {};
  if (p.container_id !== null) a[ATTR_CONTAINER_ID] = p.container_id;
  if (p.pod !== null) a[ATTR_K8S_POD_NAME] = p.pod;
  if (p.namespace !== null) a[ATTR_K8S_NAMESPACE_NAME] = p.namespace;
  if (p.service !== null) a[SOCKTAP_ATTR.service] = p.service;
  return a;
}

export function exchangeAttributes(rec: ExchangeRecord): Attributes {
  const url = exchangeUrl(rec);
  const client = clientEndpoint(rec);
  const peer = rec.connection.remote;
  const local = rec.connection.local;
  const req = rec.request;
  const res = rec.response;
  const a: Attributes = {};

  a[ATTR_HTTP_REQUEST_METHOD] = semconvMethod(req.method);
  if (a[ATTR_HTTP_REQUEST_METHOD] !== req.method) a[ATTR_HTTP_REQUEST_METHOD_ORIGINAL] = req.method;
  if (rec.direction === 'egress') a[ATTR_URL_FULL] = url.full;
  a[ATTR_URL_SCHEME] = url.scheme;
  a[ATTR_URL_PATH] = url.path;
  if (url.query !== undefined) a[ATTR_URL_QUERY] = url.query;
  a[ATTR_SERVER_ADDRESS] = url.host;
  a[ATTR_SERVER_PORT] = url.port;
  // The socket's peer: no X-Forwarded-For / Forwarded interpretation, as we cannot tell which
  // proxies are trusted.
  a[ATTR_CLIENT_ADDRESS] = client.ip;
  a[ATTR_CLIENT_PORT] = client.port;
  a[ATTR_NETWORK_PEER_ADDRESS] = peer.ip;
  a[ATTR_NETWORK_PEER_PORT] = peer.port;
  a[ATTR_NETWORK_LOCAL_ADDRESS] = local.ip;
  a[ATTR_NETWORK_LOCAL_PORT] = local.port;
  a[ATTR_NETWORK_TRANSPORT] = 'tcp';
  a[ATTR_NETWORK_PROTOCOL_VERSION] = req.version;
  const ua = headerValue(req.headers, 'user-agent');
  if (ua !== undefined) a[ATTR_USER_AGENT_ORIGINAL] = ua;
  Object.assign(a, headerAttributes(req.headers, ATTR_HTTP_REQUEST_HEADER));
  a[ATTR_HTTP_REQUEST_BODY_SIZE] = req.body_size;
  Object.assign(a, bodyAttributes(req, 'request'));

  if (res) {
    a[ATTR_HTTP_RESPONSE_STATUS_CODE] = res.status;
    a[SOCKTAP_ATTR.responseReason] = res.reason;
    Object.assign(a, headerAttributes(res.headers, ATTR_HTTP_RESPONSE_HEADER));
    a[ATTR_HTTP_RESPONSE_BODY_SIZE] = res.body_size;
    Object.assign(a, bodyAttributes(res, 'response'));
  }
  const error = errorType(rec);
  if (error !== undefined) a[ATTR_ERROR_TYPE] = error;
  if (rec.incomplete) a[SOCKTAP_ATTR.incomplete] = rec.incomplete;

  a[ATTR_PROCESS_PID] = rec.process.pid;
  a[ATTR_PROCESS_EXECUTABLE_NAME] = rec.process.comm;
  a[SOCKTAP_ATTR.connectionId] = rec.connection.id;
  a[SOCKTAP_ATTR.direction] = rec.direction;
  a[SOCKTAP_ATTR.tls] = rec.tls;
  return a;
}

/**
 * `error.type` when the conventions call this exchange failed, else undefined: the incomplete
 * reason when no complete response came, the status code as a string for a 5xx on the server side
 * or any 4xx/5xx on the client side (a 404 is the client's problem, not the server's).
 */
export function errorType(rec: ExchangeRecord): string | undefined {
  if (rec.incomplete) return rec.incomplete;
  const status = rec.response?.status;
  if (status === undefined) return undefined;
  const failed = rec.direction === 'ingress' ? status >= 500 : status >= 400;
  return failed ? String(status) : undefined;
}

/**
 * `http.{request,response}.header.<lower-case name>` = every value in wire order, so duplicates
 * survive as array items (what the conventions ask for). Redacted values stay redacted.
 */
function headerAttributes(headers: RequestRecord['headers'], key: (name: string) => string): Attributes {
  const grouped = new Map<string, string[]>();
  for (const [name, value] of headers) {
    const k = key(name.toLowerCase());
    const values = grouped.get(k);
    if (values) values.push(value);
    else grouped.set(k, [value]);
  }
  return Object.fromEntries(grouped);
}

function bodyAttributes(m: RequestRecord | ResponseRecord, side: 'request' | 'response'): Attributes {
  const k = side === 'request'
    ? { body: SOCKTAP_ATTR.requestBody, enc: SOCKTAP_ATTR.requestBodyEncoding, cut: SOCKTAP_ATTR.requestBodyTruncated, dec: SOCKTAP_ATTR.requestContentDecoded }
    : { body: SOCKTAP_ATTR.responseBody, enc: SOCKTAP_ATTR.responseBodyEncoding, cut: SOCKTAP_ATTR.responseBodyTruncated, dec: SOCKTAP_ATTR.responseContentDecoded };
  // An exchange without a body carries no body attributes: most GETs, 204s and 304s.
  if (m.body === '' && m.body_size === 0) return {};
  const a: Attributes = { [k.body]: m.body, [k.enc]: m.body_encoding, [k.cut]: m.body_truncated };
  if (m.content_decoded) a[k.dec] = true;
  return a;
}
