/**
 * The exchange record as the UDS and stdout sinks write it: one JSON object, keys in the order
 * of DESIGN.md §3 whatever order the record object was built in. No trailing newline: the sink
 * adds it (and may join many lines in one write).
 */
import type { ExchangeRecord, RequestRecord, ResponseRecord } from './record';

export function toJsonLine(rec: ExchangeRecord): string {
  const p = rec.process;
  const c = rec.connection;
  const ordered: Record<string, unknown> = {
    ts: rec.ts,
    duration_ns: rec.duration_ns,
    direction: rec.direction,
    tls: rec.tls,
    process: {
      pid: p.pid,
      comm: p.comm,
      container_id: p.container_id,
      pod: p.pod,
      namespace: p.namespace,
      service: p.service,
    },
    connection: {
      id: c.id,
      local: { ip: c.local.ip, port: c.local.port },
      remote: { ip: c.remote.ip, port: c.remote.port },
    },
    request: request(rec.request),
    response: rec.response && response(rec.response),
  };
  if (rec.incomplete !== undefined) ordered.incomplete = rec.incomplete;
  return JSON.stringify(ordered);
}

function request(r: RequestRecord): Record<string, unknown> {
  return withBody({ method: r.method, target: r.target, version: r.version, headers: r.headers }, r);
}

function response(r: ResponseRecord): Record<string, unknown> {
  return withBody({ status: r.status, reason: r.reason, version: r.version, headers: r.headers }, r);
}

function withBody(head: Record<string, unknown>, r: RequestRecord | ResponseRecord): Record<string, unknown> {
  head.body = r.body;
  head.body_encoding = r.body_encoding;
  head.body_size = r.body_size;
  head.body_truncated = r.body_truncated;
  if (r.content_decoded) head.content_decoded = true;
  return head;
}
