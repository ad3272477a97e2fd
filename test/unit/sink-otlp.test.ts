/**
 * OtlpSink against a local OTLP/HTTP receiver: the decoded spans (names, kinds, status, exact
 * attributes, nanosecond start/end, resource), and delivery under trouble (collector absent then
 * present, refusing with 500, queue overflow, close flushing).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import os from 'node:os';
import { OtlpSink, type OtlpSinkOptions } from '../../agent/sinks/otlp-sink';
import { addNanos, isoToHrTime } from '../../agent/sinks/otlp/hr-time';
import { agentVersion } from '../../agent/sinks/agent-version';
import { exchangeRecord } from '../helpers/exchange-records';
import { startOtlpReceiver, type OtlpReceiver } from '../helpers/otlp-receiver';
import { freePort } from '../helpers/procs';

const SERVER = 2;
const CLIENT = 3;
const UNSET = 0;
const ERROR = 2;
/** 2026-11-24T20:34:47Z in epoch seconds. */
const T0 = BigInt(Date.parse('2026-11-24T20:34:47Z') / 1000);

function memoryLog() {
  const lines: string[] = [];
  return { lines, log: { info: (m: string) => lines.push(`info ${m}`), warn: (m: string) => lines.push(`warn ${m}`) } };
}

function sinkFor(rx: { url: string }, extra: Partial<OtlpSinkOptions> = {}) {
  const mem = memoryLog();
  const sink = new OtlpSink({ endpoint: rx.url, log: mem.log, timeoutMs: 1000, ...extra });
  return { sink, lines: mem.lines };
}

async function until(cond: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function withReceiver(fn: (rx: OtlpReceiver) => Promise<void>): Promise<void> {
  const rx = await startOtlpReceiver();
  try {
    await fn(rx);
  } finally {
    await rx.close();
  }
}

test('ingress GET: a SERVER span with the exact HTTP attributes, nanosecond times and the resource', () =>
  withReceiver(async (rx) => {
    const { sink } = sinkFor(rx, { resource: { 'k8s.node.name': 'node-1' } });
    sink.offer(exchangeRecord());
    const [span] = await rx.waitForSpans(1);
    await sink.close();

    assert.equal(span.name, 'GET');
    assert.equal(span.kind, SERVER);
    assert.deepEqual(span.status, { code: UNSET, message: undefined });
    assert.equal(span.parentSpanId, undefined);
    assert.match(span.traceId, /^[0-9a-f]{32}$/);
    assert.equal(span.startTimeUnixNano, T0 * 1_000_000_000n + 123_456_789n);
    assert.equal(span.endTimeUnixNano, T0 * 1_000_000_000n + 123_456_789n + 182_000n);
    assert.deepEqual(span.attributes, {
      'http.request.method': 'GET',
      'url.scheme': 'http',
      'url.path': '/api/orders',
      'url.query': 'x=1',
      'server.address': 'api.local',
      'server.port': 8080,
      'client.address': '127.0.0.1',
      'client.port': 51234,
      'network.peer.address': '127.0.0.1',
      'network.peer.port': 51234,
      'network.local.address': '127.0.0.1',
      'network.local.port': 8080,
      'network.transport': 'tcp',
      'network.protocol.version': '1.1',
      'user_agent.original': 'curl/8.5.0',
      'http.request.header.host': ['api.local:8080'],
      'http.request.header.user-agent': ['curl/8.5.0'],
      'http.request.header.accept': ['*/*'],
      'http.request.body.size': 0,
      'http.response.status_code': 200,
      'socktap.response.reason': 'OK',
      'http.response.header.content-type': ['application/json'],
      'http.response.header.content-length': ['2'],
      'http.response.body.size': 2,
      'socktap.response.body': '[]',
      'socktap.response.body.encoding': 'utf8',
      'socktap.response.body.truncated': false,
      'process.pid': 4242,
      'process.executable.name': 'nginx',
      'socktap.connection.id': '4242:7:1732480487',
      'socktap.direction': 'ingress',
      'socktap.tls': false,
    });
    assert.deepEqual(span.resource, {
      'service.name': 'socktap',
      'service.version': agentVersion(),
      'host.name': os.hostname(),
      'k8s.node.name': 'node-1',
    });
    assert.deepEqual(span.scope, { name: 'socktap', version: agentVersion() });
    assert.deepEqual(sink.stats(), { sent: 1, dropped: 0, queued: 0 });
  }));

test('egress POST with a JSON body and a 404: a CLIENT span in error, url.full, server from the peer, pod fields', () =>
  withReceiver(async (rx) => {
    const { sink } = sinkFor(rx);
    sink.offer(
      exchangeRecord({
        direction: 'egress',
        tls: true,
        process: { pid: 7, comm: 'node', container_id: 'c0ffee', pod: 'web-1', namespace: 'shop', service: 'web' },
        connection: { id: '7:9:1', local: { ip: '10.0.0.5', port: 40000 }, remote: { ip: '10.0.0.9', port: 8443 } },
        request: {
          method: 'POST',
          target: '/v1/orders',
          headers: [['Content-Type', 'application/json'], ['X-Tag', 'a'], ['x-tag', 'b'], ['Authorization', '[REDACTED]']],
          body: '{"id":1}',
          body_size: 8,
        },
        response: { status: 404, reason: 'Not Found', headers: [], body: '', body_size: 0 },
      }),
    );
    const [span] = await rx.waitForSpans(1);
    await sink.close();

    assert.equal(span.name, 'POST');
    assert.equal(span.kind, CLIENT);
    assert.deepEqual(span.status, { code: ERROR, message: undefined });
    assert.deepEqual(span.attributes, {
      'http.request.method': 'POST',
      'url.full': 'https://10.0.0.9:8443/v1/orders',
      'url.scheme': 'https',
      'url.path': '/v1/orders',
      'server.address': '10.0.0.9',
      'server.port': 8443,
      'client.address': '10.0.0.5',
      'client.port': 40000,
      'network.peer.address': '10.0.0.9',
      'network.peer.port': 8443,
      'network.local.address': '10.0.0.5',
      'network.local.port': 40000,
      'network.transport': 'tcp',
      'network.protocol.version': '1.1',
      'http.request.header.content-type': ['application/json'],
      'http.request.header.x-tag': ['a', 'b'],
      'http.request.header.authorization': ['[REDACTED]'],
      'http.request.body.size': 8,
      'socktap.request.body': '{"id":1}',
      'socktap.request.body.encoding': 'utf8',
      'socktap.request.body.truncated': false,
      'http.response.status_code': 404,
      'socktap.response.reason': 'Not Found',
      'http.response.body.size': 0,
      'error.type': '404',
      'process.pid': 7,
      'process.executable.name': 'node',
      'socktap.connection.id': '7:9:1',
      'socktap.direction': 'egress',
      'socktap.tls': true,
    });
    // The pod's identity is the span's resource (OTLP groups spans by it), on top of the agent's.
    assert.equal(span.resource['service.name'], 'socktap');
    assert.equal(span.resource['container.id'], 'c0ffee');
    assert.equal(span.resource['k8s.pod.name'], 'web-1');
    assert.equal(span.resource['k8s.namespace.name'], 'shop');
    assert.equal(span.resource['socktap.k8s.service'], 'web');
  }));

test('status: 5xx is an error on both sides, 4xx only on the client side', () =>
  withReceiver(async (rx) => {
    const { sink } = sinkFor(rx);
    const cases = [
      { direction: 'ingress', status: 500, code: ERROR },
      { direction: 'ingress', status: 404, code: UNSET },
      { direction: 'ingress', status: 304, code: UNSET },
      { direction: 'egress', status: 400, code: ERROR },
      { direction: 'egress', status: 503, code: ERROR },
      { direction: 'egress', status: 302, code: UNSET },
    ] as const;
    for (const c of cases) sink.offer(exchangeRecord({ direction: c.direction, response: { status: c.status } }));
    const spans = await rx.waitForSpans(cases.length);
    await sink.close();
    assert.deepEqual(
      spans.map((s) => [s.attributes['http.response.status_code'], s.status.code, s.attributes['error.type']]),
      cases.map((c) => [c.status, c.code, c.code === ERROR ? String(c.status) : undefined]),
    );
  }));

test('incomplete exchange: ERROR with the reason, no response attributes, end = start + duration', () =>
  withReceiver(async (rx) => {
    const { sink } = sinkFor(rx);
    sink.offer(exchangeRecord({ response: null, incomplete: 'timeout', duration_ns: 30_000_000_000 }));
    const [span] = await rx.waitForSpans(1);
    await sink.close();
    assert.equal(span.kind, SERVER);
    assert.deepEqual(span.status, { code: ERROR, message: 'exchange incomplete: timeout' });
    assert.equal(span.attributes['socktap.incomplete'], 'timeout');
    assert.equal(span.attributes['error.type'], 'timeout');
    for (const k of Object.keys(span.attributes)) assert.ok(!k.startsWith('http.response.') && !k.startsWith('socktap.response.'), k);
    assert.equal(span.endTimeUnixNano - span.startTimeUnixNano, 30_000_000_000n);
  }));

test('binary bodies travel as base64 with their encoding, truncation and decoding flags', () =>
  withReceiver(async (rx) => {
    const { sink } = sinkFor(rx);
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0xff, 0x00]).toString('base64');
    sink.offer(
      exchangeRecord({
        request: { method: 'PUT', target: '/img', body: png, body_encoding: 'base64', body_size: 4096, body_truncated: true },
        response: { status: 201, body: 'ok', body_size: 2, content_decoded: true },
      }),
    );
    const [span] = await rx.waitForSpans(1);
    await sink.close();
    assert.equal(span.attributes['socktap.request.body'], png);
    assert.equal(span.attributes['socktap.request.body.encoding'], 'base64');
    assert.equal(span.attributes['socktap.request.body.truncated'], true);
    assert.equal(span.attributes['http.request.body.size'], 4096);
    assert.equal(span.attributes['socktap.response.content_decoded'], true);
    assert.equal(span.attributes['socktap.request.content_decoded'], undefined);
    assert.equal(span.attributes['url.query'], undefined);
  }));

test('an unknown method is named HTTP with http.request.method _OTHER; a traceparent makes the span its child', () =>
  withReceiver(async (rx) => {
    const { sink } = sinkFor(rx);
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const parent = '00f067aa0ba902b7';
    sink.offer(exchangeRecord({ request: { method: 'PURGE', headers: [['traceparent', `00-${traceId}-${parent}-01`]] } }));
    sink.offer(exchangeRecord({ request: { headers: [['traceparent', `00-${'0'.repeat(32)}-${parent}-01`]] } }));
    const [purge, invalid] = await rx.waitForSpans(2);
    await sink.close();
    assert.equal(purge.name, 'HTTP');
    assert.equal(purge.attributes['http.request.method'], '_OTHER');
    assert.equal(purge.attributes['http.request.method_original'], 'PURGE');
    assert.equal(purge.traceId, traceId);
    assert.equal(purge.parentSpanId, parent);
    assert.notEqual(purge.spanId, parent);
    // An all-zero trace id is invalid: the span is a root of its own trace.
    assert.equal(invalid.parentSpanId, undefined);
    assert.notEqual(invalid.traceId, '0'.repeat(32));
  }));

test('configured headers reach the collector; one request per batch', () =>
  withReceiver(async (rx) => {
    const { sink } = sinkFor(rx, { headers: { 'x-api-key': 'k123' }, batchSize: 2 });
    for (let i = 0; i < 5; i++) sink.offer(exchangeRecord({ request: { target: `/n/${i}` } }));
    await rx.waitForSpans(5);
    await sink.close();
    assert.deepEqual(rx.requests.map((r) => r.spans.length), [2, 2, 1]);
    assert.equal(rx.requests[0].headers['x-api-key'], 'k123');
    assert.deepEqual(rx.spans.map((s) => s.attributes['url.path']), ['/n/0', '/n/1', '/n/2', '/n/3', '/n/4']);
  }));

test('collector absent at start, present later: drops counted, one warning, later records delivered, nothing thrown', async () => {
  const port = await freePort();
  const { sink, lines } = sinkFor({ url: `http://127.0.0.1:${port}` }, { timeoutMs: 300 });
  for (let i = 0; i < 3; i++) sink.offer(exchangeRecord({ request: { target: `/lost/${i}` } }));
  await until(() => sink.stats().dropped === 3, '3 drops');
  sink.offer(exchangeRecord({ request: { target: '/lost/3' } }));
  await until(() => sink.stats().dropped === 4, '4 drops');
  assert.equal(lines.length, 1);
  assert.match(lines[0], new RegExp(`^warn otlp: export to http://127.0.0.1:${port}/v1/traces failed \\(ECONNREFUSED\\)`));

  const rx = await startOtlpReceiver(port);
  try {
    sink.offer(exchangeRecord({ request: { target: '/kept/0' } }));
    sink.offer(exchangeRecord({ request: { target: '/kept/1' } }));
    await rx.waitForSpans(2);
    await sink.close();
    assert.deepEqual(rx.spans.map((s) => s.attributes['url.path']), ['/kept/0', '/kept/1']);
    assert.deepEqual(sink.stats(), { sent: 2, dropped: 4, queued: 0 });
    assert.equal(lines.length, 2);
    assert.equal(lines[1], `info otlp: collector at http://127.0.0.1:${port}/v1/traces accepts spans again (4 spans dropped meanwhile)`);
  } finally {
    await rx.close();
  }
});

test('collector answering 500: every refused span counted, one warning for the whole outage', () =>
  withReceiver(async (rx) => {
    const { sink, lines } = sinkFor(rx, { batchSize: 1 });
    rx.respondWith(500);
    for (let i = 0; i < 4; i++) sink.offer(exchangeRecord());
    await until(() => sink.stats().dropped === 4, '4 drops');
    assert.deepEqual(lines, [`warn otlp: export to ${rx.url}/v1/traces failed (HTTP 500 Internal Server Error); spans are dropped and counted until the collector accepts them`]);
    rx.respondWith(200);
    sink.offer(exchangeRecord());
    await rx.waitForSpans(1);
    await sink.close();
    assert.deepEqual(sink.stats(), { sent: 1, dropped: 4, queued: 0 });
    assert.equal(lines.length, 2);
  }));

test('queue overflow: records beyond queueSize are counted as dropped at once', () =>
  withReceiver(async (rx) => {
    const { sink } = sinkFor(rx, { queueSize: 3 });
    // Offered in one turn: the delivery loop starts on the next, so the queue holds 3 and refuses 7.
    for (let i = 0; i < 10; i++) sink.offer(exchangeRecord({ request: { target: `/q/${i}` } }));
    assert.deepEqual(sink.stats(), { sent: 0, dropped: 7, queued: 3 });
    await rx.waitForSpans(3);
    await sink.close();
    assert.deepEqual(rx.spans.map((s) => s.attributes['url.path']), ['/q/0', '/q/1', '/q/2']);
    assert.deepEqual(sink.stats(), { sent: 3, dropped: 7, queued: 0 });
  }));

test('close delivers what is queued, then refuses (counts) later offers', () =>
  withReceiver(async (rx) => {
    const { sink } = sinkFor(rx, { batchSize: 64 });
    for (let i = 0; i < 300; i++) sink.offer(exchangeRecord());
    await sink.close();
    assert.equal(rx.spans.length, 300);
    assert.deepEqual(sink.stats(), { sent: 300, dropped: 0, queued: 0 });
    sink.offer(exchangeRecord());
    assert.deepEqual(sink.stats(), { sent: 300, dropped: 1, queued: 0 });
  }));

test('close against an absent collector returns within its timeout and counts everything dropped', async () => {
  const port = await freePort();
  // timeoutMs 3 s: the exporter retries ECONNREFUSED (after ~1 s, ~1.5 s) within it; close must not
  // wait for that. (The retry timer itself cannot be cancelled: it keeps the process up to 3 s.)
  const { sink } = sinkFor({ url: `http://127.0.0.1:${port}` }, { timeoutMs: 3000 });
  for (let i = 0; i < 5; i++) sink.offer(exchangeRecord());
  const started = Date.now();
  await sink.close(300);
  assert.ok(Date.now() - started < 1500, `close took ${Date.now() - started} ms`);
  assert.equal(sink.stats().sent, 0);
  assert.equal(sink.stats().queued, 0);
});

test('a malformed timestamp costs only its own record', () =>
  withReceiver(async (rx) => {
    const { sink, lines } = sinkFor(rx);
    sink.offer(exchangeRecord({ ts: 'yesterday' }));
    await until(() => sink.stats().dropped === 1, 'the lone bad record dropped');
    assert.deepEqual(sink.stats(), { sent: 0, dropped: 1, queued: 0 });
    sink.offer(exchangeRecord({ ts: 'yesterday' }));
    sink.offer(exchangeRecord());
    await rx.waitForSpans(1);
    await sink.close();
    assert.deepEqual(sink.stats(), { sent: 1, dropped: 2, queued: 0 });
    assert.equal(rx.requests.length, 1);
    assert.match(lines[0], /^warn otlp: exchange record skipped: timestamp must be an ISO-8601 UTC time/);
  }));

test('a batch refused by the collector counts each of its records once, skipped ones included', () =>
  withReceiver(async (rx) => {
    const { sink } = sinkFor(rx);
    rx.respondWith(400);
    sink.offer(exchangeRecord({ ts: 'yesterday' }));
    sink.offer(exchangeRecord());
    sink.offer(exchangeRecord());
    await sink.close();
    assert.deepEqual(sink.stats(), { sent: 0, dropped: 3, queued: 0 });
  }));

test('hr-time: nanosecond ISO strings to HrTime and back without float rounding', () => {
  assert.deepEqual(isoToHrTime('2026-11-24T20:34:47.123456789Z'), [Number(T0), 123_456_789]);
  assert.deepEqual(isoToHrTime('2026-11-24T20:34:47.5Z'), [Number(T0), 500_000_000]);
  assert.deepEqual(isoToHrTime('2026-11-24T20:34:47Z'), [Number(T0), 0]);
  assert.throws(() => isoToHrTime('2026-11-24 20:34:47Z'), RangeError);
  assert.throws(() => isoToHrTime('2026-13-45T20:34:47Z'), RangeError);
  assert.deepEqual(addNanos([10, 999_999_999], 1), [11, 0]);
  assert.deepEqual(addNanos([10, 500_000_000], 2_700_000_001), [13, 200_000_001]);
});
