/**
 * A minimal OTLP/HTTP trace receiver for tests: POST /v1/traces on 127.0.0.1, the body decoded
 * from OTLP/JSON (what @opentelemetry/exporter-trace-otlp-http sends) into plain spans. Any other
 * content type is refused with 415, so a change of wire format in the exporter fails the tests
 * loudly instead of decoding garbage.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export type OtlpValue = string | number | boolean | null | OtlpValue[] | { [key: string]: OtlpValue };

export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string | undefined;
  name: string;
  /** OTLP enum: 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  kind: number;
  startTimeUnixNano: bigint;
  endTimeUnixNano: bigint;
  /** OTLP enum: 0 unset, 1 ok, 2 error. */
  status: { code: number; message: string | undefined };
  attributes: Record<string, OtlpValue>;
  resource: Record<string, OtlpValue>;
  scope: { name: string; version: string | undefined };
}

export interface ReceivedRequest {
  headers: http.IncomingHttpHeaders;
  spans: ReceivedSpan[];
}

export interface OtlpReceiver {
  url: string;
  port: number;
  /** Every span accepted so far, in arrival order. */
  spans: ReceivedSpan[];
  /** Every accepted POST, with its request headers. */
  requests: ReceivedRequest[];
  /** HTTP status to answer with from now on (200 accepts; anything else refuses and keeps nothing). */
  respondWith(status: number): void;
  /** Resolves once at least `n` spans have arrived. */
  waitForSpans(n: number, timeoutMs?: number): Promise<ReceivedSpan[]>;
  close(): Promise<void>;
}

/** Starts a receiver on 127.0.0.1:`port` (0: any free port). */
export async function startOtlpReceiver(port = 0): Promise<OtlpReceiver> {
  let status = 200;
  const spans: ReceivedSpan[] = [];
  const requests: ReceivedRequest[] = [];
  let waiters: Array<() => void> = [];

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v1/traces') return answer(res, 404, 'not found');
      if (!String(req.headers['content-type']).startsWith('application/json')) {
        return answer(res, 415, `unsupported content-type ${req.headers['content-type']}`);
      }
      if (status !== 200) return answer(res, status, 'refused by test');
      let got: ReceivedSpan[];
      try {
        got = decodeTraces(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      } catch (err) {
        return answer(res, 400, String(err));
      }
      requests.push({ headers: req.headers, spans: got });
      spans.push(...got);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      const w = waiters;
      waiters = [];
      for (const f of w) f();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  const bound = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${bound}`,
    port: bound,
    spans,
    requests,
    respondWith(s) {
      status = s;
    },
    async waitForSpans(n, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      while (spans.length < n) {
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`waited ${timeoutMs} ms for ${n} spans, got ${spans.length}`);
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, left);
          waiters.push(() => {
            clearTimeout(t);
            resolve();
          });
        });
      }
      return spans;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function answer(res: http.ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'content-type': 'text/plain' }).end(text);
}

/** ExportTraceServiceRequest (OTLP/JSON) -> flat spans with their resource and scope. `any`: untyped JSON, checked as it is read. */
export function decodeTraces(body: any): ReceivedSpan[] {
  if (!body || !Array.isArray(body.resourceSpans)) throw new TypeError('body has no resourceSpans array');
  const out: ReceivedSpan[] = [];
  for (const rs of body.resourceSpans) {
    const resource = decodeAttributes(rs.resource?.attributes);
    for (const ss of rs.scopeSpans ?? []) {
      const scope = { name: String(ss.scope?.name ?? ''), version: ss.scope?.version as string | undefined };
      for (const s of ss.spans ?? []) {
        out.push({
          traceId: hexId(s.traceId, 32),
          spanId: hexId(s.spanId, 16),
          parentSpanId: s.parentSpanId ? hexId(s.parentSpanId, 16) : undefined,
          name: String(s.name),
          kind: Number(s.kind),
          // proto3 JSON writes 64-bit integers as strings; accept numbers too.
          startTimeUnixNano: BigInt(s.startTimeUnixNano),
          endTimeUnixNano: BigInt(s.endTimeUnixNano),
          status: { code: Number(s.status?.code ?? 0), message: s.status?.message },
          attributes: decodeAttributes(s.attributes),
          resource,
          scope,
        });
      }
    }
  }
  return out;
}

function hexId(v: unknown, len: number): string {
  if (typeof v !== 'string' || !new RegExp(`^[0-9a-f]{${len}}$`).test(v)) {
    throw new TypeError(`id must be ${len} lower-case hex digits (OTLP/JSON), got ${JSON.stringify(v)}`);
  }
  return v;
}

function decodeAttributes(list: any): Record<string, OtlpValue> {
  const out: Record<string, OtlpValue> = {};
  for (const kv of list ?? []) out[String(kv.key)] = decodeAnyValue(kv.value);
  return out;
}

function decodeAnyValue(v: any): OtlpValue {
  if (v == null) return null;
  if ('stringValue' in v) return String(v.stringValue);
  if ('boolValue' in v) return Boolean(v.boolValue);
  if ('intValue' in v) return Number(v.intValue);
  if ('doubleValue' in v) return Number(v.doubleValue);
  if ('bytesValue' in v) return String(v.bytesValue);
  if ('arrayValue' in v) return (v.arrayValue?.values ?? []).map(decodeAnyValue);
  if ('kvlistValue' in v) return decodeAttributes(v.kvlistValue?.values);
  return null;
}
