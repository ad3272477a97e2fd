/**
 * The native fast path (native/src/fast-lines.cc via agent/pipeline/fast-lines.ts) against the
 * JavaScript path it stands in for. Contract: for any batches, its lines plus the lines JavaScript
 * makes of what it hands back are the pure JavaScript path's lines byte for byte, with the same
 * assembler stats and event counts. Each case also says whether the fast path should take the
 * connection (plain exchanges) or hand it over, so a case does not pass by never exercising it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MonotonicClock } from '../../agent/capture/clock';
import { ConnIdTable, decodeBatch } from '../../agent/capture/decode';
import * as L from '../../agent/capture/layout';
import { ExchangeAssembler, type ExchangeAssemblerOptions } from '../../agent/pipeline/exchange-assembler';
import { FastLines, withFastStats } from '../../agent/pipeline/fast-lines';
import { JsonLineWriter } from '../../agent/pipeline/record-json';
import { closeRecord, dataRecord, frame, openRecord } from '../helpers/batches';
import { prng } from '../helpers/random';
import { PassThrough } from 'node:stream';
import { fastPathServes } from '../../agent/runtime/agent-runtime';
import { HarSink } from '../../agent/sinks/har-sink';
import { StdoutSink } from '../../agent/sinks/stdout-sink';

/** One clock for both runs: the lines' `ts` are wall-clock from its offset. */
const clock = new MonotonicClock();
type Opts = Partial<Pick<ExchangeAssemblerOptions, 'mode' | 'ports' | 'maxBodyBytes' | 'redactHeaders' | 'decodeContent' | 'processPolicy'>>;
const BASE = { clock, mode: 'all' as const, maxBodyBytes: 65536, redactHeaders: ['authorization', 'COOKIE', 'X-Api-Key'], decodeContent: false, ports: [] as number[] };
const STATS = ['exchanges', 'connections', 'requestParseErrors', 'responseParseErrors', 'resyncs', 'orphanEvents', 'expired', 'droppedByMode', 'droppedByPort'] as const;

/** A batch: framed bytes as the reader hands them over, or records to frame. */
type Batch = Buffer | Buffer[];

function run(batches: Batch[], o: Opts, expireAt: bigint[], useFast: boolean) {
  const opts = { ...BASE, ...o };
  const w = new JsonLineWriter();
  const lines: string[] = [];
  const asm = new ExchangeAssembler(opts, (rec, ex) => {
    w.reset();
    w.line(rec, ex);
    lines.push(w.bytes().toString('latin1'));
  });
  const fast = useFast
    ? new FastLines(opts, (buf, count) => {
        const text = buf.toString('latin1');
        const got = text.split('\n').slice(0, -1).map((l) => l + '\n');
        assert.equal(got.length, count, 'lineCount is the number of lines in the buffer');
        assert.ok(text.endsWith('\n'));
        lines.push(...got);
      })
    : null;
  const ids = new ConnIdTable();
  const counters = { malformed: 0 };
  const events = { data: 0, open: 0, close: 0 };
  const feed = (b: Buffer | null) => {
    if (b !== null) decodeBatch(b, ids, counters, (ev) => (events[ev.kind]++, asm.add(ev)));
  };
  for (const b of batches) {
    const batch = Array.isArray(b) ? Buffer.concat(b.map(frame)) : b;
    feed(fast ? fast.take(batch) : batch);
  }
  for (const t of expireAt) {
    // What the fast path hands back goes to the assembler before its own expire, as in the agent.
    if (fast) feed(fast.expire(t, asm.idleTimeout));
    asm.expire(t);
  }
  const fs = fast?.stats();
  if (fast) for (const [k, v] of Object.entries(fast.events())) events[k as keyof typeof events] += v;
  const all = withFastStats(asm.stats, fs);
  const stats = Object.fromEntries(STATS.map((k) => [k, all[k]]));
  return { lines: lines.sort(), stats, events, malformed: counters.malformed, fast: fs };
}

/** Both paths over the same batches: equal lines, stats and event counts. Returns the fast path's stats. */
function compare(batches: Batch[], opts: Opts = {}, expireAt: bigint[] = []) {
  const js = run(batches, opts, expireAt, false);
  const fast = run(batches, opts, expireAt, true);
  assert.deepEqual(fast.lines, js.lines);
  assert.deepEqual(fast.stats, js.stats);
  assert.deepEqual(fast.events, js.events);
  assert.equal(fast.malformed, js.malformed);
  return { fast: fast.fast!, lines: js.lines, stats: js.stats };
}

/** Kernel timestamps in arrival order (the fast path and the pairer both look at their order). */
let nowNs = 5_000_000_000n;
const tick = () => (nowNs += 1_000n);

interface ConnOpts {
  role?: 'server' | 'client';
  family?: number;
  local?: number[];
  remote?: number[];
  lport?: number;
  rport?: number;
  tls?: boolean;
}
interface At {
  pos?: number;
  len?: number;
  flags?: number;
  ts?: bigint;
}

/** One connection's records: stream positions tracked per direction (0 ingress, 1 egress). */
function conn(gen: number, o: ConnOpts = {}) {
  const id = { gen: BigInt(gen), fd: 10 + gen, tgid: 4242 };
  const reqDir = o.role === 'client' ? 1 : 0;
  let pos = [0, 0];
  const data = (dir: number, bytes: string | Buffer, at: At = {}) => {
    const payload = typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes;
    const p = at.pos ?? pos[dir];
    const len = at.len ?? payload.length;
    pos[dir] = Math.max(pos[dir], p + len);
    const flags = (at.flags ?? 0) | (o.tls ? L.DATA_F_TLS : 0);
    return dataRecord(payload, { dir, pos: p, len, flags, tsNs: at.ts ?? tick(), id });
  };
  return {
    open(ts = tick()) {
      pos = [0, 0];
      const b = openRecord(o.family ?? 2, o.local ?? [10, 0, 0, 1], o.remote ?? [10, 0, 0, 2], o.lport ?? 8080, o.rport ?? 40000 + gen, id);
      if (o.role === 'client') b.writeUInt32LE(2, L.CONN_OPEN.role);
      b.writeBigUInt64LE(ts, L.CONN_OPEN.ts_ns);
      return b;
    },
    data,
    req: (bytes: string | Buffer, at?: At) => data(reqDir, bytes, at),
    res: (bytes: string | Buffer, at?: At) => data(1 - reqDir, bytes, at),
    /** `extra`: bytes the kernel counted beyond those seen, per direction. */
    close: (extra = [0, 0]) => closeRecord(BigInt(pos[0] + extra[0]), BigInt(pos[1] + extra[1]), id, tick()),
  };
}

const GET = 'GET /items?x=1 HTTP/1.1\r\nHost: a\r\nAccept: */*\r\n\r\n';
const OK = 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello';
const OK0 = 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n';
const hole = (len: number): [Buffer, At] => [Buffer.alloc(0), { len, flags: L.DATA_F_NO_PAYLOAD }];
const v6 = (hex: string) => [...Buffer.from(hex, 'hex')];

interface Case {
  name: string;
  expect: 'taken' | 'handed';
  opts?: Opts;
  /** Expire calls after the batches, in ns after the last timestamp. */
  expireAfter?: bigint[];
  batches: () => Batch[];
  check?: (lines: string[]) => void;
}

const has = (s: string) => (lines: string[]) => assert.ok(lines.some((l) => l.includes(s)), `a line has ${s}`);

const CASES: Case[] = [
  // Taken: plain exchanges.
  { name: 'GET/200 with a Content-Length body', expect: 'taken', batches: () => { const c = conn(1); return [[c.open(), c.req(GET), c.res(OK), c.close()]]; } },
  { name: 'POST with a JSON body', expect: 'taken', check: has('"body":"{\\"id\\":1}"'), batches: () => { const c = conn(2); return [[c.open(), c.req('POST /orders HTTP/1.1\r\nHost: b\r\nContent-Type: application/json\r\nContent-Length: 8\r\n\r\n{"id":1}'), c.res('HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\n{}')]]; } },
  { name: 'keep-alive: several exchanges on one connection', expect: 'taken', batches: () => { const c = conn(3); return [[c.open(), c.req(GET), c.res(OK)], [c.req(GET), c.res(OK0), c.req('DELETE /x/1 HTTP/1.1\r\n\r\n')], [c.res(OK)]]; } },
  { name: 'pipelined: two requests in one event, two responses in one event', expect: 'taken', batches: () => { const c = conn(4); return [[c.open(), c.req(GET + 'GET /two HTTP/1.1\r\nHost: a\r\n\r\n'), c.res(OK + OK0)]]; } },
  { name: 'HEAD: a Content-Length but no body', expect: 'taken', check: has('"body_size":0'), batches: () => { const c = conn(5); return [[c.open(), c.req('HEAD /big HTTP/1.1\r\nHost: a\r\n\r\n'), c.res('HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n'), c.req(GET), c.res(OK)]]; } },
  { name: '204 and 304 have no body', expect: 'taken', batches: () => { const c = conn(6); return [[c.open(), c.req(GET), c.res('HTTP/1.1 204 No Content\r\n\r\n'), c.req(GET), c.res('HTTP/1.1 304 Not Modified\r\nETag: "x"\r\nContent-Length: 99\r\n\r\n'), c.req(GET), c.res(OK)]]; } },
  { name: 'sendfile body: a hole of its length', expect: 'taken', check: has('"body":"","body_encoding":"utf8","body_size":4096,"body_truncated":true'), batches: () => { const c = conn(7); return [[c.open(), c.req(GET), c.res('HTTP/1.1 200 OK\r\nContent-Length: 4096\r\n\r\n'), c.res(...hole(4096)), c.req(GET), c.res(OK)]]; } },
  { name: 'body over maxBodyBytes is truncated', expect: 'taken', opts: { maxBodyBytes: 16 }, check: has('"body_size":40,"body_truncated":true'), batches: () => { const c = conn(8); const body = 'abcdefghij'.repeat(4); return [[c.open(), c.req(`PUT /p HTTP/1.1\r\nContent-Length: 40\r\n\r\n${body}`), c.res(`HTTP/1.1 200 OK\r\nContent-Length: 40\r\n\r\n${body.slice(0, 13)}`), c.res(body.slice(13))]]; } },
  {
    name: 'a 100 KiB body: taken, kept up to maxBodyBytes', expect: 'taken', check: has('"body_size":102400,"body_truncated":true'),
    batches: () => {
      const c = conn(17);
      const chunk = 'y'.repeat(10240);
      return [[c.open(), c.req(GET), c.res('HTTP/1.1 200 OK\r\nContent-Length: 102400\r\n\r\n'), ...Array.from({ length: 10 }, () => c.res(chunk)), c.req(GET), c.res(OK)]];
    },
  },
  { name: 'redaction: header names in any case', expect: 'taken', check: (ls) => { has('["AUTHORIZATION","[REDACTED]"]')(ls); has('["cookie","[REDACTED]"]')(ls); assert.ok(!ls.some((l) => l.includes('secret'))); }, batches: () => { const c = conn(9); return [[c.open(), c.req('GET / HTTP/1.1\r\nAUTHORIZATION: Bearer secret\r\ncookie: s=secret\r\nx-api-KEY: secret\r\n\r\n'), c.res('HTTP/1.1 200 OK\r\nSet-Cookie: a=b\r\nContent-Length: 0\r\n\r\n')]]; } },
  { name: 'TLS-flagged connection', expect: 'taken', check: has('"tls":true'), batches: () => { const c = conn(10, { tls: true }); return [[c.open(), c.req(GET), c.res(OK), c.close()]]; } },
  {
    name: 'IPv6: IPv4-mapped and a zero run', expect: 'taken', check: (ls) => { has('"ip":"10.1.2.3"')(ls); has('"ip":"2001:db8::1"')(ls); has('"ip":"fe80::a:0:0:1"')(ls); },
    batches: () => {
      const a = conn(11, { family: 10, local: v6('00000000000000000000ffff0a010203'), remote: v6('20010db8000000000000000000000001') });
      const b = conn(12, { family: 10, local: v6('fe80000000000000000a000000000001'), remote: v6('00000000000000000000000000000001') });
      return [[a.open(), b.open(), a.req(GET), b.req(GET), a.res(OK), b.res(OK)]];
    },
  },
  { name: 'client role: requests egress, responses ingress', expect: 'taken', check: has('"direction":"egress"'), batches: () => { const c = conn(13, { role: 'client', rport: 443 }); return [[c.open(), c.req(GET), c.res(OK), c.req(GET)], [c.res(OK), c.close()]]; } },
  { name: 'clean close after complete exchanges', expect: 'taken', batches: () => { const c = conn(14); return [[c.open(), c.req(GET), c.res(OK)], [c.req(GET), c.res(OK)], [c.close()]]; } },
  { name: 'CRLF between messages', expect: 'taken', batches: () => { const c = conn(15); return [[c.open(), c.req(GET + '\r\n'), c.res(OK + '\r\n'), c.req('\r\n' + GET), c.res(OK)]]; } },
  { name: 'expiry of an idle connection holding nothing', expect: 'taken', expireAfter: [400_000_000_000n], batches: () => { const c = conn(16); return [[c.open(), c.req(GET), c.res(OK)]]; } },
  // Handed over: JavaScript decides, from the connection's oldest unwritten message.
  { name: 'chunked response', expect: 'handed', batches: () => { const c = conn(20); return [[c.open(), c.req(GET), c.res(OK), c.req(GET), c.res('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n'), c.req(GET), c.res(OK)]]; } },
  { name: 'response without Content-Length, to the close', expect: 'handed', batches: () => { const c = conn(21); return [[c.open(), c.req(GET), c.res('HTTP/1.1 200 OK\r\n\r\nuntil the end'), c.close()]]; } },
  { name: 'bare LF line endings in a request head', expect: 'handed', batches: () => { const c = conn(22); return [[c.open(), c.req('GET / HTTP/1.1\nHost: a\n\n'), c.res(OK)]]; } },
  { name: 'obs-fold header line', expect: 'handed', batches: () => { const c = conn(23); return [[c.open(), c.req('GET / HTTP/1.1\r\nX-Long: a\r\n  b\r\nHost: a\r\n\r\n'), c.res(OK)]]; } },
  { name: 'header value with a non-ASCII byte', expect: 'handed', batches: () => { const c = conn(24); return [[c.open(), c.req('GET / HTTP/1.1\r\nX-Name: caf\xe9\r\n\r\n'), c.res(OK)]]; } },
  { name: 'UTF-8 body', expect: 'handed', batches: () => { const c = conn(25); const body = Buffer.from('héllo ✓', 'utf8'); return [[c.open(), c.req(GET), c.res(Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n`), body]))]]; } },
  { name: 'binary body (base64)', expect: 'handed', check: has('"body_encoding":"base64"'), batches: () => { const c = conn(26); const body = Buffer.from([0, 1, 2, 0xff, 0xfe, 0x80, 10]); return [[c.open(), c.req(GET), c.res(Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n`), body]))]]; } },
  { name: '100 Continue interim response', expect: 'handed', batches: () => { const c = conn(27); return [[c.open(), c.req('POST /up HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n'), c.res('HTTP/1.1 100 Continue\r\n\r\n'), c.req('data'), c.res(OK0), c.req(GET), c.res(OK)]]; } },
  { name: '101 Switching Protocols with Upgrade', expect: 'handed', batches: () => { const c = conn(28); return [[c.open(), c.req('GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n'), c.res('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n\x81\x02hi'), c.req('\x81\x82abcdXY')]]; } },
  { name: 'CONNECT', expect: 'handed', batches: () => { const c = conn(29, { role: 'client' }); return [[c.open(), c.req('CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n'), c.res('HTTP/1.1 200 Connection Established\r\n\r\n'), c.req('\x16\x03\x01tunnel'), c.res('\x16\x03\x03back')]]; } },
  { name: 'out-of-order events', expect: 'handed', batches: () => { const c = conn(30); return [[c.open(), c.req(GET), c.res(OK), c.req(GET.slice(10), { pos: GET.length + 10 }), c.req(GET.slice(0, 10), { pos: GET.length }), c.res(OK), c.req(GET), c.res(OK)]]; } },
  // The same, with the out-of-order event alone in its batch (nothing else in it is taken).
  { name: 'out-of-order event alone in its batch', expect: 'handed', batches: () => { const c = conn(39); return [[c.open(), c.req(GET), c.res(OK), c.req(GET.slice(0, 10))], [c.req(GET.slice(20), { pos: GET.length + 20 })], [c.req(GET.slice(10, 20), { pos: GET.length + 10 }), c.res(OK)]]; } },
  { name: 'a hole in the middle of a head', expect: 'handed', batches: () => { const c = conn(31); return [[c.open(), c.req('GET / HTTP/1.1\r\n'), c.req(...hole(8)), c.req('X: y\r\n\r\n'), c.res(OK), c.req(GET), c.res(OK)]]; } },
  { name: 'close while a request awaits its response', expect: 'handed', check: has('"incomplete":"closed"'), batches: () => { const c = conn(32); return [[c.open(), c.req(GET), c.res(OK), c.req(GET)], [c.close()]]; } },
  { name: 'expire while a request awaits its response', expect: 'handed', expireAfter: [400_000_000_000n], check: has('"incomplete":"timeout"'), batches: () => { const c = conn(33); return [[c.open(), c.req(GET), c.res(OK), c.req(GET)]]; } },
  { name: 'close counting bytes never seen', expect: 'handed', batches: () => { const c = conn(34); return [[c.open(), c.req(GET), c.res(OK), c.close([100, 7])]]; } },
  { name: 'response before its request in batch order', expect: 'handed', batches: () => { const c = conn(35); return [[c.open(), c.res(OK), c.req(GET), c.req(GET), c.res(OK)]]; } },
  {
    name: 'handed over in one batch, more exchanges in the next ones', expect: 'handed',
    batches: () => { const c = conn(36); return [[c.open(), c.req(GET), c.res(OK), c.req(GET), c.res('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n')], [c.res('0\r\n\r\n'), c.req(GET), c.res(OK)], [c.req(GET), c.res(OK), c.close()]]; },
  },
  { name: 'garbage request', expect: 'handed', batches: () => { const c = conn(37); return [[c.open(), c.req('HELLO\x00\x01 there\r\n\r\n'), c.res(OK), c.req(GET), c.res(OK)]]; } },
  {
    name: 'a 1 MiB body: handed over while held whole (the held slices are bounded)', expect: 'handed', check: has('"body_size":1048576,"body_truncated":true'),
    batches: () => {
      const c = conn(48);
      const chunk = 'x'.repeat(16384);
      return [[c.open(), c.req(GET), c.res('HTTP/1.1 200 OK\r\nContent-Length: 1048576\r\n\r\n'), ...Array.from({ length: 64 }, () => c.res(chunk)), c.req(GET), c.res(OK)]];
    },
  },
  { name: 'duplicate open with the same generation', expect: 'handed', batches: () => { const c = conn(38); return [[c.open(), c.req(GET), c.res(OK), c.req(GET)], [c.open(), c.req(GET), c.res(OK), c.close()]]; } },
  // Mode and ports: excluded connections are JavaScript's to drop (neither taken nor handed over).
  { name: "mode 'ingress' drops a client connection", expect: 'taken', opts: { mode: 'ingress' }, batches: () => { const a = conn(40, { role: 'client' }); const b = conn(41); return [[a.open(), b.open(), a.req(GET), b.req(GET), a.res(OK), b.res(OK)]]; } },
  { name: "mode 'egress' drops a server connection", expect: 'taken', opts: { mode: 'egress' }, batches: () => { const a = conn(42, { role: 'client' }); const b = conn(43); return [[a.open(), b.open(), a.req(GET), b.req(GET), a.res(OK), b.res(OK)]]; } },
  { name: 'ports: local port of a server, remote port of a client', expect: 'taken', opts: { ports: [8080, 443] }, batches: () => { const a = conn(44, { role: 'client', rport: 443 }); const b = conn(45, { lport: 8080 }); const x = conn(46, { lport: 9000 }); return [[a.open(), b.open(), x.open(), a.req(GET), b.req(GET), x.req(GET), a.res(OK), b.res(OK), x.res(OK)]]; } },
];

for (const c of CASES) {
  test(`${c.expect === 'taken' ? 'taken' : 'handed over'}: ${c.name}`, () => {
    const batches = c.batches();
    const { fast, lines } = compare(batches, c.opts, (c.expireAfter ?? []).map((d) => nowNs + d));
    if (c.expect === 'taken') {
      assert.equal(fast.handedOver, 0, 'the fast path took every connection');
      assert.ok(fast.exchanges > 0, 'the fast path wrote lines');
    } else {
      assert.ok(fast.handedOver >= 1, 'the fast path handed a connection over');
    }
    assert.ok(lines.length > 0, 'the case makes lines');
    c.check?.(lines);
  });
}

test('ports filter excluding every connection: nothing is taken', () => {
  const c = conn(47);
  const { fast, lines, stats } = compare([[c.open(), c.req(GET), c.res(OK), c.close()]], { ports: [9999] });
  assert.deepEqual([fast.exchanges, fast.connections, lines.length, stats.droppedByPort], [0, 0, 0, 1]);
});

test('taken: a short exchange split into 2 and 3 events at every byte boundary', () => {
  const req = 'GET / HTTP/1.1\r\nHost: a\r\n\r\n';
  const res = 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi';
  let gen = 100;
  const check = (reqParts: string[], resParts: string[]) => {
    const c = conn(gen++);
    // Alternate batch boundaries: every piece its own batch, or all in one.
    const recs = [c.open(), ...reqParts.map((p) => c.req(p)), ...resParts.map((p) => c.res(p))];
    const batches = gen % 2 === 0 ? [recs] : recs.map((r) => [r]);
    const { fast } = compare(batches);
    assert.deepEqual([fast.handedOver, fast.exchanges], [0, 1], `split ${JSON.stringify(reqParts)} ${JSON.stringify(resParts)}`);
  };
  for (const s of [req, res]) {
    for (let i = 1; i < s.length; i++) {
      for (let j = i; j < s.length; j++) {
        const parts = j === i ? [s.slice(0, i), s.slice(i)] : [s.slice(0, i), s.slice(i, j), s.slice(j)];
        if (s === req) check(parts, [res]);
        else check([req], parts);
      }
    }
  }
});

// Property: random connections, exchanges, splits and interleavings.
const NAMES = ['Host', 'Accept', 'User-Agent', 'Authorization', 'cookie', 'X-API-KEY', 'Content-Type', 'X-Trace', 'Connection', 'Cache-Control'];
const header = fc.tuple(fc.constantFrom(...NAMES), fc.stringMatching(/^[\x21-\x7e]([\x20-\x7e]{0,20}[\x21-\x7e])?$/));
const asciiBody = fc.string({ unit: 'binary-ascii', maxLength: 300 });
const exchangeArb = fc.record({
  method: fc.constantFrom('GET', 'GET', 'POST', 'PUT', 'DELETE', 'HEAD', 'PATCH', 'OPTIONS'),
  target: fc.oneof(fc.constantFrom('/', '/api/items?x=1&y=2', '/a%20b'), fc.stringMatching(/^\/[\x21-\x7e]{0,30}$/)),
  reqHeaders: fc.array(header, { maxLength: 5 }),
  reqBody: asciiBody,
  status: fc.constantFrom(200, 200, 200, 201, 204, 304, 404, 500),
  resHeaders: fc.array(header, { maxLength: 5 }),
  resBody: asciiBody,
  kind: fc.constantFrom('cl', 'cl', 'cl', 'cl', 'cl', 'cl', 'cl', 'chunked', 'nocl', 'utf8'),
});
const connArb = fc.record({
  role: fc.constantFrom('server' as const, 'client' as const),
  tls: fc.boolean(),
  family: fc.constantFrom(2, 10),
  close: fc.boolean(),
  /** The last response never comes: the close or the expiry ends a request awaiting it. */
  unanswered: fc.constantFrom(false, false, false, true),
  exchanges: fc.array(exchangeArb, { minLength: 1, maxLength: 8 }),
});
type ExchangeSpec = typeof exchangeArb extends fc.Arbitrary<infer T> ? T : never;
const REASONS: Record<number, string> = { 200: 'OK', 201: 'Created', 204: 'No Content', 304: 'Not Modified', 404: 'Not Found', 500: 'Internal Server Error' };

/** One exchange's bytes; `last`: the no-Content-Length kind (body to the close) is allowed. */
function exchangeBytes(e: ExchangeSpec, last: boolean): [Buffer, Buffer] {
  const heads = (hs: [string, string][]) => hs.map(([n, v]) => `${n}: ${v}\r\n`).join('');
  const withBody = e.method === 'POST' || e.method === 'PUT' || e.method === 'PATCH';
  const reqBody = withBody ? e.reqBody : '';
  const req = Buffer.from(`${e.method} ${e.target} HTTP/1.1\r\n${heads(e.reqHeaders)}${withBody ? `Content-Length: ${reqBody.length}\r\n` : ''}\r\n${reqBody}`, 'latin1');
  const noBody = e.method === 'HEAD' || e.status === 204 || e.status === 304;
  let body = Buffer.from(e.resBody, 'latin1');
  if (e.kind === 'utf8') body = Buffer.concat([body, Buffer.from('ü€✓', 'utf8')]);
  const kind = e.kind === 'nocl' && !last ? 'cl' : e.kind;
  let framing = `Content-Length: ${body.length}\r\n`;
  let sent = noBody ? Buffer.alloc(0) : body;
  if (kind === 'chunked' && !noBody) {
    framing = 'Transfer-Encoding: chunked\r\n';
    const parts = body.length > 10 ? [body.subarray(0, 7), body.subarray(7)] : [body];
    sent = Buffer.concat([...parts.filter((p) => p.length > 0).flatMap((p) => [Buffer.from(`${p.length.toString(16)}\r\n`), p, Buffer.from('\r\n')]), Buffer.from('0\r\n\r\n')]);
  } else if (kind === 'nocl' && !noBody) {
    framing = '';
  } else if (e.status === 204) {
    framing = '';
  }
  const resHead = `HTTP/1.1 ${e.status} ${REASONS[e.status]}\r\n${heads(e.resHeaders)}${framing}\r\n`;
  return [req, Buffer.concat([Buffer.from(resHead, 'latin1'), sent])];
}

/** Cuts a stream into events: at message boundaries mostly, inside messages at rate `p`. */
function cut(stream: Buffer, bounds: Set<number>, p: number, rnd: () => number): [number, number][] {
  const out: [number, number][] = [];
  let from = 0;
  for (let i = 1; i < stream.length; i++) {
    if ((bounds.has(i) && rnd() < 0.7) || rnd() < p) {
      out.push([from, i]);
      from = i;
    }
  }
  if (stream.length > from) out.push([from, stream.length]);
  return out;
}

test('property: fast path + JavaScript make the pure JavaScript lines, for random traffic', () => {
  let took = 0;
  let handed = 0;
  fc.assert(
    fc.property(fc.array(connArb, { minLength: 1, maxLength: 6 }), fc.integer(), fc.constantFrom(65536, 64), (specs, seed, maxBodyBytes) => {
      const rnd = prng(seed);
      // Per connection: its records (without timestamps yet) in an order that keeps each
      // response after its request; timestamps are given in arrival order below.
      type Step = (c: ReturnType<typeof conn>) => Buffer;
      const queues = specs.map((s, k) => {
        const c = conn(1000 + k, { role: s.role, tls: s.tls, family: s.family, local: s.family === 10 ? v6('20010db8000000000000000000000001') : undefined, remote: s.family === 10 ? v6('00000000000000000000ffff0a000002') : undefined });
        const pairs = s.exchanges.map((e, i) => exchangeBytes(e, i === s.exchanges.length - 1));
        const reqS = Buffer.concat(pairs.map((p) => p[0]));
        const resS = Buffer.concat(pairs.slice(0, s.unanswered ? -1 : undefined).map((p) => p[1]));
        const reqEnd: number[] = [];
        const resStart: number[] = [];
        let a = 0;
        let b = 0;
        for (const [q, r] of pairs) {
          reqEnd.push((a += q.length));
          resStart.push(b);
          b += r.length;
        }
        const p = [0, 0.005, 0.05, 0.3][Math.floor(rnd() * 4)];
        const reqCuts = cut(reqS, new Set(reqEnd), p, rnd);
        const resCuts = cut(resS, new Set(resStart), p, rnd);
        const steps: Step[] = [(x) => x.open()];
        let i = 0;
        let j = 0;
        while (i < reqCuts.length || j < resCuts.length) {
          // A response slice may go once every request whose response it reaches is sent.
          let ok = j < resCuts.length;
          if (ok && i < reqCuts.length) {
            let k = 0;
            while (k + 1 < resStart.length && resStart[k + 1] < resCuts[j][1]) k++;
            ok = (i > 0 ? reqCuts[i - 1][1] : 0) >= reqEnd[k];
          }
          if (ok && (i >= reqCuts.length || rnd() < 0.5)) {
            const [x, y] = resCuts[j++];
            steps.push((cc) => cc.res(resS.subarray(x, y)));
          } else {
            const [x, y] = reqCuts[i++];
            steps.push((cc) => cc.req(reqS.subarray(x, y)));
          }
        }
        if (s.close || s.exchanges.at(-1)!.kind === 'nocl') steps.push((x) => x.close());
        return { c, steps };
      });
      // Interleave connections, cutting batches at random.
      const batches: Buffer[][] = [[]];
      const live = queues.filter((q) => q.steps.length > 0);
      while (live.length > 0) {
        const k = Math.floor(rnd() * live.length);
        batches.at(-1)!.push(live[k].steps.shift()!(live[k].c));
        if (live[k].steps.length === 0) live.splice(k, 1);
        if (rnd() < 0.15) batches.push([]);
      }
      const { fast } = compare(batches, { maxBodyBytes }, [nowNs + 400_000_000_000n]);
      took += fast.exchanges;
      handed += fast.handedOver;
    }),
    { numRuns: 300, seed: 20250601 },
  );
  // The runs exercised both sides: lines the fast path wrote, and connections it handed over.
  assert.ok(took > 0 && handed > 0, `took ${took}, handed over ${handed}`);
});

test('the agent runs the fast path only where its lines are all the sinks need', () => {
  const stream = new PassThrough();
  const jsonl = new StdoutSink({ format: 'jsonl', queueSize: 10, stream });
  const pretty = new StdoutSink({ format: 'pretty', queueSize: 10, stream });
  const har = new HarSink({ path: '/nonexistent/never-written.har' });
  assert.equal(fastPathServes({ sinks: [jsonl] }), true);
  assert.equal(fastPathServes({ sinks: [] }), true, 'no sink: the lines are made and counted, as records would be');
  assert.equal(fastPathServes({ sinks: [jsonl], fastPath: false }), false, 'fast_path: false / --no-fast-path');
  assert.equal(fastPathServes({ sinks: [jsonl, pretty] }), false, 'a pretty table reads records');
  assert.equal(fastPathServes({ sinks: [jsonl, har] }), false, 'HAR reads records');
  assert.equal(fastPathServes({ sinks: [jsonl], onRecord: () => {} }), false, 'a live view reads records');
});

test('Kubernetes mode: the process policy decides mode and labels per connection, as in the assembler', () => {
  const labels = { container_id: 'c0ffee', pod: 'api-7d9f', namespace: 'shop', service: 'api' };
  // Pid 4242 serves (ingress, labelled); an egress-only pod's server connection is dropped; a
  // pid the policy does not know keeps the config's mode and no labels.
  const policy: ExchangeAssemblerOptions['processPolicy'] = (pid) => {
    if (pid === 4242) return { mode: 'ingress', labels };
    if (pid === 4343) return { mode: 'egress', labels: { ...labels, pod: 'worker-\u00e9' } };
    return undefined;
  };
  const withPid = (gen: number, tgid: number, cgroup: bigint) => {
    const c = conn(gen);
    const open = c.open;
    return {
      ...c,
      open: () => {
        const b = open();
        b.writeUInt32LE(tgid, L.CONN_OPEN.id + L.CONN_ID.tgid);
        b.writeBigUInt64LE(cgroup, L.CONN_OPEN.cgroup_id);
        return b;
      },
    };
  };
  // The data records carry the id's tgid too: the fast path keys by generation, JavaScript by the key string.
  const a = withPid(60, 4242, 7n);
  const b = withPid(61, 4343, 7n);
  const d = withPid(62, 4444, 7n);
  const { fast, lines, stats } = compare([[a.open(), b.open(), d.open(), a.req(GET), b.req(GET), d.req(GET), a.res(OK), b.res(OK), d.res(OK)]], { processPolicy: policy });
  has('"pod":"api-7d9f","namespace":"shop","service":"api"')(lines);
  has('"container_id":null,"pod":null')(lines);
  assert.equal(stats.droppedByMode, 1);
  assert.deepEqual([fast.exchanges, fast.handedOver, lines.length], [2, 0, 2], 'the labelled pod and the unknown pid are taken');
});
