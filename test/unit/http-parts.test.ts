/**
 * The HTTP parser's building blocks on their own: the start-line grammar (what is accepted and
 * where garbage is rejected), resync candidates, chunk-size lines, Content-Length values, the
 * sliding window that bounds resync memory, content decoding, where a header block ends, and
 * field lookups by name.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import * as zlib from 'node:zlib';
import { StartLineMatcher, isStartLine } from '../../agent/http/start-line';
import { findStartLine } from '../../agent/http/resync';
import { ChunkedDecoder } from '../../agent/http/chunked';
import { contentLength } from '../../agent/http/framing';
import { HeaderFields } from '../../agent/http/header-fields';
import { FIELD_RANGES, parseFieldRanges } from '../../agent/http/headers';
import { ByteAccumulator } from '../../agent/http/byte-accumulator';
import { BlockScanner } from '../../agent/http/block-scanner';
import { contentCodings, decodeContent } from '../../agent/http/body-decoding';
import { DEFAULT_HTTP_PARSER_LIMITS } from '../../agent/http/limits';

const b = (s: string): Buffer => Buffer.from(s, 'latin1');

test('start lines the grammar accepts', () => {
  for (const line of [
    'GET / HTTP/1.1\r\n',
    'GET / HTTP/1.0\n',
    'M-SEARCH * HTTP/1.1\r\n',
    "x!#$%&'*+-.^_`|~9 /a?b=c&d=%20#f HTTP/1.1\r\n",
    'OPTIONS * HTTP/1.1\r\n',
    'CONNECT host:443 HTTP/1.1\r\n',
    'GET http://h/p\xe9 HTTP/1.1\r\n',
  ]) {
    assert.ok(isStartLine('request', b(line), 0, line.length), JSON.stringify(line));
  }
  for (const line of ['HTTP/1.1 200 OK\r\n', 'HTTP/1.0 404 Not Found\n', 'HTTP/1.1 200\r\n', 'HTTP/1.1 200 \r\n', 'HTTP/1.1 599 a\tb \xe9\r\n']) {
    assert.ok(isStartLine('response', b(line), 0, line.length), JSON.stringify(line));
  }
});

test('garbage is rejected at its first impossible byte', () => {
  const rejectAt = (direction: 'request' | 'response', line: string, at: number): void => {
    const m = new StartLineMatcher(direction);
    const p = m.feed(b(line), 0, line.length);
    assert.deepEqual([m.result, p], ['bad', at], JSON.stringify(line));
  };
  rejectAt('request', '\x16\x03\x01', 0);
  rejectAt('request', ' GET / HTTP/1.1\r\n', 0);
  rejectAt('request', 'GET  / HTTP/1.1\r\n', 4);
  rejectAt('request', 'GET / HTTP/2.0\r\n', 11);
  rejectAt('request', 'GET / HTTP/1.2\r\n', 13);
  rejectAt('request', 'GET /\r\n', 5);
  rejectAt('request', 'GET /a\x00b HTTP/1.1\r\n', 6);
  rejectAt('request', 'GET / HTTP/1.1\rX', 15);
  rejectAt('request', 'GET / HTTP/1.1 \r\n', 14);
  rejectAt('response', 'HTTP/1.1 20 OK\r\n', 11);
  rejectAt('response', 'HTTP/1.1  200 OK\r\n', 9);
  rejectAt('response', 'HTTP/1.1 200OK\r\n', 12);
  rejectAt('response', 'HTTP/1.1 200 O\x01K\r\n', 14);
  rejectAt('response', 'PRI * HTTP/2.0\r\n', 0);
  rejectAt('response', 'http/1.1 200 OK\r\n', 0);
});

test('the matcher carries its state across chunks', () => {
  const m = new StartLineMatcher('request');
  const line = b('PATCH /items/7 HTTP/1.1\r\nHost: x');
  let p = 0;
  for (let i = 1; i <= line.length && m.result === 'more'; i++) p = m.feed(line, i - 1, i);
  assert.deepEqual([m.result, p], ['done', 25]);
});

test('a line matched whole (the loops over a line that arrived in one piece) ends where the byte machine ends it, or is left to it', () => {
  // Fed byte by byte, only the byte machine runs (a one-byte piece is never a whole line).
  const machine = (direction: 'request' | 'response', buf: Buffer): [string, number] => {
    const m = new StartLineMatcher(direction);
    for (let i = 0; i < buf.length; i++) {
      const p = m.feed(buf, i, i + 1);
      if (m.result !== 'more') return [m.result, p];
    }
    return [m.result, buf.length];
  };
  const pieces = ['GET', 'HTTP/1.', 'HTTP/1.1', 'HTTP/1.0', ' ', '  ', '/a', '\r', '\n', '\r\n', '200', '20', 'OK', '\t', '\x7f', '\x00', '\xe9', '*', 'x', '1', '\x16'];
  const tail = fc.array(fc.constantFrom(...pieces), { maxLength: 3 }).map((ps) => ps.join(''));
  const end = fc.constantFrom('\r\n', '\n', '\r', '', '\r\nHost: x\r\n');
  // Lines built to the grammar (or one piece off it), and arbitrary runs of the pieces.
  const line = fc.oneof(
    fc.array(fc.constantFrom(...pieces), { maxLength: 12 }).map((ps) => b(ps.join(''))),
    fc.tuple(fc.constantFrom('GET', 'M-SEARCH', 'x', ''), fc.constantFrom('/', '*', '/a\xe9?b', ''), fc.constantFrom('0', '1', '2'), tail, end).map(([m, t, v, x, e]) => b(`${m} ${t} HTTP/1.${v}${x}${e}`)),
    fc.tuple(fc.constantFrom('0', '1', '2'), fc.constantFrom('200', '20', '2000', 'abc'), fc.constantFrom('', ' ', ' OK', ' a\tb\xe9', ' O\x01K'), tail, end).map(([v, c, r, x, e]) => b(`HTTP/1.${v} ${c}${r}${x}${e}`)),
  );
  fc.assert(
    fc.property(fc.constantFrom('request' as const, 'response' as const), line, fc.nat(4), (direction, buf, cut) => {
      const to = Math.max(0, buf.length - cut);
      const m = new StartLineMatcher(direction);
      const p = m.feed(buf, 0, to);
      assert.deepEqual([m.result, p], machine(direction, buf.subarray(0, to)), JSON.stringify(buf.toString('latin1')));
    }),
    { numRuns: 5000 },
  );
});

test('resync candidates: where a start line that ends a line begins', () => {
  const cases: Array<[direction: 'request' | 'response', line: string, atLineStart: boolean, expected: number]> = [
    ['request', 'GET /a HTTP/1.1\r\n', true, 0],
    ['request', 'get /a HTTP/1.1\r\n', true, 0],
    ['request', 'get /a HTTP/1.1\r\n', false, -1],
    ['request', '{"id":1}GET /a HTTP/1.1\r\n', false, 8],
    ['request', 'xyzPOST /a HTTP/1.0\n', false, 3],
    ['request', 'ABCGET /a HTTP/1.1\r\n', false, 3],
    ['request', 'ABCGET /a HTTP/1.1\r\n', true, 0],
    ['request', '\x01UNLOCK /a HTTP/1.1\r\n', false, 1],
    ['request', ';CUSTOM /a HTTP/1.1\r\n', false, 1],
    ['request', 'text then HTTP/1.1\r\n', false, -1],
    ['request', 'GET / HTTP/1.1 trailing\r\n', true, -1],
    ['request', 'GET  HTTP/1.1\r\n', true, -1],
    ['response', 'HTTP/1.1 200 OK\r\n', false, 0],
    ['response', 'binary\x00\xffHTTP/1.1 204 No Content\r\n', false, 8],
    ['response', 'says HTTP/1.1 is nice HTTP/1.0 500 x\r\n', false, 22],
    ['response', 'HTTP/1.1 2000\r\n', false, -1],
  ];
  for (const [direction, line, atLineStart, expected] of cases) {
    assert.equal(findStartLine(direction, b(line), atLineStart), expected, JSON.stringify(line));
  }
});

function dechunk(input: string): { status: string; data: string; trailers?: Array<[string, string]>; consumed: number } {
  const d = new ChunkedDecoder(DEFAULT_HTTP_PARSER_LIMITS);
  let data = '';
  const buf = b(input);
  const consumed = d.feed(buf, 0, {
    add(src, s, e) {
      data += src.toString('latin1', s, e);
    },
  });
  return { status: d.status, data, ...(d.trailers ? { trailers: d.trailers.toArray() } : {}), consumed };
}

test('chunk-size lines: hex, extensions, whitespace before them, and what is refused', () => {
  assert.deepEqual(dechunk('1a\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\n\r\nnext'), { status: 'done', data: 'abcdefghijklmnopqrstuvwxyz', consumed: 37 });
  assert.deepEqual(dechunk('3 ;a=b;c\r\nabc\r\n0;last\r\nT: 1\r\n\r\n'), { status: 'done', data: 'abc', trailers: [['T', '1']], consumed: 31 });
  assert.equal(dechunk('0000000000000003\r\nabc\r\n0\r\n\r\n').status, 'bad_chunk_size');
  assert.equal(dechunk('fffffffffffff\r\n').status, 'more');
  assert.equal(dechunk('-3\r\nabc\r\n').status, 'bad_chunk_size');
  assert.equal(dechunk('0x3\r\nabc\r\n').status, 'bad_chunk_size');
  assert.equal(dechunk('3\rX').status, 'bad_chunk_size');
  assert.equal(dechunk(`3;${'e'.repeat(5000)}\r\n`).status, 'bad_chunk_size');
  assert.equal(dechunk('3\r\nabc\r\r').status, 'bad_chunk');
  assert.equal(dechunk('0\r\nno colon\r\n\r\n').status, 'bad_header');
});

test('Content-Length values', () => {
  const cl = (...values: string[]) => contentLength(HeaderFields.of(values.map((v) => ['Content-Length', v])));
  assert.equal(cl(), null);
  assert.equal(cl('0'), 0);
  assert.equal(cl(' 42 '), 42);
  assert.equal(cl('42', '42'), 42);
  assert.equal(cl('42, 42'), 42);
  assert.equal(cl('999999999999999'), 999999999999999);
  for (const bad of [[''], ['-1'], ['+1'], ['1e3'], ['0x10'], ['1 2'], ['42', '43'], ['42,'], ['1234567890123456']]) {
    assert.equal(cl(...bad), 'bad_content_length', JSON.stringify(bad));
  }
  assert.equal(contentLength(HeaderFields.of([['content-LENGTH', '5']])), 5);
  // A value that is no one range of the bytes (a joined obs-fold) is read from its string.
  const folded = HeaderFields.parse(b('Content-Length: 4\r\n 2\r\n\r\n'), 0);
  assert.ok(typeof folded !== 'string');
  assert.equal(contentLength(folded), 'bad_content_length');
  const foldedList = HeaderFields.parse(b('Content-Length: 4,\r\n 4\r\n\r\n'), 0);
  assert.ok(typeof foldedList !== 'string');
  assert.equal(contentLength(foldedList), 4);
});

test('the resync window keeps exactly the last bytes, however they arrive', () => {
  const data = Buffer.from(Array.from({ length: 5000 }, (_, i) => i % 251));
  for (const step of [1, 7, 100, 999, 5000]) {
    const acc = new ByteAccumulator();
    let dropped = 0;
    for (let i = 0; i < data.length; i += step) dropped += acc.appendWindow(data, i, Math.min(i + step, data.length), 1000);
    assert.deepEqual(acc.view(), data.subarray(4000));
    assert.equal(dropped, 4000);
  }
});

test('content codings: what is decoded, in which order, and what is left raw', () => {
  assert.deepEqual(contentCodings(HeaderFields.of([['Content-Encoding', 'gzip']])), ['gzip']);
  assert.deepEqual(contentCodings(HeaderFields.of([['Content-Encoding', 'identity, GZIP'], ['content-encoding', 'br']])), ['gzip', 'br']);
  assert.equal(contentCodings(HeaderFields.of([['Content-Encoding', 'zstd']])), null);
  assert.equal(contentCodings(HeaderFields.of([['Content-Encoding', 'identity']])), null);
  assert.equal(contentCodings(HeaderFields.EMPTY), null);
  const chained = zlib.brotliCompressSync(zlib.deflateSync('twice'));
  assert.deepEqual(decodeContent(chained, ['deflate', 'br'], 1000), { ok: true, data: Buffer.from('twice') });
  assert.deepEqual(decodeContent(Buffer.from('x'), ['br'], 1000), { ok: false, code: 'decode_failed' });
  assert.deepEqual(decodeContent(zlib.gzipSync(Buffer.alloc(5000)), ['gzip'], 4999), { ok: false, code: 'decode_too_large' });
});

/** Feeds `input` to a fresh scanner in the given chunks; the stream position where it stopped, and how. */
function scanBlock(input: Buffer, cuts: number[], maxLines = 100, head = false, maxBytes = 1024): { at: number; status: string; block: string } {
  const sc = new BlockScanner(maxBytes, maxLines, head ? new StartLineMatcher('response') : null);
  sc.begin();
  let base = 0;
  for (const [a, z] of [0, ...cuts, input.length].flatMap((c, k, all) => (k + 1 < all.length ? [[c, all[k + 1]!]] : []))) {
    const chunk = input.subarray(a!, z!);
    const p = sc.feed(chunk, 0);
    if (sc.status !== 'more') return { at: base + p, status: sc.status, block: sc.block.toString('latin1') };
    base += chunk.length;
  }
  return { at: base, status: sc.status, block: '' };
}

test('a header block ends at its empty line whatever the chunking (CR LF, bare LF, one-byte lines)', () => {
  const cases: Array<[input: string, end: number, status: string, maxLines?: number]> = [
    ['a: 1\r\n\r\nREST', 8, 'done'],
    ['x\nb: 2\n\nREST', 8, 'done'],
    ['\r\nREST', 2, 'done'],
    ['\nREST', 1, 'done'],
    ['y\r\n\nREST', 4, 'done'],
    ['\rz\n\r\nREST', 5, 'done'],
    ['z\r\r\n\r\nREST', 6, 'done'],
    ['q\nr\ns\n\r\n', 8, 'done'],
    ['a:1\nb:2\nc:3\n\n', 12, 'too_many_headers', 2],
    ['a: 1\r\nb', 7, 'more'],
  ];
  for (const [text, end, status, maxLines] of cases) {
    const input = b(text);
    const whole = scanBlock(input, [], maxLines);
    const expectedBlock = status === 'done' ? text.slice(0, end) : '';
    assert.deepEqual(whole, { at: end, status, block: expectedBlock }, JSON.stringify(text));
    for (let cut = 1; cut < input.length; cut++) {
      assert.deepEqual(scanBlock(input, [cut], maxLines), whole, `${JSON.stringify(text)} cut at ${cut}`);
    }
    const everyByte = Array.from({ length: input.length - 1 }, (_, k) => k + 1);
    assert.deepEqual(scanBlock(input, everyByte, maxLines), whole, `${JSON.stringify(text)} byte by byte`);
  }
});

test('a head ends where a trailer section would, whole or split: within the size limit or not', () => {
  const START = 'HTTP/1.1 200 OK\r\n';
  const pad = (n: number) => `x: ${'p'.repeat(n - 5)}\r\n`;
  const cases: Array<[rest: string, end: number, status: string, maxLines?: number, maxBytes?: number]> = [
    ['a: 1\r\n\r\nREST', 8, 'done'],
    ['b: 2\n\nREST', 6, 'done'],
    ['\r\nREST', 2, 'done'],
    ['\nREST', 1, 'done'],
    ['y: 1\r\n\nREST', 7, 'done'],
    ['z:\r\r\n\r\nREST', 7, 'done'],
    ['a:1\nb:2\n\n', 9, 'done', 2],
    ['a:1\nb:2\nc:3\n\n', 12, 'too_many_headers', 2],
    ['a: 1\r\nb', 7, 'more'],
    // Long heads: found wherever the empty line is.
    [`${pad(1000)}\r\n`, 1002, 'done', 100, 4096],
    [`${pad(1024 - START.length - 2)}\r\n`, 1024 - START.length, 'done', 100, 4096],
    [`${pad(1024 - START.length - 1)}\r\n`, 1024 - START.length + 1, 'done', 100, 4096],
    [`${pad(1200)}\r\n`, 1202, 'done', 100, 4096],
    // The size limit inside the window: the error at the first byte past it.
    [`${pad(200)}\r\n`, 100 - START.length, 'header_too_large', 100, 100],
  ];
  for (const [rest, end, status, maxLines, maxBytes] of cases) {
    const text = START + rest;
    const at = START.length + end;
    const input = b(text);
    const whole = scanBlock(input, [], maxLines, true, maxBytes);
    assert.deepEqual(whole, { at, status, block: status === 'done' ? text.slice(0, at) : '' }, JSON.stringify(text.slice(0, 60)));
    for (let cut = 1; cut < input.length; cut += input.length > 200 ? 97 : 1) {
      assert.deepEqual(scanBlock(input, [cut], maxLines, true, maxBytes), whole, `${JSON.stringify(text.slice(0, 60))} cut at ${cut}`);
    }
  }
});

test('field lookups ignore ASCII case only, keep order and duplicates', () => {
  const h = HeaderFields.of([
    ['Content-LENGTH', '5'],
    ['content_length', '6'],
    ['CONTENT-LENGTH', '7'],
    ['Content-Lengthy', '8'],
    ['Transfer-Encoding', 'gzip, Chunked'],
    ['transfer-encoding', ' IDENTITY '],
  ]);
  assert.deepEqual(h.values('content-length'), ['5', '7']);
  assert.equal(h.has('content-length'), true);
  assert.equal(h.has('content-type'), false);
  assert.equal(HeaderFields.of([['Upgrade', 'h2c']]).has('upgrade'), true);
  // `[` and `{` are 0x20 apart too, but only letters fold.
  assert.equal(HeaderFields.of([['x[a]', '1']]).has('x{a}'), false);
  assert.deepEqual(h.tokens('transfer-encoding'), ['gzip', 'chunked', 'identity']);
});

test('header fields: strings on demand from the bytes, obs-fold joined, replaced values, text length, JSON pairs', () => {
  const section = b('Host: a\r\nX-Fold: one\r\n two \r\n\tthree\r\nEmpty:\r\n \r\nSet-Cookie: s=1\r\n\r\nrest');
  // The field lines end after the first empty line; bytes after it are not looked at.
  assert.equal(parseFieldRanges(section, 0), section.length - 'rest'.length);
  assert.equal(parseFieldRanges(section, 0, section.length - 'rest'.length - 1), -1);
  const h = HeaderFields.parse(section, 0);
  assert.ok(typeof h !== 'string');
  assert.deepEqual(h.toArray(), [['Host', 'a'], ['X-Fold', 'one two three'], ['Empty', ''], ['Set-Cookie', 's=1']]);
  assert.deepEqual([h.valueIsRange(0), h.valueIsRange(1), h.valueIsRange(2), h.valueIsRange(3)], [true, false, true, true]);
  assert.equal(h.textLength(), 'Host'.length + 1 + 'X-Fold'.length + 'one two three'.length + 'Empty'.length + 'Set-Cookie'.length + 3);
  const r = h.replacing([3], '[REDACTED]');
  assert.deepEqual([...r], [['Host', 'a'], ['X-Fold', 'one two three'], ['Empty', ''], ['Set-Cookie', '[REDACTED]']]);
  assert.equal(r.textLength(), h.textLength() - 3 + '[REDACTED]'.length);
  assert.equal(r.valueIsRange(3), false);
  // The original is untouched by a replacement.
  assert.equal(h.value(3), 's=1');
  assert.equal(JSON.stringify({ headers: r }), '{"headers":[["Host","a"],["X-Fold","one two three"],["Empty",""],["Set-Cookie","[REDACTED]"]]}');
  // A continuation before any field is ignored; the bytes are a copy (the block may be reused).
  const block = b(' lost\r\nA: 1\r\n\r\n');
  const first = HeaderFields.parse(block, 0);
  assert.ok(typeof first !== 'string');
  block.fill(0x21);
  assert.deepEqual(first.toArray(), [['A', '1']]);
  assert.equal(HeaderFields.parse(b('no colon\r\n\r\n'), 0), 'bad_header');
  assert.deepEqual(HeaderFields.of([['É', 'ÿ']]).toArray(), [['É', 'ÿ']]);
  assert.throws(() => HeaderFields.of([['X', '€']]), /latin1 text, got U\+20AC/);
  assert.equal(HeaderFields.of([['Content-Length', '12']]).decimal(0), 12);
  assert.equal(HeaderFields.of([['Content-Length', '1,2']]).decimal(0), -1);
});

test('field lines: a line is judged only once its LF is in range; ends, errors and values at the edges', () => {
  const ranges = (s: string, to?: number): number | string | number[][] => {
    const end = parseFieldRanges(b(s), 0, to);
    if (typeof end === 'string' || end < 0) return end;
    const out: number[][] = [];
    for (let k = 0; k < FIELD_RANGES.n; k += 4) out.push(FIELD_RANGES.at.slice(k, k + 4));
    return [[end], ...out];
  };
  // The end: an empty line with CR LF or a bare LF.
  assert.deepEqual(ranges('A: 1\r\n\r\nX'), [[8], [0, 1, 3, 4]]);
  assert.deepEqual(ranges('A: 1\n\nX'), [[6], [0, 1, 3, 4]]);
  // Errors, once the line is whole: a name that is not a token, no colon, a lone CR first.
  assert.equal(ranges('A\x01: 1\r\n\r\n'), 'bad_header');
  assert.equal(ranges('Name  \r\n\r\n'), 'bad_header');
  assert.equal(ranges('Name\r\n\r\n'), 'bad_header');
  assert.equal(ranges('\r\r\n\r\n'), 'bad_header');
  assert.equal(ranges(': v\r\n\r\n'), 'bad_header');
  // The same lines cut before their LF are not looked at.
  assert.equal(ranges('A\x01: 1'), -1);
  assert.equal(ranges('Name  '), -1);
  assert.equal(ranges('A: 1\r\n\r'), -1, 'a CR at the edge may be the end line\'s');
  assert.equal(ranges('A: 1\r\n\r\n', 7), -1);
  assert.equal(ranges('A: 1\r\nB\x01: 2\r\n\r\n', 9), -1, 'the error is past `to`');
  // Values: empty, whitespace around trimmed, a bare CR inside kept, whitespace before the colon.
  assert.deepEqual(ranges('E:\r\nF:\n\r\n'), [[9], [0, 1, 2, 2], [4, 5, 6, 6]]);
  assert.deepEqual(ranges('V: \t a\rb \t\r\n\r\n'), [[14], [0, 1, 5, 8]]);
  assert.deepEqual(ranges('N \t: x\r\n\r\n'), [[10], [0, 1, 5, 6]]);
  // An obs-fold line: name start -1, its value trimmed.
  assert.deepEqual(ranges('A: 1\r\n \t two \r\n\r\n'), [[17], [0, 1, 3, 4], [-1, 6, 9, 12]]);
});
