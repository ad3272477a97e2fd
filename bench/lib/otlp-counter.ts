/**
 * A discarding OTLP/HTTP trace receiver for benchmarks: accepts POST /v1/traces on 127.0.0.1 and
 * counts spans without decoding them. socktap's exporter sends OTLP/JSON (agent/sinks/otlp-sink.ts),
 * where every span carries exactly one `"spanId":"…"` member (a parent is `parentSpanId`), so
 * counting that needle counts spans; the benchmark URL's spans are those whose `url.path` value is
 * the served file. A byte search is a few per cent of a core at 50k spans/s where JSON.parse of the
 * same bodies would take a large share of the core the server and the client need.
 * (test/helpers/otlp-receiver.ts decodes every span, for tests that check their content.)
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ExchangeCounter } from './agent-process';

export interface OtlpCounter extends ExchangeCounter {
  /** Base URL for `socktap run --otlp` (`/v1/traces` is appended by the exporter). */
  readonly url: string;
  /** Export requests answered 200. */
  requests(): number;
  /** Requests refused: wrong path, method or content type (a changed exporter shows here). */
  refused(): number;
}

const SPAN_NEEDLE = Buffer.from('"spanId":"');

/** Occurrences of `needle` in `hay`. */
export function countOccurrences(hay: Buffer, needle: Buffer): number {
  let n = 0;
  for (let at = hay.indexOf(needle); at >= 0; at = hay.indexOf(needle, at + needle.length)) n++;
  return n;
}

/** The OTLP/JSON `url.path` attribute of a span for `urlPath` (e.g. `/body.json`). */
export function urlPathNeedle(urlPath: string): Buffer {
  return Buffer.from(`{"key":"url.path","value":{"stringValue":${JSON.stringify(urlPath)}}}`);
}

/** Listens on 127.0.0.1 (a free port) and counts the spans posted to /v1/traces. */
export async function startOtlpCounter(urlPath: string): Promise<OtlpCounter> {
  const urlNeedle = urlPathNeedle(urlPath);
  let spans = 0;
  let matching = 0;
  let requests = 0;
  let refused = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v1/traces' || !String(req.headers['content-type']).startsWith('application/json')) {
        refused++;
        res.writeHead(req.url === '/v1/traces' ? 415 : 404).end();
        return;
      }
      const body = Buffer.concat(chunks);
      spans += countOccurrences(body, SPAN_NEEDLE);
      matching += countOccurrences(body, urlNeedle);
      requests++;
      // An empty ExportTraceServiceResponse: full success.
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received: () => spans,
    matching: () => matching,
    requests: () => requests,
    refused: () => refused,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
