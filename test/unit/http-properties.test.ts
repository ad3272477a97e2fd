/**
 * Property tests for the HTTP/1.x parser: random valid exchanges (methods, targets, header
 * lists with random case and duplicates, Content-Length or chunked bodies with random chunk
 * sizes, extensions and trailers, interim responses, pipelining) are serialized, fed in random
 * splits and must parse back to exactly what was generated. Random garbage, garbage between
 * messages and lost ranges never throw, are counted, and keep memory bounded.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { HttpConnectionParser, type HttpExchange, type HttpParserOptions } from '../../agent/http';

type HttpHeaders = Array<[string, string]>;
import { prng } from '../helpers/random';

// ---------------------------------------------------------------------------------------------
// Generators. Each produces the wire bytes and the message the parser must give back.

interface Wire<T> {
  readonly expected: T;
  readonly wire: Buffer;
  /** Where the body starts and ends in `wire`, and its framing. */
  readonly bodyAt: readonly [number, number];
  readonly framing: 'none' | 'length' | 'chunked' | 'eof';
}

type Expected = Record<string, unknown> & { body: Buffer; bodySize: number; bodyTruncated: boolean };

const TOKEN = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.!~*+#$%&^`|\'';
const TARGET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._~%?=&-+:@!$,;\'()*[]';
const VALUE = `${TARGET} "<>{}\\\t\xe9\xff\x80`;
const FRAMING_NAMES = new Set(['content-length', 'transfer-encoding', 'upgrade', 'content-encoding']);

const arbToken = fc.string({ unit: fc.constantFrom(...TOKEN), minLength: 1, maxLength: 10 });
const arbName = fc
  .oneof(fc.mixedCase(fc.constantFrom('Accept', 'X-Trace-Id', 'Cookie', 'Via', 'Set-Cookie')), arbToken)
  .filter((n) => !FRAMING_NAMES.has(n.toLowerCase()));
const arbValue = fc.string({ unit: fc.constantFrom(...VALUE), maxLength: 24 }).map((v) => v.replace(/^[ \t]+|[ \t]+$/g, ''));
const arbField = fc.record({
  name: arbName,
  value: arbValue,
  pre: fc.constantFrom('', ' ', '  ', '\t'),
  post: fc.constantFrom('', ' ', '\t'),
});
const arbFields = fc.array(arbField, { maxLength: 6 });
type GenField = { name: string; value: string; pre: string; post: string };

function fieldLines(fields: readonly GenField[]): string {
  return fields.map((f) => `${f.name}:${f.pre}${f.value}${f.post}\r\n`).join('');
}

function fieldList(fields: readonly GenField[]): HttpHeaders {
  return fields.map((f) => [f.name, f.value]);
}

const arbBodySpec = fc.record({
  body: fc.uint8Array({ maxLength: 300 }),
  chunkSizes: fc.array(fc.integer({ min: 1, max: 80 }), { minLength: 1, maxLength: 8 }),
  exts: fc.array(fc.constantFrom('', ';a=b', ' ;x', ';q="quoted value"', '\t; k'), { minLength: 1, maxLength: 4 }),
  trailers: fc.array(arbField, { maxLength: 3 }),
  teValue: fc.oneof(fc.mixedCase(fc.constant('chunked')), fc.constant('gzip, chunked')),
  lengthToo: fc.boolean(),
  insertAt: fc.nat(),
});
type BodySpec = typeof arbBodySpec extends fc.Arbitrary<infer T> ? T : never;

/** Serializes head + body; inserts the framing fields at a random place among the others. */
function message(
  startLine: string,
  fields: GenField[],
  framing: Wire<unknown>['framing'],
  spec: BodySpec,
  extraNoBodyFields: GenField[] = [],
): { wire: Buffer; headers: HttpHeaders; body: Buffer; trailers?: HttpHeaders; bodyAt: [number, number] } {
  const body = framing === 'none' ? Buffer.alloc(0) : Buffer.from(spec.body);
  const framingFields: GenField[] = [...extraNoBodyFields];
  if (framing === 'length') framingFields.push({ name: 'Content-Length', value: String(body.length), pre: ' ', post: '' });
  if (framing === 'chunked') {
    framingFields.push({ name: 'Transfer-Encoding', value: spec.teValue, pre: ' ', post: '' });
    if (spec.lengthToo) framingFields.push({ name: 'content-length', value: '99999', pre: ' ', post: '' });
  }
  const all = [...fields];
  all.splice(spec.insertAt % (all.length + 1), 0, ...framingFields);
  const head = Buffer.from(`${startLine}\r\n${fieldLines(all)}\r\n`, 'latin1');
  let payload: Buffer = body;
  let trailers: HttpHeaders | undefined;
  if (framing === 'chunked') {
    const parts: Buffer[] = [];
    let at = 0;
    for (let k = 0; at < body.length; k++) {
      const n = Math.min(spec.chunkSizes[k % spec.chunkSizes.length], body.length - at);
      parts.push(Buffer.from(`${n.toString(16)}${spec.exts[k % spec.exts.length]}\r\n`, 'latin1'), body.subarray(at, at + n), Buffer.from('\r\n'));
      at += n;
    }
    parts.push(Buffer.from(`0${spec.exts[0]}\r\n${fieldLines(spec.trailers)}\r\n`, 'latin1'));
    payload = Buffer.concat(parts);
    if (spec.trailers.length > 0) trailers = fieldList(spec.trailers);
  }
  return {
    wire: Buffer.concat([head, payload]),
    headers: fieldList(all),
    body,
    ...(trailers ? { trailers } : {}),
    bodyAt: [head.length, head.length + payload.length],
  };
}

function expectedBody(m: { body: Buffer; trailers?: HttpHeaders }): Expected {
  return { body: m.body, bodySize: m.body.length, bodyTruncated: false, ...(m.trailers ? { trailers: m.trailers } : {}) };
}

const arbRequest = fc
  .record({
    method: fc.oneof(fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD'), arbToken.filter((t) => t !== 'CONNECT')),
    target: fc.oneof(fc.constant('*'), fc.string({ unit: fc.constantFrom(...TARGET), maxLength: 30 }).map((t) => `/${t}`)),
    version: fc.constantFrom('1.0', '1.1'),
    fields: arbFields,
    framing: fc.constantFrom('none', 'length', 'chunked'),
    spec: arbBodySpec,
  })
  .map((r): Wire<Expected> & { method: string } => {
    const framing = r.framing as Wire<unknown>['framing'];
    const msg = message(`${r.method} ${r.target} HTTP/${r.version}`, r.fields, framing, r.spec);
    return {
      method: r.method,
      framing,
      wire: msg.wire,
      bodyAt: msg.bodyAt,
      expected: { method: r.method, target: r.target, version: r.version, headers: msg.headers, ...expectedBody(msg) },
    };
  });

function arbResponse(method: string, last: boolean): fc.Arbitrary<Wire<Expected>> {
  return fc
    .record({
      status: fc.oneof(fc.constantFrom(200, 201, 204, 206, 301, 304, 400, 404, 500, 503), fc.integer({ min: 200, max: 599 })),
      reason: fc.string({ unit: fc.constantFrom(...VALUE), maxLength: 20 }).map((v) => v.replace(/^[ \t]+/g, '')),
      spaceBeforeEmptyReason: fc.boolean(),
      version: fc.constantFrom('1.0', '1.1'),
      fields: arbFields,
      framing: fc.constantFrom('length', 'chunked', 'eof'),
      spec: arbBodySpec,
      noBodyLength: fc.option(fc.nat({ max: 5000 }), { nil: undefined }),
      interims: fc.array(fc.record({ status: fc.constantFrom(100, 102, 103), fields: arbFields }), { maxLength: 2 }),
    })
    .map((r) => {
      const noBody = method === 'HEAD' || r.status === 204 || r.status === 304;
      let framing = r.framing as Wire<unknown>['framing'];
      if (noBody) framing = 'none';
      else if (framing === 'eof' && !last) framing = 'length';
      // A no-body response may still carry a Content-Length (HEAD: the length of the GET body).
      const extra: GenField[] = noBody && r.noBodyLength !== undefined ? [{ name: 'Content-Length', value: String(r.noBodyLength), pre: ' ', post: '' }] : [];
      const statusLine = r.reason === '' && !r.spaceBeforeEmptyReason ? `HTTP/${r.version} ${r.status}` : `HTTP/${r.version} ${r.status} ${r.reason}`;
      const msg = message(statusLine, r.fields, framing, r.spec, extra);
      const interims = r.interims.map((i) => Buffer.from(`HTTP/1.1 ${i.status} Interim\r\n${fieldLines(i.fields)}\r\n`, 'latin1'));
      const prefix = interims.reduce((n, b) => n + b.length, 0);
      return {
        framing,
        wire: Buffer.concat([...interims, msg.wire]),
        bodyAt: [msg.bodyAt[0] + prefix, msg.bodyAt[1] + prefix] as const,
        expected: { status: r.status, reason: r.reason, version: r.version, headers: msg.headers, ...expectedBody(msg) },
      };
    });
}

const arbConversation = fc
  .array(arbRequest, { minLength: 1, maxLength: 5 })
  .chain((requests) =>
    fc.tuple(fc.constant(requests), fc.tuple(...requests.map((q, i) => arbResponse(q.method, i === requests.length - 1)))),
  )
  .map(([requests, responses]) => ({ requests, responses }));
type Conversation = { requests: Array<Wire<Expected>>; responses: Array<Wire<Expected>> };

// ---------------------------------------------------------------------------------------------
// Feeding.

type Op = { dir: 'request' | 'response'; bytes: Buffer } | { dir: 'request' | 'response'; gap: number };

interface Fed {
  exchanges: HttpExchange[];
  errors: string[];
  conn: HttpConnectionParser;
  maxBuffered: number;
}

/** Pushes each op in random chunks (each chunk a fresh buffer, overwritten after the push), then closes. */
function feed(ops: Op[], seed: number, options?: HttpParserOptions): Fed {
  const exchanges: HttpExchange[] = [];
  const errors: string[] = [];
  const conn = new HttpConnectionParser(options, { onExchange: (e) => exchanges.push(e), onError: (d, c) => errors.push(`${d}:${c}`) });
  const rnd = prng(seed);
  let ts = 0n;
  let maxBuffered = 0;
  for (const op of ops) {
    ts++;
    if ('gap' in op) {
      conn.gap(op.dir, op.gap);
      continue;
    }
    for (let i = 0; i < op.bytes.length; ) {
      const n = 1 + Math.floor(rnd() * Math.min(op.bytes.length - i, rnd() < 0.3 ? 3 : 200));
      const chunk = Buffer.from(op.bytes.subarray(i, i + n));
      if (op.dir === 'request') conn.pushRequestBytes(chunk, ts);
      else conn.pushResponseBytes(chunk, ts);
      chunk.fill(0x41);
      maxBuffered = Math.max(maxBuffered, conn.bufferedBytes);
      i += n;
    }
  }
  conn.close(ts + 1n);
  return { exchanges, errors, conn, maxBuffered };
}

function ops(c: Conversation, mode: 'pipelined' | 'alternating'): Op[] {
  const req = c.requests.map((r): Op => ({ dir: 'request', bytes: r.wire }));
  const res = c.responses.map((r): Op => ({ dir: 'response', bytes: r.wire }));
  return mode === 'pipelined' ? [...req, ...res] : req.flatMap((q, i) => [q, res[i]]);
}

/**
 * The exchange's messages with their fields as pairs. Every generated field is one line, so each
 * value must be its byte range in the head (what the JSON line copies, no string made).
 */
function parsed(e: HttpExchange): { request: unknown; response: unknown } {
  const plain = (m: HttpExchange['request'] | NonNullable<HttpExchange['response']>): object => {
    for (let i = 0; i < m.headers.length; i++) assert.ok(m.headers.valueIsRange(i), `field ${i} of ${JSON.stringify(m.headers)}`);
    const { headers, trailers, ...rest } = m;
    return { ...rest, headers: headers.toArray(), ...(trailers ? { trailers: trailers.toArray() } : {}) };
  };
  return { request: plain(e.request), response: e.response && plain(e.response) };
}

function expected(c: Conversation): Array<{ request: unknown; response: unknown }> {
  return c.requests.map((q, i) => ({ request: q.expected, response: c.responses[i].expected }));
}

const arbMode = fc.constantFrom('pipelined' as const, 'alternating' as const);

// ---------------------------------------------------------------------------------------------

test('random valid exchanges, serialized and fed in random splits, parse back exactly', () => {
  fc.assert(
    fc.property(arbConversation, arbMode, fc.integer(), (c, mode, seed) => {
      const out = feed(ops(c, mode), seed);
      assert.deepEqual(out.errors, []);
      assert.deepEqual(out.exchanges.map(parsed), expected(c));
      assert.ok(out.exchanges.every((e) => e.incomplete === undefined && e.upgraded === undefined));
      assert.deepEqual(out.conn.stats.resyncs, { request: 0, response: 0 });
    }),
    { numRuns: 300 },
  );
});

test('with a small maxBodyBytes, bodies keep their first bytes and their exact size', () => {
  const max = 16;
  fc.assert(
    fc.property(arbConversation, arbMode, fc.integer(), (c, mode, seed) => {
      const out = feed(ops(c, mode), seed, { maxBodyBytes: max });
      const cap = (m: Expected): Expected => ({ ...m, body: m.body.subarray(0, max), bodyTruncated: m.bodySize > max });
      assert.deepEqual(
        out.exchanges.map(parsed),
        expected(c).map((e) => ({ request: cap(e.request as Expected), response: cap(e.response as Expected) })),
      );
    }),
    { numRuns: 150 },
  );
});

/** HTTP-shaped fragments, so random input reaches deep parser states, not only the first byte. */
const arbHttpish = fc
  .array(
    fc.oneof(
      fc.constantFrom(
        'GET / HTTP/1.1\r\n', 'HTTP/1.1 200 OK\r\n', 'HTTP/1.0 101 S\r\n', 'HTTP/1.1 100 Continue\r\n\r\n', 'CONNECT h:1 HTTP/1.1\r\n',
        'HEAD /x HTTP/1.0\r\n', 'Content-Length: 5\r\n', 'Content-Length: 3, 4\r\n', 'Transfer-Encoding: chunked\r\n',
        'Upgrade: websocket\r\n', 'Content-Encoding: gzip\r\n', '\r\n', '\n', ' folded\r\n', '5\r\nhello\r\n', '0\r\n\r\n',
        'ffffffffffffffff\r\n', '3;x\r\nab', 'X: y\r\n', 'nocolon\r\n', ' ', 'HTTP/1.', 'GET', ':',
      ),
      fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b).toString('latin1')),
    ),
    { maxLength: 60 },
  )
  .map((parts) => Buffer.from(parts.join(''), 'latin1'));

const smallLimits: HttpParserOptions = { maxHeaderBytes: 256, maxHeaders: 8, maxBodyBytes: 64, maxPendingRequests: 4, decode: true };

/** What one connection may hold with `smallLimits` (see limits.ts): heads, lines, held input, bodies. */
const memoryBound = 2 * (2 * 256 + 64) + (4 + 2) * 2 * 64;

test('random garbage, HTTP-shaped or not, with gaps: never throws, errors are counted, memory stays bounded', () => {
  const arbOp: fc.Arbitrary<Op> = fc.oneof(
    { weight: 5, arbitrary: fc.record({ dir: fc.constantFrom('request' as const, 'response' as const), bytes: arbHttpish }) },
    { weight: 1, arbitrary: fc.record({ dir: fc.constantFrom('request' as const, 'response' as const), gap: fc.integer({ min: 1, max: 5000 }) }) },
  );
  fc.assert(
    fc.property(fc.array(arbOp, { maxLength: 12 }), fc.integer(), fc.boolean(), (opList, seed, small) => {
      const out = feed(opList, seed, small ? smallLimits : undefined);
      const stats = out.conn.stats;
      assert.equal(out.errors.filter((e) => e.endsWith('internal_error')).length, 0);
      assert.equal(stats.errors.request + stats.errors.response, out.errors.length);
      assert.equal(stats.exchanges, out.exchanges.length);
      if (small) assert.ok(out.maxBuffered <= memoryBound, `buffered ${out.maxBuffered} > ${memoryBound}`);
      for (const e of out.exchanges) {
        for (const msg of [e.request, e.response]) {
          if (msg === null) continue;
          assert.ok(msg.body.length <= msg.bodySize);
          assert.equal(msg.bodyTruncated || msg.body.length === msg.bodySize, true);
        }
      }
    }),
    { numRuns: 500 },
  );
});

test('garbage between valid messages: each garbage run is one counted resync, every message is recovered', () => {
  const arbGarbage = fc
    .uint8Array({ minLength: 1, maxLength: 60 })
    .map((b) => Buffer.concat([Buffer.from(b), Buffer.from('\r\n')]));
  fc.assert(
    fc.property(
      arbConversation,
      fc.array(fc.option(arbGarbage, { nil: undefined, freq: 2 }), { minLength: 10, maxLength: 10 }),
      fc.integer(),
      (c, garbage, seed) => {
        // Alternating, so timestamps say which request a response after garbage answers.
        // Garbage goes before messages: an EOF-delimited body (last response only) would swallow it.
        const opList: Op[] = [];
        const isBlank = (g: Buffer): boolean => g.every((x) => x === 0x0d || x === 0x0a);
        const counted = { request: 0, response: 0, errors: 0 };
        c.requests.forEach((q, i) => {
          for (const [dir, msg, g] of [['request', q, garbage[2 * i]], ['response', c.responses[i], garbage[2 * i + 1]]] as const) {
            if (g !== undefined && !isBlank(g)) {
              opList.push({ dir, bytes: g });
              counted[dir]++;
              // The first run of a stream is a mid-stream start: a resync, not an error.
              if (i > 0) counted.errors++;
            }
            opList.push({ dir, bytes: msg.wire });
          }
        });
        const out = feed(opList, seed);
        assert.deepEqual(out.exchanges.map(parsed), expected(c));
        assert.deepEqual(out.conn.stats.resyncs, { request: counted.request, response: counted.response });
        assert.ok(out.errors.every((e) => e.endsWith(':bad_start_line')), out.errors.join());
        assert.equal(out.errors.length, counted.errors);
      },
    ),
    { numRuns: 200 },
  );
});

test('a lost range inside a Content-Length or chunk body: no resync, the body has a hole, everything else is exact', () => {
  fc.assert(
    fc.property(arbConversation, fc.nat(), fc.nat(), fc.nat(), fc.integer(), (c, pick, from, len, seed) => {
      const msgs = [
        ...c.requests.map((w, i) => ({ w, dir: 'request' as const, i })),
        ...c.responses.map((w, i) => ({ w, dir: 'response' as const, i })),
      ].filter(({ w }) => (w.framing === 'length' && w.bodyAt[1] > w.bodyAt[0]) || (w.framing === 'chunked' && w.expected.bodySize > 0));
      fc.pre(msgs.length > 0);
      const { w, dir, i } = msgs[pick % msgs.length];
      // A range inside the body bytes (for chunked: inside one chunk's data, found by scanning).
      const [start, end] = w.framing === 'length' ? [w.bodyAt[0], w.bodyAt[1]] : firstChunkData(w.wire, w.bodyAt[0]);
      const a = start + (from % (end - start));
      const b = a + 1 + (len % (end - a));
      const expectedAll = expected(c);
      const target = (expectedAll[i] as Record<string, Expected>)[dir];
      const holed = { ...target, body: target.body.subarray(0, a - start), bodyTruncated: true };
      (expectedAll[i] as Record<string, unknown>)[dir] = holed;
      const opList = ops(c, 'alternating').flatMap((op): Op[] => {
        if (!('bytes' in op) || op.bytes !== w.wire) return [op];
        return [
          { dir, bytes: w.wire.subarray(0, a) },
          { dir, gap: b - a },
          { dir, bytes: w.wire.subarray(b) },
        ];
      });
      const out = feed(opList, seed);
      assert.deepEqual(out.errors, []);
      assert.deepEqual(out.conn.stats.resyncs, { request: 0, response: 0 });
      assert.deepEqual(out.exchanges.map(parsed), expectedAll);
    }),
    { numRuns: 200 },
  );
});

/** [start, end) of the first chunk's data after the chunk-size line at `at`. */
function firstChunkData(wire: Buffer, at: number): [number, number] {
  const lf = wire.indexOf(0x0a, at);
  const size = parseInt(wire.toString('latin1', at, lf), 16);
  return [lf + 1, lf + 1 + size];
}

test('a lost range anywhere: never throws, exchanges completed before it are exact', () => {
  fc.assert(
    fc.property(arbConversation, fc.nat(), fc.nat(), fc.nat({ max: 400 }), fc.integer(), (c, pick, from, len, seed) => {
      const all = ops(c, 'alternating');
      const k = pick % all.length;
      const op = all[k] as { dir: 'request' | 'response'; bytes: Buffer };
      const a = from % op.bytes.length;
      const b = Math.min(op.bytes.length, a + 1 + len);
      const opList = [...all.slice(0, k), { dir: op.dir, bytes: op.bytes.subarray(0, a) }, { dir: op.dir, gap: b - a }, { dir: op.dir, bytes: op.bytes.subarray(b) }, ...all.slice(k + 1)];
      const out = feed(opList, seed);
      assert.ok(out.errors.every((e) => !e.endsWith('internal_error')));
      // Alternating ops: exchange j is complete after op 2j+1, so those before op k are exact.
      const done = Math.floor(k / 2);
      assert.deepEqual(out.exchanges.slice(0, done).map(parsed), expected(c).slice(0, done));
    }),
    { numRuns: 300 },
  );
});
