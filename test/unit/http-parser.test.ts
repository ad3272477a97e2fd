/**
 * HTTP/1.x parser rules, table-driven. Every case is run whole, then with each step split at
 * every byte boundary, then in random chunks: the outcome (exchanges with all their fields,
 * errors, resyncs, counters) must be identical, because the parser's result may not depend on
 * how the capture happened to cut the streams.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as zlib from 'node:zlib';
import { HttpConnectionParser, type HttpConnectionStats, type HttpDirection, type HttpExchange, type HttpParserOptions } from '../../agent/http';
import { prng } from '../helpers/random';

type Step = { req: string | Buffer } | { res: string | Buffer } | { gap: HttpDirection; len: number };

interface Case {
  name: string;
  steps: Step[];
  options?: HttpParserOptions;
  /** How the connection ends. @default 'close' */
  end?: 'close' | 'expire';
  /** Exchanges as `summary` writes them, in emission order. */
  exchanges: string[];
  /** `direction:code`, in order. @default [] */
  errors?: string[];
  /** [request, response]. @default [0, 0] */
  resyncs?: [number, number];
  upgrades?: number;
  check?: (out: Outcome) => void;
}

interface Outcome {
  exchanges: HttpExchange[];
  errors: string[];
  resyncs: HttpDirection[];
  stats: HttpConnectionStats;
}

/** A message: head lines, CRLF line ends, the empty line, then the body. */
function m(head: string[], body = ''): string {
  return `${head.join('\r\n')}\r\n\r\n${body}`;
}

function bodyText(msg: { body: Buffer; bodySize: number; bodyTruncated: boolean }): string {
  const b = JSON.stringify(msg.body.toString('latin1'));
  return msg.bodyTruncated ? `${b}/${msg.bodySize}` : b;
}

/** `METHOD target [body] -> status [body] [incomplete] [upgraded x]` */
function summary(e: HttpExchange): string {
  const q = e.request;
  let s = `${q.method} ${q.target}`;
  if (q.bodySize > 0 || q.bodyTruncated) s += ` ${bodyText(q)}`;
  s += ' -> ';
  const r = e.response;
  s += r === null ? 'none' : String(r.status);
  if (r !== null && (r.bodySize > 0 || r.bodyTruncated)) s += ` ${bodyText(r)}`;
  if (e.incomplete) s += ` [${e.incomplete}]`;
  if (e.upgraded) s += ` [upgraded ${e.upgraded}]`;
  return s;
}

function bytesOf(step: Step): Buffer | null {
  if ('req' in step) return Buffer.isBuffer(step.req) ? step.req : Buffer.from(step.req, 'latin1');
  if ('res' in step) return Buffer.isBuffer(step.res) ? step.res : Buffer.from(step.res, 'latin1');
  return null;
}

/** Runs a case; `chunk(stepIndex, bytes)` decides how each data step is cut. Step i has ts i+1. */
function run(c: Case, chunk: (i: number, b: Buffer) => Buffer[]): Outcome {
  const exchanges: HttpExchange[] = [];
  const errors: string[] = [];
  const resyncs: HttpDirection[] = [];
  const conn = new HttpConnectionParser(c.options, {
    onExchange: (e) => exchanges.push(e),
    onError: (d, code) => errors.push(`${d}:${code}`),
    onResync: (d) => resyncs.push(d),
  });
  c.steps.forEach((step, i) => {
    const ts = BigInt(i + 1);
    if ('gap' in step) return conn.gap(step.gap, step.len);
    const b = bytesOf(step) as Buffer;
    for (const piece of chunk(i, b)) {
      // The caller's buffer is valid only during the push: reuse it at once, so a parser that
      // kept a view instead of copying would show garbage.
      const reused = Buffer.from(piece);
      if ('req' in step) conn.pushRequestBytes(reused, ts);
      else conn.pushResponseBytes(reused, ts);
      reused.fill(0x7e);
    }
  });
  const endNs = BigInt(c.steps.length + 1);
  if ((c.end ?? 'close') === 'close') conn.close(endNs);
  else conn.expire(endNs);
  return { exchanges, errors, resyncs, stats: conn.stats };
}

function randomChunks(b: Buffer, rnd: () => number): Buffer[] {
  const out: Buffer[] = [];
  let i = 0;
  while (i < b.length) {
    const n = 1 + Math.floor(rnd() * Math.min(b.length - i, rnd() < 0.5 ? 4 : 64));
    out.push(b.subarray(i, i + n));
    i += n;
  }
  return out;
}

function checkCase(c: Case): void {
  const whole = run(c, (_i, b) => [b]);
  assert.deepEqual(whole.exchanges.map(summary), c.exchanges, 'exchanges');
  assert.deepEqual(whole.errors, c.errors ?? [], 'errors');
  assert.deepEqual([whole.stats.resyncs.request, whole.stats.resyncs.response], c.resyncs ?? [0, 0], 'resyncs');
  assert.equal(whole.stats.upgrades, c.upgrades ?? 0, 'upgrades');
  assert.equal(whole.stats.exchanges, c.exchanges.length);
  assert.equal(whole.resyncs.length, whole.stats.resyncs.request + whole.stats.resyncs.response);
  c.check?.(whole);

  c.steps.forEach((step, s) => {
    const b = bytesOf(step);
    if (b === null) return;
    for (let k = 1; k < b.length; k++) {
      const split = run(c, (i, bytes) => {
        if (i !== s) return [bytes];
        return [bytes.subarray(0, k), bytes.subarray(k)];
      });
      assert.deepEqual(split, whole, `step ${s} split at ${k}`);
    }
  });
  const rnd = prng(c.name.length * 7919);
  for (let round = 0; round < 20; round++) {
    const chunked = run(c, (_i, bytes) => randomChunks(bytes, rnd));
    assert.deepEqual(chunked, whole, `random chunking round ${round}`);
  }
}

const ok0 = m(['HTTP/1.1 200 OK', 'Content-Length: 0']);
const ok = (body: string): string => m(['HTTP/1.1 200 OK', `Content-Length: ${body.length}`], body);
const get = (target: string, ...headers: string[]): string => m([`GET ${target} HTTP/1.1`, ...headers]);
const latin1 = (b: Buffer): string => b.toString('latin1');
const gzipResponse = (text: string): string => {
  const gz = zlib.gzipSync(text);
  return m(['HTTP/1.1 200 OK', 'Content-Encoding: gzip', `Content-Length: ${gz.length}`], latin1(gz));
};

const cases: Case[] = [
  // Start lines, versions, headers
  {
    name: 'GET and a Content-Length response (HTTP/1.1)',
    steps: [{ req: get('/a', 'Host: example') }, { res: ok('hello') }],
    exchanges: ['GET /a -> 200 "hello"'],
    check: ({ exchanges: [e] }) => {
      assert.equal(e.request.version, '1.1');
      assert.deepEqual(e.request.headers.toArray(), [['Host', 'example']]);
      assert.equal(e.response?.reason, 'OK');
      assert.equal(e.response?.bodySize, 5);
      assert.equal(e.incomplete, undefined);
      assert.deepEqual([e.requestStartNs, e.requestEndNs, e.responseStartNs, e.responseEndNs], [1n, 1n, 2n, 2n]);
    },
  },
  {
    name: 'HTTP/1.0: a response without length ends at the close',
    steps: [{ req: m(['GET /old HTTP/1.0']) }, { res: m(['HTTP/1.0 200 OK', 'Content-Type: text/plain'], 'until close') }],
    exchanges: ['GET /old -> 200 "until close"'],
    check: ({ exchanges: [e] }) => {
      assert.equal(e.request.version, '1.0');
      assert.equal(e.response?.version, '1.0');
      assert.equal(e.endedNs, undefined);
    },
  },
  {
    name: 'header order, case and duplicates are kept; obs-fold joins with one space; OWS trimmed',
    steps: [
      { req: 'GET / HTTP/1.1\r\nHost: a\r\nX-Dup: 1\r\nx-dup: 2\r\nX-Fold: first\r\n   second\r\n\tthird\r\nX-Empty:\r\nX-Ws :  padded \t\r\nX-Latin: caf\xe9\xa0\r\n\r\n' },
      { res: m(['HTTP/1.1 204 No Content', 'SERVER: t']) },
    ],
    exchanges: ['GET / -> 204'],
    check: ({ exchanges: [e] }) => {
      assert.deepEqual(e.request.headers.toArray(), [
        ['Host', 'a'],
        ['X-Dup', '1'],
        ['x-dup', '2'],
        ['X-Fold', 'first second third'],
        ['X-Empty', ''],
        ['X-Ws', 'padded'],
        ['X-Latin', 'caf\xe9\xa0'],
      ]);
      assert.deepEqual(e.response?.headers.toArray(), [['SERVER', 't']]);
    },
  },
  {
    // Whole, the second head lies in the chunk at an offset: its fields are found while the
    // scanner delimits it and moved to the head's own bytes (the obs-fold's marker included).
    name: 'pipelined heads in one chunk: the later one\'s fields, an obs-fold among them, are its own',
    steps: [
      { req: `${get('/one', 'Host: a')}GET /two HTTP/1.1\r\nHost: b\r\nX-Fold: first\r\n second\r\nAuthorization: t\r\n\r\n` },
      { res: `${ok('1')}${m(['HTTP/1.1 200 OK', 'Content-Length: 1', 'X-R: folded', ' too'], '2')}` },
    ],
    exchanges: ['GET /one -> 200 "1"', 'GET /two -> 200 "2"'],
    check: ({ exchanges: [, e] }) => {
      assert.deepEqual(e.request.headers.toArray(), [['Host', 'b'], ['X-Fold', 'first second'], ['Authorization', 't']]);
      assert.deepEqual([e.request.headers.valueIsRange(1), e.request.headers.valueIsRange(2)], [false, true]);
      assert.deepEqual(e.response?.headers.toArray(), [['Content-Length', '1'], ['X-R', 'folded too']]);
    },
  },
  {
    name: 'a status line without a reason phrase',
    steps: [{ req: get('/r') }, { res: 'HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n' }],
    exchanges: ['GET /r -> 200'],
    check: ({ exchanges: [e] }) => assert.equal(e.response?.reason, ''),
  },
  {
    name: 'bare LF line ends are accepted',
    steps: [{ req: 'GET /lf HTTP/1.1\nHost: x\n\n' }, { res: 'HTTP/1.1 200 OK\nContent-Length: 2\n\nok' }],
    exchanges: ['GET /lf -> 200 "ok"'],
  },
  {
    name: 'a bare LF empty line ends a head even when a CR LF CR LF comes later in the same chunk',
    steps: [
      { req: 'GET /early HTTP/1.1\nHost: x\n\nGET /next HTTP/1.1\r\nHost: y\r\n\r\n' },
      { res: 'HTTP/1.1 200 OK\nContent-Length: 5\n\nab\n\r\nHTTP/1.1 201 Created\r\n\nContent-Length: 9\r\n\r\n' },
    ],
    // The second response's head ends at its bare LF line: `Content-Length: 9` and the rest are
    // bytes after a message without a length (read to the close).
    exchanges: ['GET /early -> 200 "ab\\n\\r\\n"', 'GET /next -> 201 "Content-Length: 9\\r\\n\\r\\n"'],
  },
  {
    name: 'heads at the start of a chunk much longer than a head: the whole-head search is bounded, the result the same',
    steps: [
      { req: `POST /big HTTP/1.1\r\nContent-Length: 2000\r\n\r\n${'x'.repeat(2000)}GET /lf HTTP/1.1\nHost: y\n\n` },
      { res: `HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\nHTTP/1.1 204 No Content\n\n` },
    ],
    exchanges: [`POST /big ${JSON.stringify('x'.repeat(2000))} -> 200`, 'GET /lf -> 204'],
  },
  {
    name: 'empty lines between messages are tolerated',
    steps: [
      { req: `${m(['POST /1 HTTP/1.1', 'Content-Length: 1'], 'x')}\r\n\r\n${get('/2')}` },
      { res: ok0 + ok0 },
    ],
    exchanges: ['POST /1 "x" -> 200', 'GET /2 -> 200'],
  },
  {
    name: 'a header line without a colon drops the message',
    steps: [{ req: `GET /bad HTTP/1.1\r\nHost: x\r\nthis is not a header\r\n\r\n${get('/good')}` }, { res: ok0 }],
    exchanges: ['GET /good -> 200'],
    errors: ['request:bad_header'],
    resyncs: [1, 0],
  },
  {
    name: 'garbage between messages: bad_start_line, resync, the next message is parsed',
    steps: [{ req: `${get('/1')}\x00\x01binary\xff junk\r\n${get('/2')}` }, { res: ok0 + ok0 }],
    exchanges: ['GET /1 -> 200', 'GET /2 -> 200'],
    errors: ['request:bad_start_line'],
    resyncs: [1, 0],
    check: ({ stats }) => assert.equal(stats.skippedBytes.request, '\x00\x01binary\xff junk\r\n'.length),
  },
  {
    name: 'mid-stream start on both streams: skip to the first start line, without an error',
    steps: [
      { req: `tail of a body"}${get('/a', 'Host: x')}` },
      { res: `123"}HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok` },
    ],
    exchanges: ['GET /a -> 200 "ok"'],
    resyncs: [1, 1],
    check: ({ stats }) => assert.deepEqual(stats.skippedBytes, { request: 16, response: 5 }),
  },
  {
    name: 'resync takes a known method off the end of an uppercase run',
    steps: [{ req: `\x01JUNKXPOST /x HTTP/1.1\r\nContent-Length: 1\r\n\r\nz` }, { res: ok0 }],
    exchanges: ['POST /x "z" -> 200'],
    resyncs: [1, 0],
  },
  {
    name: 'a stream of garbage only: resyncs, no exchange, no error',
    steps: [{ req: '\x00\xff\x13garbage\r\nwithout\x00any HTTP in it'.repeat(20) }, { res: '\x16\x03\x01binary\n'.repeat(30) }],
    exchanges: [],
    resyncs: [1, 1],
  },

  // Content-Length
  {
    name: 'Content-Length duplicates that agree are one length',
    steps: [
      { req: m(['POST /p HTTP/1.1', 'Content-Length: 3', 'Content-Length: 3'], 'abc') },
      { res: m(['HTTP/1.1 200 OK', 'Content-Length: 2, 2'], 'ok') },
    ],
    exchanges: ['POST /p "abc" -> 200 "ok"'],
  },
  {
    name: 'conflicting Content-Length drops the request and resyncs',
    steps: [{ req: m(['POST /bad HTTP/1.1', 'Content-Length: 3', 'Content-Length: 4'], 'abcd') + get('/next') }, { res: ok0 }],
    exchanges: ['GET /next -> 200'],
    errors: ['request:bad_content_length'],
    resyncs: [1, 0],
  },
  {
    name: 'a Content-Length that is not a number drops the response; the next one answers the newest request',
    steps: [
      { req: get('/a') + get('/b') },
      { res: m(['HTTP/1.1 200 OK', 'Content-Length: 12abc'], 'xx') + ok('y') },
    ],
    exchanges: ['GET /a -> none [gap]', 'GET /b -> 200 "y"'],
    errors: ['response:bad_content_length'],
    resyncs: [0, 1],
  },
  {
    name: 'a request without length has no body',
    steps: [{ req: m(['POST /nobody HTTP/1.1']) + get('/next') }, { res: ok0 + ok0 }],
    exchanges: ['POST /nobody -> 200', 'GET /next -> 200'],
  },

  // Chunked
  {
    name: 'chunked request with extensions and trailers; trailers kept apart from headers',
    steps: [
      {
        req:
          'POST /up HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n' +
          '4;name=value\r\nWiki\r\n5 ; x\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\nX-Checksum: abc\r\nX-T2: 2\r\n\r\n',
      },
      { res: m(['HTTP/1.1 201 Created', 'Transfer-Encoding: chunked'], '2\r\nok\r\n0\r\n\r\n') },
    ],
    exchanges: ['POST /up "Wikipedia in\\r\\n\\r\\nchunks." -> 201 "ok"'],
    check: ({ exchanges: [e] }) => {
      assert.deepEqual(e.request.headers.toArray(), [['Transfer-Encoding', 'chunked']]);
      assert.deepEqual(e.request.trailers?.toArray(), [['X-Checksum', 'abc'], ['X-T2', '2']]);
      assert.equal(e.request.bodySize, 23);
      assert.equal(e.response?.trailers, undefined);
    },
  },
  {
    name: 'chunked with bare LF, uppercase hex and leading zeros',
    steps: [{ req: get('/lf') }, { res: 'HTTP/1.1 200 OK\nTransfer-Encoding: chunked\n\n00A\nabcdefghij\n0\n\n' }],
    exchanges: ['GET /lf -> 200 "abcdefghij"'],
  },
  {
    name: 'Transfer-Encoding wins over Content-Length',
    steps: [
      { req: m(['POST /te HTTP/1.1', 'Content-Length: 100', 'Transfer-Encoding: chunked'], '3\r\nabc\r\n0\r\n\r\n') + get('/after') },
      { res: ok('a') + ok('b') },
    ],
    exchanges: ['POST /te "abc" -> 200 "a"', 'GET /after -> 200 "b"'],
  },
  {
    name: 'a request Transfer-Encoding not ending in chunked is an error',
    steps: [{ req: m(['POST /x HTTP/1.1', 'Transfer-Encoding: gzip'], 'zzz') + get('/y') }, { res: ok0 }],
    exchanges: ['GET /y -> 200'],
    errors: ['request:bad_transfer_encoding'],
    resyncs: [1, 0],
  },
  {
    name: 'a response Transfer-Encoding not ending in chunked reads to the close',
    steps: [{ req: get('/z') }, { res: m(['HTTP/1.1 200 OK', 'Transfer-Encoding: gzip'], 'raw-bytes') }],
    exchanges: ['GET /z -> 200 "raw-bytes"'],
  },
  {
    name: 'a bad chunk size ends the message truncated and resyncs',
    steps: [
      { req: get('/1') + get('/2') },
      { res: m(['HTTP/1.1 200 OK', 'Transfer-Encoding: chunked'], 'zz\r\nabc\r\n0\r\n\r\n') + ok('2') },
    ],
    exchanges: ['GET /1 -> 200 ""/0', 'GET /2 -> 200 "2"'],
    errors: ['response:bad_chunk_size'],
    resyncs: [0, 1],
  },
  {
    name: 'chunk data not followed by CRLF',
    steps: [{ req: get('/1') }, { res: m(['HTTP/1.1 200 OK', 'Transfer-Encoding: chunked'], '3\r\nabcX\r\n0\r\n\r\n') }],
    exchanges: ['GET /1 -> 200 "abc"/3'],
    errors: ['response:bad_chunk'],
    resyncs: [0, 1],
  },

  // No-body rules, interim responses, tunnels, upgrades
  {
    name: 'HEAD: the response has Content-Length but no body',
    steps: [{ req: m(['HEAD /h HTTP/1.1']) + get('/g') }, { res: m(['HTTP/1.1 200 OK', 'Content-Length: 1000']) + ok('ok') }],
    exchanges: ['HEAD /h -> 200', 'GET /g -> 200 "ok"'],
    check: ({ exchanges: [e] }) => assert.deepEqual(e.response?.headers.toArray(), [['Content-Length', '1000']]),
  },
  {
    name: '204 and 304 have no body whatever their fields say',
    steps: [
      { req: m(['DELETE /d HTTP/1.1']) + get('/c', 'If-None-Match: "x"') + get('/n') },
      { res: m(['HTTP/1.1 204 No Content', 'Content-Length: 10']) + m(['HTTP/1.1 304 Not Modified', 'Transfer-Encoding: chunked']) + ok('n') },
    ],
    exchanges: ['DELETE /d -> 204', 'GET /c -> 304', 'GET /n -> 200 "n"'],
  },
  {
    name: 'Expect: 100-continue: the interim 100 is skipped, the final response pairs',
    steps: [
      { req: m(['PUT /f HTTP/1.1', 'Content-Length: 4', 'Expect: 100-continue']) },
      { res: m(['HTTP/1.1 100 Continue']) },
      { req: 'data' },
      { res: m(['HTTP/1.1 201 Created', 'Content-Length: 0']) },
    ],
    exchanges: ['PUT /f "data" -> 201'],
    check: ({ exchanges: [e] }) => assert.deepEqual([e.requestStartNs, e.requestEndNs, e.responseStartNs, e.responseEndNs], [1n, 3n, 4n, 4n]),
  },
  {
    name: '103 Early Hints, then the final response',
    steps: [{ req: get('/e') }, { res: m(['HTTP/1.1 103 Early Hints', 'Link: </s.css>; rel=preload']) + ok('e') }],
    exchanges: ['GET /e -> 200 "e"'],
  },
  {
    name: 'CONNECT and 2xx: a tunnel; the rest of both streams is not parsed',
    steps: [
      { req: `${m(['CONNECT example.com:443 HTTP/1.1', 'Host: example.com:443'])}\x16\x03\x01\x02\x00binary client hello` },
      { res: `${m(['HTTP/1.1 200 Connection Established'])}\x16\x03\x03server hello\r\n\r\nHTTP/1.1 200 OK\r\n\r\n` },
    ],
    exchanges: ['CONNECT example.com:443 -> 200 [upgraded connect]'],
    upgrades: 1,
  },
  {
    name: 'CONNECT refused: the request bytes held for the verdict are parsed',
    steps: [
      { req: m(['CONNECT proxy:8080 HTTP/1.1']) + get('/after') },
      { res: m(['HTTP/1.1 407 Proxy Authentication Required', 'Content-Length: 0']) + ok0 },
    ],
    exchanges: ['CONNECT proxy:8080 -> 407', 'GET /after -> 200'],
  },
  {
    name: 'WebSocket upgrade: 101 records the exchange and both streams stop',
    steps: [
      {
        req:
          get('/chat', 'Host: h', 'Upgrade: websocket', 'Connection: Upgrade', 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==', 'Sec-WebSocket-Version: 13') +
          '\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58',
      },
      {
        res:
          m(['HTTP/1.1 101 Switching Protocols', 'Upgrade: websocket', 'Connection: Upgrade', 'Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=']) +
          '\x81\x05Hello',
      },
      { req: '\x81\x85more frames' },
    ],
    exchanges: ['GET /chat -> 101 [upgraded websocket]'],
    upgrades: 1,
  },
  {
    name: 'h2c upgrade: the HTTP/2 preface that follows is not parsed',
    steps: [
      { req: get('/', 'Host: h', 'Connection: Upgrade, HTTP2-Settings', 'Upgrade: h2c', 'HTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA') + 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n' },
      { res: `${m(['HTTP/1.1 101 Switching Protocols', 'Connection: Upgrade', 'Upgrade: h2c'])}\x00\x00\x00\x04\x00\x00\x00\x00\x00` },
    ],
    exchanges: ['GET / -> 101 [upgraded h2c]'],
    upgrades: 1,
  },
  {
    name: 'Upgrade declined: the server answers 200 and HTTP goes on',
    steps: [
      { req: get('/ws', 'Upgrade: websocket', 'Connection: Upgrade') + get('/next') },
      { res: ok('no') + ok0 },
    ],
    exchanges: ['GET /ws -> 200 "no"', 'GET /next -> 200'],
  },

  // Pipelining, keep-alive, close
  {
    name: 'pipelining: responses answer requests in order (HEAD among them)',
    steps: [
      { req: get('/1') + m(['HEAD /2 HTTP/1.1']) + m(['POST /3 HTTP/1.1', 'Content-Length: 2'], 'xy') },
      { res: ok('1') + m(['HTTP/1.1 200 OK', 'Content-Length: 50']) + ok('3') },
    ],
    exchanges: ['GET /1 -> 200 "1"', 'HEAD /2 -> 200', 'POST /3 "xy" -> 200 "3"'],
  },
  {
    name: 'keep-alive exchanges, then Connection: close and a body to the close',
    steps: [
      { req: get('/1') },
      { res: ok('one') },
      { req: get('/2', 'Connection: close') },
      { res: m(['HTTP/1.1 200 OK', 'Connection: close'], 'two and more') },
    ],
    exchanges: ['GET /1 -> 200 "one"', 'GET /2 -> 200 "two and more"'],
  },
  {
    name: 'expiry cuts a body delimited by the close',
    steps: [{ req: m(['GET /old HTTP/1.0']) }, { res: m(['HTTP/1.0 200 OK'], 'until close') }],
    end: 'expire',
    exchanges: ['GET /old -> 200 "until close"/11 [timeout]'],
    check: ({ exchanges: [e] }) => assert.equal(e.endedNs, 3n),
  },
  {
    name: 'closed before the responses: a cut response and an unanswered request',
    steps: [{ req: get('/a') + get('/b') }, { res: m(['HTTP/1.1 200 OK', 'Content-Length: 10'], '12345') }],
    exchanges: ['GET /a -> 200 "12345"/5 [closed]', 'GET /b -> none [closed]'],
    check: ({ exchanges: [a, b] }) => {
      assert.equal(a.endedNs, 3n);
      assert.equal(b.endedNs, 3n);
      assert.equal(b.responseStartNs, undefined);
    },
  },
  {
    name: 'expired while waiting: the request is incomplete (timeout)',
    steps: [{ req: get('/slow') }],
    end: 'expire',
    exchanges: ['GET /slow -> none [timeout]'],
  },
  {
    name: 'a request body cut by the close',
    steps: [{ req: m(['POST /up HTTP/1.1', 'Content-Length: 10'], 'abc') }],
    exchanges: ['POST /up "abc"/3 -> none [closed]'],
  },
  {
    name: 'a response before any request is dropped as unmatched',
    steps: [{ res: ok0 }, { req: get('/late') }],
    exchanges: ['GET /late -> none [closed]'],
    errors: ['response:unmatched_response'],
  },

  // Limits
  {
    name: 'a head over maxHeaderBytes is dropped',
    options: { maxHeaderBytes: 128 },
    steps: [{ req: get('/big', `X-Big: ${'a'.repeat(200)}`) + get('/ok') }, { res: ok0 }],
    exchanges: ['GET /ok -> 200'],
    errors: ['request:header_too_large'],
    resyncs: [1, 0],
  },
  {
    name: 'more than maxHeaders header lines',
    options: { maxHeaders: 3 },
    steps: [{ req: get('/many', 'A: 1', 'B: 2', 'C: 3', 'D: 4') + get('/ok', 'A: 1', 'B: 2', 'C: 3') }, { res: ok0 }],
    exchanges: ['GET /ok -> 200'],
    errors: ['request:too_many_headers'],
    resyncs: [1, 0],
  },
  {
    name: 'maxBodyBytes: the first bytes are kept, bodySize is exact',
    options: { maxBodyBytes: 4 },
    steps: [
      { req: m(['POST /big HTTP/1.1', 'Content-Length: 10'], '0123456789') },
      { res: m(['HTTP/1.1 200 OK', 'Transfer-Encoding: chunked'], '3\r\nabc\r\n3\r\ndef\r\n2\r\ngh\r\n0\r\n\r\n') },
    ],
    exchanges: ['POST /big "0123"/10 -> 200 "abcd"/8'],
  },
  {
    name: 'maxPendingRequests: the oldest waiting request is given up',
    options: { maxPendingRequests: 2 },
    steps: [{ req: get('/1') + get('/2') + get('/3') }, { res: ok('2') + ok('3') }],
    exchanges: ['GET /1 -> none [overflow]', 'GET /2 -> 200 "2"', 'GET /3 -> 200 "3"'],
    errors: ['request:too_many_pending'],
  },

  // Gaps
  {
    name: 'a gap inside a Content-Length body leaves a hole, not a resync',
    steps: [
      { req: m(['POST /g HTTP/1.1', 'Content-Length: 10'], 'abc') },
      { gap: 'request', len: 4 },
      { req: `hij${get('/next')}` },
      { res: ok0 + ok0 },
    ],
    exchanges: ['POST /g "abc"/10 -> 200', 'GET /next -> 200'],
  },
  {
    name: 'a gap inside chunk data keeps the framing',
    steps: [
      { req: get('/c') },
      { res: m(['HTTP/1.1 200 OK', 'Transfer-Encoding: chunked'], 'a\r\n01234') },
      { gap: 'response', len: 3 },
      { res: '89\r\n0\r\n\r\n' },
    ],
    exchanges: ['GET /c -> 200 "01234"/10'],
  },
  {
    name: 'a gap in a head: the direction resyncs at the next request line',
    steps: [
      { req: 'GET /lost HTT' },
      { gap: 'request', len: 50 },
      { req: `P/1.1\r\nHost: x\r\n\r\n${get('/found')}` },
      { res: ok0 },
    ],
    exchanges: ['GET /found -> 200'],
    resyncs: [1, 0],
  },
  {
    name: 'a lost response: its request is given up as gap, the next response pairs by time',
    steps: [
      { req: get('/1') },
      { gap: 'response', len: 30 },
      { req: get('/2') },
      { res: ok('two') },
    ],
    exchanges: ['GET /1 -> none [gap]', 'GET /2 -> 200 "two"'],
    resyncs: [0, 1],
  },
  {
    name: 'a loss, an interim 100, then the final response: the loss still decides the pairing',
    steps: [
      { req: get('/1') },
      { gap: 'response', len: 30 },
      { req: m(['PUT /2 HTTP/1.1', 'Content-Length: 4', 'Expect: 100-continue']) },
      { res: m(['HTTP/1.1 100 Continue']) },
      { req: 'data' },
      { res: m(['HTTP/1.1 201 Created', 'Content-Length: 0']) },
    ],
    exchanges: ['GET /1 -> none [gap]', 'PUT /2 "data" -> 201'],
    resyncs: [0, 1],
  },
  {
    name: 'a gap past the end of a body: the lost request\'s response is unmatched',
    steps: [
      { req: m(['POST /a HTTP/1.1', 'Content-Length: 4'], 'ab') },
      { res: ok('1') },
      { gap: 'request', len: 20 },
      { res: ok('2') },
      { req: `ost\r\n\r\n${get('/c')}` },
      { res: ok('3') },
    ],
    exchanges: ['POST /a "ab"/4 -> 200 "1"', 'GET /c -> 200 "3"'],
    errors: ['response:unmatched_response'],
    resyncs: [1, 0],
  },

  // Content decoding
  {
    name: 'decode: gzip, deflate (zlib and raw), br and a gzip+br chain',
    options: { decode: true },
    steps: [
      { req: get('/gz') + get('/zlib') + get('/raw') + get('/br') + get('/chain') + get('/identity') },
      {
        res: [
          ['gzip', zlib.gzipSync('hello gzip')],
          ['deflate', zlib.deflateSync('hello zlib')],
          ['deflate', zlib.deflateRawSync('hello raw')],
          ['br', zlib.brotliCompressSync('hello br')],
          ['gzip, br', zlib.brotliCompressSync(zlib.gzipSync('hello chain'))],
          ['identity', Buffer.from('plain')],
        ]
          .map(([coding, data]) => m(['HTTP/1.1 200 OK', `Content-Encoding: ${String(coding)}`, `Content-Length: ${data.length}`], latin1(data as Buffer)))
          .join(''),
      },
    ],
    exchanges: [
      'GET /gz -> 200 "hello gzip"',
      'GET /zlib -> 200 "hello zlib"',
      'GET /raw -> 200 "hello raw"',
      'GET /br -> 200 "hello br"',
      'GET /chain -> 200 "hello chain"',
      'GET /identity -> 200 "plain"',
    ],
    check: ({ exchanges }) => {
      assert.deepEqual(exchanges.map((e) => e.response?.contentDecoded), [true, true, true, true, true, undefined]);
      assert.deepEqual(exchanges[0].response?.headers.toArray()[0], ['Content-Encoding', 'gzip']);
    },
  },
  {
    name: 'decode: a request body too, chunked',
    options: { decode: true },
    steps: [
      {
        req: (() => {
          const gz = latin1(zlib.gzipSync('{"a":1}'));
          return m(['POST /j HTTP/1.1', 'Content-Encoding: gzip', 'Transfer-Encoding: chunked'], `5\r\n${gz.slice(0, 5)}\r\n${(gz.length - 5).toString(16)}\r\n${gz.slice(5)}\r\n0\r\n\r\n`);
        })(),
      },
      { res: ok0 },
    ],
    exchanges: ['POST /j "{\\"a\\":1}" -> 200'],
    check: ({ exchanges: [e] }) => assert.equal(e.request.contentDecoded, true),
  },
  {
    name: 'decode: a corrupt body is kept raw and counted',
    options: { decode: true },
    steps: [{ req: get('/bad') }, { res: m(['HTTP/1.1 200 OK', 'Content-Encoding: gzip', 'Content-Length: 7'], 'notgzip') }],
    exchanges: ['GET /bad -> 200 "notgzip"'],
    errors: ['response:decode_failed'],
    check: ({ exchanges: [e] }) => assert.equal(e.response?.contentDecoded, undefined),
  },
  {
    name: 'decode: output over maxDecodedBytes keeps the raw body',
    options: { decode: true, maxDecodedBytes: 1000 },
    steps: [
      { req: get('/bomb') },
      { res: gzipResponse('\0'.repeat(100_000)) },
    ],
    exchanges: [`GET /bomb -> 200 ${JSON.stringify(latin1(zlib.gzipSync('\0'.repeat(100_000))))}`],
    errors: ['response:decode_too_large'],
  },
  {
    name: 'decode: decoded bytes beyond maxBodyBytes are counted, not kept',
    options: { decode: true, maxBodyBytes: 40 },
    steps: [{ req: get('/long') }, { res: gzipResponse('0123456789abcdef'.repeat(8)) }],
    exchanges: [`GET /long -> 200 "${'0123456789abcdef'.repeat(2)}01234567"/128`],
    check: ({ exchanges: [e] }) => assert.equal(e.response?.contentDecoded, true),
  },
  {
    name: 'decode: an encoded body larger than maxBodyBytes is not whole, so it stays raw',
    options: { decode: true, maxBodyBytes: 8 },
    steps: [{ req: get('/big') }, { res: gzipResponse('0123456789abcdef') }],
    exchanges: [`GET /big -> 200 ${JSON.stringify(latin1(zlib.gzipSync('0123456789abcdef')).slice(0, 8))}/36`],
    check: ({ exchanges: [e] }) => assert.equal(e.response?.contentDecoded, undefined),
  },
  {
    name: 'no decode unless asked: the raw body is kept',
    steps: [{ req: get('/raw') }, { res: gzipResponse('x') }],
    exchanges: [`GET /raw -> 200 ${JSON.stringify(latin1(zlib.gzipSync('x')))}`],
  },
];

for (const c of cases) {
  test(c.name, () => checkCase(c));
}

test('every message records the timestamps of the chunks holding its first and last byte', () => {
  const out: HttpExchange[] = [];
  const conn = new HttpConnectionParser({}, { onExchange: (e) => out.push(e), onError: () => assert.fail('no error expected') });
  conn.pushRequestBytes(Buffer.from('POST /t HTTP/1.1\r\nContent-Le'), 10n);
  conn.pushRequestBytes(Buffer.from('ngth: 4\r\n\r\nab'), 11n);
  conn.pushRequestBytes(Buffer.from('cd'), 12n);
  conn.pushResponseBytes(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n'), 20n);
  conn.pushResponseBytes(Buffer.from('ok'), 21n);
  // A resync start: the start line begins in an earlier chunk than its line end.
  conn.pushRequestBytes(Buffer.from('\x00junkGE'), 30n);
  conn.pushRequestBytes(Buffer.from('T /r HTTP/1.1\r\n\r\n'), 31n);
  conn.pushResponseBytes(Buffer.from('HTTP/1.1 204 No Content\r\n\r\n'), 40n);
  conn.close(50n);
  assert.deepEqual(
    out.map((e) => [e.requestStartNs, e.requestEndNs, e.responseStartNs, e.responseEndNs]),
    [
      [10n, 12n, 20n, 21n],
      [30n, 31n, 40n, 40n],
    ],
  );
});

test('a response pushed before its request is unmatched, not paired with a later request', () => {
  const out: HttpExchange[] = [];
  const errors: string[] = [];
  const conn = new HttpConnectionParser({}, { onExchange: (e) => out.push(e), onError: (d, c) => errors.push(`${d}:${c}`) });
  conn.pushRequestBytes(Buffer.from(get('/1')), 1n);
  conn.pushResponseBytes(Buffer.from(ok('1')), 2n);
  conn.pushResponseBytes(Buffer.from(ok('x')), 3n);
  conn.pushRequestBytes(Buffer.from(get('/2')), 4n);
  conn.close(5n);
  assert.deepEqual(out.map(summary), ['GET /1 -> 200 "1"', 'GET /2 -> none [closed]']);
  assert.deepEqual(errors, ['response:unmatched_response']);
});

test('pushes after close are ignored', () => {
  const out: HttpExchange[] = [];
  const conn = new HttpConnectionParser({}, { onExchange: (e) => out.push(e), onError: () => {} });
  conn.close(1n);
  conn.pushRequestBytes(Buffer.from(get('/x')), 2n);
  conn.gap('request', 5);
  conn.expire(3n);
  assert.equal(out.length, 0);
});

test('a sink that throws costs a counted internal_error, never an exception', () => {
  const errors: string[] = [];
  const conn = new HttpConnectionParser(
    {},
    {
      onExchange: () => {
        throw new Error('sink bug');
      },
      onError: (d, c) => errors.push(`${d}:${c}`),
    },
  );
  conn.pushRequestBytes(Buffer.from(get('/a')), 1n);
  assert.doesNotThrow(() => conn.pushResponseBytes(Buffer.from(ok('a')), 2n));
  assert.deepEqual(errors, ['response:internal_error']);
  conn.pushRequestBytes(Buffer.from(get('/b')), 3n);
  conn.close(4n);
});
