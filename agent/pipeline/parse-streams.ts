/**
 * The parser on its own: HTTP/1.x exchanges from the two byte streams of one connection
 * (client->server and server->client), as `socktap parse` offers it for captures made elsewhere
 * (tcpflow output, a proxy's dump). Requests are fed first: responses are paired to requests in
 * order, so they never need to be interleaved by time.
 */
import { HttpConnectionParser } from '../http';
import { MonotonicClock } from '../capture/clock';
import { DEFAULT_REDACT_HEADERS } from '../config/schema';
import { RecordBuilder, type ExchangeRecord } from './record';

export interface ParsedExchange {
  request: ExchangeRecord['request'];
  response: ExchangeRecord['response'];
  incomplete?: ExchangeRecord['incomplete'];
}

export interface ParseStreamsOptions {
  /** @default 65536 */
  maxBodyBytes?: number;
  /** Decode gzip/deflate/br bodies. @default false */
  decodeContent?: boolean;
  /** @default DEFAULT_REDACT_HEADERS */
  redactHeaders?: readonly string[];
}

export interface ParseStreamsResult {
  exchanges: ParsedExchange[];
  requestParseErrors: number;
  responseParseErrors: number;
}

export function parseStreams(clientToServer: Buffer, serverToClient: Buffer, options: ParseStreamsOptions = {}): ParseStreamsResult {
  const builder = new RecordBuilder(new MonotonicClock(), options.redactHeaders ?? DEFAULT_REDACT_HEADERS);
  // The record builder wants a connection; only the messages are kept from what it builds.
  const conn = { id: '', pid: 0, comm: '', local: { ip: '', port: 0 }, remote: { ip: '', port: 0 }, direction: 'ingress' as const, tls: false };
  const result: ParseStreamsResult = { exchanges: [], requestParseErrors: 0, responseParseErrors: 0 };
  const parser = new HttpConnectionParser(
    { maxBodyBytes: options.maxBodyBytes ?? 65536, decode: options.decodeContent ?? false },
    {
      onExchange: (ex) => {
        const r = builder.build(ex, conn);
        const out: ParsedExchange = { request: r.request, response: r.response };
        if (r.incomplete) out.incomplete = r.incomplete;
        result.exchanges.push(out);
      },
      onError: (side) => (side === 'request' ? result.requestParseErrors++ : result.responseParseErrors++),
    },
  );
  parser.pushRequestBytes(clientToServer, 0n);
  parser.pushResponseBytes(serverToClient, 1n);
  parser.close(2n);
  return result;
}
