/**
 * The hand-written JSON line is byte for byte what JSON.stringify gives for the record with its
 * keys in DESIGN.md §3 order, for random records (any strings: quotes, control characters,
 * unicode), with and without a response, incomplete, decoded content; bodies and header fields
 * written from their bytes give the same line.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { JsonLineWriter, NATIVE_BODY_BYTES, RELEASE_AFTER_FILLS, toJsonLine } from '../../agent/pipeline/record-json';
import { RecordBuilder, type ConnectionInfo, type ExchangeRecord, type RequestRecord, type ResponseRecord } from '../../agent/pipeline/record';
import { MonotonicClock } from '../../agent/capture/clock';
import { HeaderFields, type HttpExchange } from '../../agent/http';
import { parseRequestHead, parseResponseHead } from '../../agent/http/head';

/** The reference: a fresh object in the contract's key order, serialized by JSON.stringify. */
function reference(rec: ExchangeRecord): string {
  const msg = (r: RequestRecord | ResponseRecord, head: Record<string, unknown>) => {
    const o: Record<string, unknown> = { ...head, version: r.version, headers: r.headers, body: r.body, body_encoding: r.body_encoding, body_size: r.body_size, body_truncated: r.body_truncated };
    if (r.content_decoded) o.content_decoded = true;
    return o;
  };
  const p = rec.process;
  const c = rec.connection;
  const o: Record<string, unknown> = {
    ts: rec.ts,
    duration_ns: rec.duration_ns,
    direction: rec.direction,
    tls: rec.tls,
    process: { pid: p.pid, comm: p.comm, container_id: p.container_id, pod: p.pod, namespace: p.namespace, service: p.service },
    connection: { id: c.id, local: { ip: c.local.ip, port: c.local.port }, remote: { ip: c.remote.ip, port: c.remote.port } },
    request: msg(rec.request, { method: rec.request.method, target: rec.request.target }),
    response: rec.response && msg(rec.response, { status: rec.response.status, reason: rec.response.reason }),
  };
  if (rec.incomplete !== undefined) o.incomplete = rec.incomplete;
  return JSON.stringify(o);
}

const text = fc.string({ unit: 'binary', maxLength: 40 });
const headers = fc.array(fc.tuple(text, text), { maxLength: 6 });
const message = fc.record({
  version: fc.constantFrom('1.0', '1.1'),
  headers,
  body: text,
  body_encoding: fc.constantFrom('utf8' as const, 'base64' as const),
  body_size: fc.nat(),
  body_truncated: fc.boolean(),
  content_decoded: fc.option(fc.constant(true as const), { nil: undefined }),
});
const nullableText = fc.option(text, { nil: null });
const endpoint = fc.record({ ip: text, port: fc.integer({ min: 0, max: 65535 }) });
const record: fc.Arbitrary<ExchangeRecord> = fc
  .record({
    ts: text,
    duration_ns: fc.nat(),
    direction: fc.constantFrom('ingress' as const, 'egress' as const),
    tls: fc.boolean(),
    process: fc.record({ pid: fc.nat(), comm: text, container_id: nullableText, pod: nullableText, namespace: nullableText, service: nullableText }),
    connection: fc.record({ id: text, local: endpoint, remote: endpoint }),
    request: fc.tuple(message, text, text).map(([m, method, target]) => ({ method, target, ...m })),
    response: fc.option(fc.tuple(message, fc.integer({ min: 100, max: 599 }), text).map(([m, status, reason]) => ({ status, reason, ...m })), { nil: null }),
    incomplete: fc.option(fc.constantFrom('closed' as const, 'timeout' as const), { nil: undefined }),
  })
  .map((r) => {
    // Optional keys are absent, not undefined, in real records.
    const out = { ...r } as ExchangeRecord;
    if (out.incomplete === undefined) delete out.incomplete;
    for (const m of [out.request, out.response]) if (m && m.content_decoded === undefined) delete m.content_decoded;
    return out;
  });

test('toJsonLine equals JSON.stringify of the record in contract key order', () => {
  fc.assert(
    fc.property(record, (r) => {
      assert.equal(toJsonLine(r), reference(r));
    }),
    { numRuns: 2000 },
  );
});

test('escapes and encodings: quotes, backslash, controls, DEL, BMP, astral, lone surrogates', () => {
  const tricky = ['"\\/', '\b\f\n\r\t\u0000\u001f\u007f', 'é€😀', '\ud800', 'x\udc00y', '\udbff\udfff', '\ud83d', '\ud83d\ude00\ud83d'];
  for (const s of tricky) {
    const rec = JSON.parse(JSON.stringify(baseRecord)) as ExchangeRecord;
    rec.request.target = s;
    rec.request.headers = [[s, s]];
    rec.process.comm = s;
    assert.equal(toJsonLine(rec), reference(rec), JSON.stringify(s));
  }
});

const baseRecord: ExchangeRecord = fc.sample(record, { seed: 42, numRuns: 1 })[0]!;

test('labels: all null (outside Kubernetes, written as one fixed part), some null, none null', () => {
  const cases: Array<[string | null, string | null, string | null, string | null]> = [
    [null, null, null, null],
    ['c1', null, null, null],
    [null, null, null, 'svc'],
    ['c1', 'web-0', 'shop', 'web'],
  ];
  for (const [container_id, pod, namespace, service] of cases) {
    const rec = JSON.parse(JSON.stringify(baseRecord)) as ExchangeRecord;
    rec.process = { ...rec.process, container_id, pod, namespace, service };
    assert.equal(toJsonLine(rec), reference(rec), JSON.stringify([container_id, pod, namespace, service]));
  }
});

test('records sharing a connection object (one connection\'s records): its part is encoded once, and again when tls, direction or process differ', () => {
  const first = JSON.parse(JSON.stringify(baseRecord)) as ExchangeRecord;
  first.tls = false;
  first.direction = 'ingress';
  const connection = first.connection;
  const variants: ExchangeRecord[] = [
    first,
    { ...first, ts: 'later', duration_ns: 7 },
    { ...first, tls: true },
    { ...first, tls: true, direction: 'egress' },
    { ...first, process: { ...first.process, pid: 99, comm: 'other' } },
    { ...first, process: { ...first.process, pod: 'web-0' } },
    first,
  ];
  for (const [i, rec] of variants.entries()) {
    assert.equal(rec.connection, connection);
    assert.equal(toJsonLine(rec), reference(rec), `variant ${i}`);
  }
  // Each line of a batch keeps its own connection part.
  const w = new JsonLineWriter(16);
  for (const rec of variants) w.line(rec);
  assert.equal(w.bytes().toString(), variants.map((r) => `${reference(r)}\n`).join(''));
});

test('the room a line reserves is enough: a writer starting at one byte grows once per line, never cuts it', () => {
  // Writes past a Buffer's end are silently dropped, so a bound that is too small shows as a
  // line that differs from the reference. Six-byte escapes (controls, lone surrogates) are the
  // worst case per character.
  const worst = fc.string({ unit: fc.constantFrom('\u0001', '\udfff'), minLength: 20, maxLength: 40 });
  const worstRecord = record.chain((r) =>
    fc
      .tuple(worst, worst, fc.array(fc.tuple(worst, worst), { minLength: 4, maxLength: 8 }))
      .map(([a, b, headers]) => ({ ...r, ts: a, request: { ...r.request, target: b, body: a, headers } })),
  );
  fc.assert(
    fc.property(fc.oneof(record, worstRecord), (r) => {
      const w = new JsonLineWriter(1);
      w.line(r);
      assert.equal(w.bytes().toString('utf8'), `${reference(r)}\n`);
    }),
    { numRuns: 1000 },
  );
});

test('numbers: digit by digit below 2^31, as JSON.stringify writes them beyond', () => {
  for (const n of [0, 7, 9, 10, 99, 100, 65535, 2 ** 31 - 1, 2 ** 31, 2 ** 53 - 1, 2 ** 53 + 2, 1e21, -0]) {
    const rec = JSON.parse(JSON.stringify(baseRecord)) as ExchangeRecord;
    rec.duration_ns = n;
    rec.request.body_size = n;
    assert.equal(toJsonLine(rec), reference(rec), String(n));
  }
});

/** A connection for records built from parsed exchanges. */
const CONN: ConnectionInfo = { id: '1:2:3', pid: 1, comm: 'nginx', local: { ip: '127.0.0.1', port: 80 }, remote: { ip: '127.0.0.1', port: 5000 }, direction: 'ingress', tls: false };

/** The exchange's record written with the exchange's bytes is the line JSON.stringify gives for the record. */
function assertLineFromBytes(builder: RecordBuilder, ex: HttpExchange): void {
  const rec = builder.build(ex, CONN);
  const w = new JsonLineWriter(1);
  w.line(rec, ex);
  assert.equal(w.bytes().toString('utf8'), `${reference(rec)}\n`);
}

test('bodies copied from the bytes they were decoded from (ASCII; from NATIVE_BODY_BYTES on by the addon) are the same line as from their strings; other bodies read the string', () => {
  const builder = new RecordBuilder(new MonotonicClock(), []);
  // Printable ASCII, every escape, bytes >= 0x80 (utf8 text, invalid utf8 -> base64), empty;
  // short ones (written here) and long ones (written by the addon), one non-ASCII byte anywhere.
  const long = { minLength: NATIVE_BODY_BYTES - 8, maxLength: 4 * NATIVE_BODY_BYTES };
  const unit = fc.constantFrom('a', '"', '\\', '\n', '\u0001', '\u007f', 'é', '😀');
  const bytes = fc.oneof(
    fc.uint8Array({ maxLength: 80 }),
    fc.uint8Array({ maxLength: 80, max: 0x7f }),
    fc.string({ unit, maxLength: 30 }).map((s) => Buffer.from(s)),
    fc.uint8Array({ ...long, max: 0x7f }),
    fc.string({ unit: fc.constantFrom('a', '"', '\\', '\n', '\u0001', '\u007f', '{', ':'), ...long }).map((s) => Buffer.from(s)),
    fc.tuple(fc.uint8Array({ ...long, max: 0x7f }), fc.nat(), fc.integer({ min: 0x80, max: 0xff })).map(([b, at, c]) => {
      const out = Buffer.from(b);
      out[at % out.length] = c;
      return out;
    }),
  );
  const msg = (body: Uint8Array, truncated: boolean) => ({ version: '1.1' as const, headers: HeaderFields.EMPTY, body: Buffer.from(body), bodySize: body.length, bodyTruncated: truncated });
  fc.assert(
    fc.property(bytes, bytes, fc.boolean(), fc.boolean(), (q, s, qt, st) => {
      const ex: HttpExchange = {
        request: { method: 'POST', target: '/x', ...msg(q, qt) },
        response: { status: 200, reason: 'OK', ...msg(s, st) },
        requestStartNs: 1n,
        requestEndNs: 2n,
      };
      assertLineFromBytes(builder, ex);
    }),
    { numRuns: 2000 },
  );
  // Bytes that are not what the string was decoded from, of the same length: not ASCII, so not used.
  const rec = builder.build({ request: { method: 'GET', target: '/', ...msg(Buffer.from('ab'), false) }, response: null, requestStartNs: 1n, requestEndNs: 2n }, CONN);
  const w = new JsonLineWriter(1);
  w.line(rec, { request: { body: Buffer.from([0xc3, 0xa9]) }, response: null });
  assert.equal(w.bytes().toString('utf8'), `${reference(rec)}\n`);
});

test('header fields copied from the head\'s bytes are the same line as from their strings: latin1 bytes, escapes, redacted fields, obs-fold', () => {
  const builder = new RecordBuilder(new MonotonicClock(), ['authorization', 'set-cookie']);
  // Any byte a value may hold but CR and LF, as latin1 characters: escapes, controls, 0x80-0xff.
  const value = fc.string({ unit: fc.constantFrom('a', 'Z', ' ', '\t', '"', '\\', '\u0001', '\u001f', '\u007f', '\u0080', '\u00e9', '\u00ff', '/'), maxLength: 24 });
  const name = fc.constantFrom('Host', 'Content-Type', 'Authorization', 'set-cookie', 'X-A', 'etag');
  // A field line, or (rarely) an obs-fold continuation line.
  const line = fc.oneof({ weight: 9, arbitrary: fc.tuple(name, value).map(([n, v]) => `${n}: ${v}`) }, { weight: 1, arbitrary: value.map((v) => ` ${v}`) });
  const head = (start: string) => fc.array(line, { maxLength: 7 }).map((lines) => Buffer.from(`${start}\r\n${lines.map((l) => `${l}\r\n`).join('')}\r\n`, 'latin1'));
  const body = { body: Buffer.alloc(0), bodySize: 0, bodyTruncated: false };
  let allRanges = 0;
  fc.assert(
    fc.property(head('POST /x HTTP/1.1'), head('HTTP/1.1 200 OK'), (qb, sb) => {
      const q = parseRequestHead(qb);
      const s = parseResponseHead(sb);
      assert.ok(typeof q === 'object' && typeof s === 'object');
      const ranges = (h: HeaderFields) => Array.from({ length: h.length }, (_, i) => h.valueIsRange(i)).every(Boolean);
      if (ranges(q.headers) && ranges(s.headers)) allRanges++;
      const ex: HttpExchange = {
        request: { method: q.method, target: q.target, version: q.version, headers: q.headers, ...body },
        response: { status: s.status, reason: s.reason, version: s.version, headers: s.headers, ...body },
        requestStartNs: 1n,
        requestEndNs: 2n,
      };
      assertLineFromBytes(builder, ex);
    }),
    { numRuns: 2000 },
  );
  // Most pairs of heads had every value as its byte range (an obs-fold that joins a value is a string).
  assert.ok(allRanges > 1000, String(allRanges));
});

test('a writer keeps a buffer that grew beyond its keep size while fills need it, and gives it back after RELEASE_AFTER_FILLS small ones', () => {
  const w = new JsonLineWriter(1024);
  const keep = 4096;
  const big = 'x'.repeat(3000);
  // A fill of 3 kB lines to 12 kB: the buffer grows past `keep`.
  const fill = (lines: number) => {
    for (let i = 0; i < lines; i++) w.text(`${big}\n`);
  };
  fill(4);
  const grown = w.bytes().buffer;
  assert.ok(grown.byteLength > keep);
  w.reset(keep);
  // Small fills in a row, then a large one: the count starts over, the buffer stays.
  for (let i = 0; i < RELEASE_AFTER_FILLS - 1; i++) {
    w.text('a\n');
    w.reset(keep);
  }
  fill(4);
  assert.equal(w.bytes().buffer, grown);
  w.reset(keep);
  for (let i = 0; i < RELEASE_AFTER_FILLS - 1; i++) {
    w.text('a\n');
    w.reset(keep);
    w.text('b\n');
    assert.equal(w.bytes().buffer, grown, `released after ${i + 1} small fills`);
  }
  w.reset(keep);
  w.text('c\n');
  assert.notEqual(w.bytes().buffer, grown);
  assert.equal(w.bytes().toString(), 'c\n');
});
