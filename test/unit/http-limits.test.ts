/**
 * Memory bounds and limits of the HTTP parser: whatever a peer sends, a connection holds about
 * maxHeaderBytes + maxBodyBytes per direction plus the pending requests' bodies, and the cost
 * of parsing stays linear in the input however it is chunked.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_HTTP_PARSER_LIMITS, HttpConnectionParser, resolveHttpParserOptions, type HttpExchange, type HttpParserOptions } from '../../agent/http';
import { SocktapError } from '../../agent/util/errors';

const KiB = 1024;
const MiB = 1024 * KiB;

function harness(options?: HttpParserOptions) {
  const exchanges: HttpExchange[] = [];
  const errors: string[] = [];
  const conn = new HttpConnectionParser(options, { onExchange: (e) => exchanges.push(e), onError: (d, c) => errors.push(`${d}:${c}`) });
  let maxBuffered = 0;
  const push = (dir: 'request' | 'response', data: string | Buffer, ts = 1n): void => {
    const b = typeof data === 'string' ? Buffer.from(data, 'latin1') : data;
    if (dir === 'request') conn.pushRequestBytes(b, ts);
    else conn.pushResponseBytes(b, ts);
    maxBuffered = Math.max(maxBuffered, conn.bufferedBytes);
  };
  /** Pushes `total` bytes of `fill` in chunks of `chunk`. */
  const stream = (dir: 'request' | 'response', total: number, chunk: number, fill = 0x61): void => {
    const piece = Buffer.alloc(chunk, fill);
    for (let sent = 0; sent < total; sent += chunk) push(dir, piece.subarray(0, Math.min(chunk, total - sent)));
  };
  return { conn, exchanges, errors, push, stream, maxBuffered: () => maxBuffered };
}

test('a huge header is one header_too_large, never more than maxHeaderBytes held', () => {
  const h = harness();
  h.push('request', 'GET / HTTP/1.1\r\nX-Huge: ');
  h.stream('request', 10 * MiB, 64 * KiB);
  h.push('request', '\r\n\r\nGET /after HTTP/1.1\r\n\r\n');
  h.push('response', 'HTTP/1.1 204 No Content\r\n\r\n', 2n);
  h.conn.close(3n);
  assert.deepEqual(h.errors, ['request:header_too_large']);
  assert.ok(h.maxBuffered() <= DEFAULT_HTTP_PARSER_LIMITS.maxHeaderBytes, `held ${h.maxBuffered()}`);
  assert.deepEqual(h.exchanges.map((e) => [e.request.target, e.response?.status]), [['/after', 204]]);
  assert.equal(h.conn.stats.skippedBytes.request, 'GET / HTTP/1.1\r\nX-Huge: '.length + 10 * MiB + 4);
});

test('a huge body: only maxBodyBytes kept, bodySize exact (Content-Length, chunked, to the close)', () => {
  const size = 10 * MiB;
  const h = harness();
  h.push('request', `POST /up HTTP/1.1\r\nContent-Length: ${size}\r\n\r\n`);
  h.stream('request', size, 60 * KiB, 0x62);
  h.push('request', 'POST /chunked HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n');
  const chunk = Buffer.concat([Buffer.from(`${(32 * KiB).toString(16)}\r\n`), Buffer.alloc(32 * KiB, 0x63), Buffer.from('\r\n')]);
  for (let i = 0; i < 320; i++) h.push('request', chunk);
  h.push('request', '0\r\n\r\n');
  h.push('response', 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n', 2n);
  h.push('response', 'HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n', 2n);
  h.stream('response', size, 64 * KiB, 0x64);
  h.conn.close(3n);
  assert.deepEqual(h.errors, []);
  const max = DEFAULT_HTTP_PARSER_LIMITS.maxBodyBytes;
  const [a, b] = h.exchanges;
  assert.deepEqual([a.request.body.length, a.request.bodySize, a.request.bodyTruncated], [max, size, true]);
  assert.ok(a.request.body.every((x) => x === 0x62));
  assert.deepEqual([b.request.body.length, b.request.bodySize, b.request.bodyTruncated], [max, 320 * 32 * KiB, true]);
  assert.deepEqual([b.response?.body.length, b.response?.bodySize, b.response?.bodyTruncated], [max, size, true]);
  // One kept body per direction at a time, plus a request waiting with its kept body.
  assert.ok(h.maxBuffered() <= 3 * max, `held ${h.maxBuffered()}`);
});

test('binary garbage without line ends: the resync window is bounded', () => {
  const h = harness({ maxHeaderBytes: 4 * KiB });
  h.push('response', '\x16\x03\x01');
  h.stream('response', 5 * MiB, 50 * KiB, 0x17);
  assert.ok(h.maxBuffered() <= 4 * KiB, `held ${h.maxBuffered()}`);
  assert.equal(h.conn.stats.resyncs.response, 1);
  h.conn.close(2n);
  assert.equal(h.conn.stats.skippedBytes.response, 3 + 5 * MiB);
});

test('input held while an Upgrade awaits its verdict is bounded; past the bound a decline resyncs', () => {
  const h = harness({ maxHeaderBytes: 1 * KiB });
  h.push('request', 'GET /ws HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n');
  h.stream('request', 1 * MiB, 700, 0x81);
  assert.ok(h.maxBuffered() <= 1 * KiB, `held ${h.maxBuffered()}`);
  h.push('response', 'HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n', 2n);
  h.push('request', '\r\nGET /next HTTP/1.1\r\n\r\n', 3n);
  h.push('response', 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n', 4n);
  h.conn.close(5n);
  assert.deepEqual(h.exchanges.map((e) => [e.request.target, e.response?.status]), [['/ws', 400], ['/next', 200]]);
  assert.equal(h.conn.stats.resyncs.request, 1);
});

test('requests that never get responses: at most maxPendingRequests wait, the rest are given up', () => {
  const h = harness({ maxPendingRequests: 8 });
  for (let i = 0; i < 1000; i++) h.push('request', `POST /${i} HTTP/1.1\r\nContent-Length: 100\r\n\r\n${'x'.repeat(100)}`);
  assert.equal(h.exchanges.length, 1000 - 8);
  assert.ok(h.exchanges.every((e) => e.incomplete === 'overflow'));
  assert.equal(h.errors.length, 1000 - 8);
  assert.ok(h.conn.bufferedBytes <= 9 * 100);
  h.conn.close(2n);
  assert.equal(h.exchanges.length, 1000);
});

test('byte-at-a-time input costs linear time (no re-scanning of held bytes)', () => {
  const h = harness();
  const head = Buffer.from(`GET / HTTP/1.1\r\n${'X-Filler: abcdefghijklmnopqrstuvwxyz0123456789\r\n'.repeat(200)}\r\n`);
  const garbage = Buffer.alloc(60 * KiB, 0x41);
  const start = process.hrtime.bigint();
  for (let i = 0; i < head.length; i++) h.conn.pushRequestBytes(head.subarray(i, i + 1), 1n);
  for (let i = 0; i < garbage.length; i++) h.conn.pushResponseBytes(garbage.subarray(i, i + 1), 1n);
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  assert.ok(h.conn.bufferedBytes < 64 * KiB + head.length);
  // ~70k single-byte pushes; quadratic re-scanning of 60 KiB would take minutes.
  assert.ok(ms < 5000, `took ${ms} ms`);
});

test('options: defaults in one place, bad values rejected with the option and the value', () => {
  assert.deepEqual(resolveHttpParserOptions(), DEFAULT_HTTP_PARSER_LIMITS);
  assert.deepEqual(DEFAULT_HTTP_PARSER_LIMITS, {
    maxHeaderBytes: 65536,
    maxHeaders: 256,
    maxBodyBytes: 65536,
    maxDecodedBytes: 8388608,
    maxPendingRequests: 64,
    decode: false,
  });
  assert.equal(resolveHttpParserOptions({ maxBodyBytes: 0 }).maxBodyBytes, 0);
  const rejects = (o: HttpParserOptions, message: string): void =>
    assert.throws(() => new HttpConnectionParser(o, { onExchange() {}, onError() {} }), (e: unknown) => e instanceof SocktapError && e.code === 'SOCKTAP_INVALID_ARGUMENT' && e.message === message);
  rejects({ maxHeaderBytes: 10 }, 'maxHeaderBytes must be an integer in [64, 16777216], got 10');
  rejects({ maxHeaders: 0 }, 'maxHeaders must be an integer in [1, 65536], got 0');
  rejects({ maxBodyBytes: 1.5 }, 'maxBodyBytes must be an integer in [0, 1073741824], got 1.5');
  rejects({ maxDecodedBytes: -1 }, 'maxDecodedBytes must be an integer in [1, 1073741824], got -1');
  rejects({ maxPendingRequests: 0 }, 'maxPendingRequests must be an integer in [1, 65536], got 0');
  rejects({ decode: 'yes' as unknown as boolean }, 'decode must be a boolean, got yes');
});
