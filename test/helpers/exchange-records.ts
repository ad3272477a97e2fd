/** Hand-built exchange records (DESIGN.md §3) for sink tests: one base, overridden per case. */
import type { ExchangeRecord, RequestRecord, ResponseRecord } from '../../agent/pipeline/record';

type Overrides = Partial<Omit<ExchangeRecord, 'request' | 'response'>> & {
  request?: Partial<RequestRecord>;
  response?: Partial<ResponseRecord> | null;
};

export function exchangeRecord(o: Overrides = {}): ExchangeRecord {
  const { request, response, ...top } = o;
  const rec: ExchangeRecord = {
    ts: '2026-11-24T20:34:47.123456789Z',
    duration_ns: 182_000,
    direction: 'ingress',
    tls: false,
    process: { pid: 4242, comm: 'nginx', container_id: null, pod: null, namespace: null, service: null },
    connection: { id: '4242:7:1732480487', local: { ip: '127.0.0.1', port: 8080 }, remote: { ip: '127.0.0.1', port: 51234 } },
    request: {
      method: 'GET',
      target: '/api/orders?x=1',
      version: '1.1',
      headers: [['Host', 'api.local:8080'], ['User-Agent', 'curl/8.5.0'], ['Accept', '*/*']],
      body: '',
      body_encoding: 'utf8',
      body_size: 0,
      body_truncated: false,
      ...request,
    },
    response:
      response === null
        ? null
        : {
            status: 200,
            reason: 'OK',
            version: '1.1',
            headers: [['Content-Type', 'application/json'], ['Content-Length', '2']],
            body: '[]',
            body_encoding: 'utf8',
            body_size: 2,
            body_truncated: false,
            ...response,
          },
    ...top,
  };
  return rec;
}

/**
 * The record with its header fields as [name, value] pairs: RecordBuilder gives the parsed
 * HeaderFields, which deepEqual would compare as bytes and offsets rather than as the fields.
 */
export function withHeaderPairs(r: ExchangeRecord): ExchangeRecord {
  return {
    ...r,
    request: { ...r.request, headers: [...r.request.headers] },
    response: r.response && { ...r.response, headers: [...r.response.headers] },
  };
}
