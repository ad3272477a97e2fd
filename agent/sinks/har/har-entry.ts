/**
 * One exchange record as a HAR 1.2 entry (http://www.softwareishard.com/blog/har-12-spec/).
 * Where HAR has no field for what socktap knows, custom fields (names starting with `_`, which the
 * spec allows anywhere) carry it; where socktap does not know what HAR asks, the spec's "unknown"
 * value is used (-1 for sizes, `x-unknown` for a missing MIME type, as browsers write it).
 */
import type { ExchangeRecord, RequestRecord, ResponseRecord } from '../../pipeline/record';
import { exchangeUrl, headerValue, serverEndpoint } from '../exchange-url';

export interface HarNameValue {
  name: string;
  value: string;
}

export interface HarContent {
  size: number;
  mimeType: string;
  text?: string;
  encoding?: 'base64';
  /** Custom: the text holds only the first `max_body_bytes` of the body. */
  _truncated?: true;
}

export interface HarPostData {
  mimeType: string;
  text: string;
  /**
   * Custom: `base64` when the body was not UTF-8. HAR 1.2 defines `encoding` only for response
   * content, so the request side says it in a custom field of the same meaning.
   */
  _encoding?: 'base64';
  _truncated?: true;
}

export interface HarEntry {
  startedDateTime: string;
  time: number;
  request: {
    method: string;
    url: string;
    httpVersion: string;
    cookies: [];
    headers: HarNameValue[];
    queryString: HarNameValue[];
    postData?: HarPostData;
    headersSize: -1;
    bodySize: number;
  };
  response: {
    status: number;
    statusText: string;
    httpVersion: string;
    cookies: [];
    headers: HarNameValue[];
    content: HarContent;
    redirectURL: string;
    headersSize: -1;
    bodySize: number;
  };
  cache: Record<string, never>;
  timings: { blocked: -1; dns: -1; connect: -1; ssl: -1; send: number; wait: number; receive: number };
  serverIPAddress: string;
  connection: string;
  /** Custom: why the exchange did not finish (`closed`, `timeout`, ...); the response is then status 0 when none came. */
  _incomplete?: string;
  /** Custom: what the record knows beyond HAR, at full precision. */
  _socktap: {
    ts: string;
    duration_ns: number;
    direction: ExchangeRecord['direction'];
    tls: boolean;
    process: ExchangeRecord['process'];
  };
}

const UNKNOWN_MIME = 'x-unknown';

export function harEntry(rec: ExchangeRecord): HarEntry {
  const url = exchangeUrl(rec);
  const req = rec.request;
  const time = rec.duration_ns / 1e6;
  const entry: HarEntry = {
    startedDateTime: toMillisIso(rec.ts),
    time,
    request: {
      method: req.method,
      url: url.full,
      httpVersion: `HTTP/${req.version}`,
      // Cookies stay in `headers` only: they are redacted by default, and a parsed "[REDACTED]"
      // cookie would be noise.
      cookies: [],
      headers: nameValues(req.headers),
      queryString: url.query === undefined ? [] : [...new URLSearchParams(url.query)].map(([name, value]) => ({ name, value })),
      headersSize: -1,
      bodySize: wireBodySize(req),
    },
    response: rec.response ? harResponse(rec.response) : noResponse(),
    cache: {},
    // Only the total is measured (first request byte to last response byte); HAR requires
    // send/wait/receive and forbids -1 there, so the total is the wait and the others are 0.
    timings: { blocked: -1, dns: -1, connect: -1, ssl: -1, send: 0, wait: time, receive: 0 },
    serverIPAddress: serverEndpoint(rec).ip,
    connection: rec.connection.id,
    _socktap: { ts: rec.ts, duration_ns: rec.duration_ns, direction: rec.direction, tls: rec.tls, process: rec.process },
  };
  if (req.body !== '' || req.body_size > 0) entry.request.postData = postData(req);
  if (rec.incomplete) entry._incomplete = rec.incomplete;
  return entry;
}

/** HAR dates are ISO 8601 with milliseconds; the record's nanoseconds stay in `_socktap.ts`. */
export function toMillisIso(ts: string): string {
  const m = /^(.*T\d{2}:\d{2}:\d{2})(?:\.(\d+))?Z$/.exec(ts);
  return m ? `${m[1]}.${(m[2] ?? '').slice(0, 3).padEnd(3, '0')}Z` : ts;
}

function harResponse(res: ResponseRecord): HarEntry['response'] {
  const content: HarContent = { size: res.body_size, mimeType: headerValue(res.headers, 'content-type') ?? UNKNOWN_MIME };
  if (res.body !== '') content.text = res.body;
  if (res.body_encoding === 'base64') content.encoding = 'base64';
  if (res.body_truncated) content._truncated = true;
  return {
    status: res.status,
    statusText: res.reason,
    httpVersion: `HTTP/${res.version}`,
    cookies: [],
    headers: nameValues(res.headers),
    content,
    redirectURL: headerValue(res.headers, 'location') ?? '',
    headersSize: -1,
    bodySize: wireBodySize(res),
  };
}

/** No response came: status 0, as browsers record a request that got no answer. */
function noResponse(): HarEntry['response'] {
  return {
    status: 0,
    statusText: '',
    httpVersion: '',
    cookies: [],
    headers: [],
    content: { size: 0, mimeType: UNKNOWN_MIME },
    redirectURL: '',
    headersSize: -1,
    bodySize: -1,
  };
}

function postData(req: RequestRecord): HarPostData {
  const pd: HarPostData = { mimeType: headerValue(req.headers, 'content-type') ?? UNKNOWN_MIME, text: req.body };
  if (req.body_encoding === 'base64') pd._encoding = 'base64';
  if (req.body_truncated) pd._truncated = true;
  return pd;
}

/** Bytes on the wire; unknown (-1) when the record holds the decoded size (content_decoded). */
function wireBodySize(m: RequestRecord | ResponseRecord): number {
  return m.content_decoded ? -1 : m.body_size;
}

function nameValues(headers: Iterable<readonly [string, string]>): HarNameValue[] {
  return Array.from(headers, ([name, value]) => ({ name, value }));
}
