/**
 * Issue 3 acceptance, end to end: `socktap run` (the built bin) against real servers (Node http,
 * nginx, Python http.server) and real clients (curl, fetch, a raw socket), every exchange checked
 * field by field against what the programs themselves sent and received: method, target, status,
 * reason, headers (order, case, values, redaction), body, body_size, body_encoding, truncation,
 * direction and ports. With `--mode all` each exchange appears twice, once per side.
 *
 * Each test starts its own servers on their own ports and selects by its own pids (clients are
 * started gated, so their pids are known before they open a socket) and by those ports: another
 * BPF test or benchmark running on this machine adds neither records nor ring-buffer load here. The agent is
 * stopped with SIGINT, and the one stats line it prints then must agree with the records.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import zlib from 'node:zlib';
import { bpfAvailable } from '../helpers/bpf';
import { fixtures, freePort, start, tempDir, waitListening } from '../helpers/procs';
import { pattern } from '../helpers/fixtures';
import { assertSameBytes } from '../helpers/bytes';
import { startNginx } from '../../bench/lib/nginx';
import type { ExchangeRecord, RequestRecord, ResponseRecord } from '../../agent/pipeline/record';
import {
  DEFAULT_MAX_BODY,
  RECORD_KEYS,
  assertCleanStats,
  assertExchanges,
  body,
  curl,
  curlHeaders,
  gatedCurl,
  header,
  pairs,
  parseHead,
  req,
  res,
  startAgent,
  startNodeServer,
  until,
  type Body,
  type CurlResult,
  type Head,
  type Headers,
} from '../helpers/agent-e2e';

const dir = path.join(fixtures, 'exchanges');
const TEST_TIMEOUT_MS = 90_000;
const BIG = 1024 * 1024;
/** The body of the Node fixture's GET /gzip before compression (same expression as api-server.mjs). */
const GZIP_TEXT = JSON.stringify({ items: Array.from({ length: 200 }, (_, i) => ({ id: i, name: `item-${i}` })) });

// ---------------------------------------------------------------------------------------------
// servers and clients


// ---------------------------------------------------------------------------------------------
// Node http server + curl

test('node http server + curl (--mode all): GET, POST JSON, chunked upload, HEAD, 204, 1 MiB and 100 KiB truncated, gzip raw — both sides, exactly once', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  if (!bpfAvailable(t)) return;
  const srv = await startNodeServer(t);
  const base = `http://127.0.0.1:${srv.port}`;
  const json = '{"item":"book","qty":2,"note":"héllo"}';
  // 100 KiB up and back: request and response bodies both cut at max_body_bytes.
  const large = Buffer.from('0123456789abcdef'.repeat(6400));
  const largeFile = path.join(tempDir('socktap-large-'), 'large.txt');
  fs.writeFileSync(largeFile, large);
  const curls = [
    gatedCurl([`${base}/hello`]),
    gatedCurl(['-H', 'Content-Type: application/json', '-H', 'Authorization: Bearer s3cret', '-H', 'Cookie: a=1', '--data-binary', json, `${base}/api/orders`]),
    // Body from stdin, size unknown: curl sends it chunked (and asks for 100-continue).
    gatedCurl(['-T', '-', `${base}/api/upload`], ['{"part":1}', '{"part":2}', '{"part":3}']),
    gatedCurl(['-I', `${base}/big`]),
    gatedCurl(['-X', 'DELETE', `${base}/api/orders/1`]),
    gatedCurl([`${base}/big`]),
    gatedCurl([`${base}/gzip`]),
    gatedCurl(['-H', 'Content-Type: text/plain', '--data-binary', `@${largeFile}`, `${base}/api/orders`]),
  ];
  const agent = await startAgent(t, ['--pid', [srv.proc.pid, ...curls.map((c) => c.pid)].join(','), '--port', String(srv.port), '--mode', 'all']);
  const [get, post, upload, head, del, big, gz, echoLarge] = [
    await curls[0].run(), await curls[1].run(), await curls[2].run(), await curls[3].run(),
    await curls[4].run(), await curls[5].run(), await curls[6].run(), await curls[7].run(),
  ];
  await agent.waitRecords(16);
  const { records, stats } = await agent.stop();

  // What the server parsed is what the records must say the request was.
  const served = srv.served();
  assert.deepEqual(served.map((s) => `${s.method} ${s.url}`), ['GET /hello', 'POST /api/orders', 'PUT /api/upload', 'HEAD /big', 'DELETE /api/orders/1', 'GET /big', 'GET /gzip', 'POST /api/orders']);
  const sent = served.map((s) => pairs(s.rawHeaders));
  assert.deepEqual(sent[0], await curlHeaders(srv.port));
  assert.deepEqual(sent[1], await curlHeaders(srv.port, ['Content-Type', 'application/json'], ['Authorization', 'Bearer s3cret'], ['Cookie', 'a=1'], ['Content-Length', String(Buffer.byteLength(json))]));
  assert.equal(header(sent[2], 'Transfer-Encoding'), 'chunked', 'curl -T - uploads chunked');

  // Each curl saw one final head (the upload's 100 Continue too, when curl asked for it).
  const finalHead = (r: CurlResult) => r.heads[r.heads.length - 1];
  for (const r of [get, post, head, del, big, gz, echoLarge]) assert.equal(r.heads.length, 1);
  assertSameBytes(echoLarge.out, large, 'the 100 KiB echo curl saved');
  assert.ok(upload.heads.length === 1 || upload.heads[0].status === 100);
  assert.deepEqual(finalHead(head).headers, [['Content-Type', 'application/octet-stream'], ['Content-Length', String(BIG)], ['Connection', 'keep-alive'], ['Keep-Alive', 'timeout=5']]);
  assertSameBytes(big.out, pattern(BIG), 'the 1 MiB curl saved');
  assertSameBytes(zlib.gunzipSync(gz.out), Buffer.from(GZIP_TEXT), 'the gzip body curl saved, unzipped');

  let n = 0;
  const client = (r: CurlResult) => ({ clientPid: r.pid, clientComm: 'curl', remotePort: served[n++].remotePort });
  const uploaded = '{"part":1}{"part":2}{"part":3}';
  const pairsSeen = assertExchanges(records, { pid: srv.proc.pid, comm: 'node', port: srv.port }, [
    { request: req('GET', '/hello', sent[0]), response: res(finalHead(get), body('{"hello":"world"}')), ...client(get) },
    { request: req('POST', '/api/orders', sent[1], body(json)), response: res(finalHead(post), body(json)), ...client(post) },
    { request: req('PUT', '/api/upload', sent[2], body(uploaded)), response: res(finalHead(upload), body(`{"received":${uploaded.length}}`)), ...client(upload) },
    // HEAD: Content-Length says 1 MiB, yet there is no body.
    { request: req('HEAD', '/big', sent[3]), response: res(finalHead(head)), ...client(head) },
    { request: req('DELETE', '/api/orders/1', sent[4]), response: res(finalHead(del)), ...client(del) },
    { request: req('GET', '/big', sent[5]), response: res(finalHead(big), body(pattern(BIG))), ...client(big) },
    { request: req('GET', '/gzip', sent[6]), response: res(finalHead(gz), body(gz.out)), ...client(gz) },
    { request: req('POST', '/api/orders', sent[7], body(large)), response: res(finalHead(echoLarge), body(large)), ...client(echoLarge) },
  ]);
  const largeRec = pairsSeen[7][0];
  assert.deepEqual([largeRec.request.body.length, largeRec.request.body_size, largeRec.request.body_truncated], [DEFAULT_MAX_BODY, large.length, true]);
  assert.deepEqual([largeRec.response!.body.length, largeRec.response!.body_size, largeRec.response!.body_truncated], [DEFAULT_MAX_BODY, large.length, true]);
  // The spot checks the acceptance list names, on top of the whole-record equality above.
  const bigRec = pairsSeen[5][0].response!;
  assert.deepEqual([bigRec.body_size, bigRec.body_truncated, bigRec.body_encoding, Buffer.from(bigRec.body, 'base64').length], [BIG, true, 'base64', DEFAULT_MAX_BODY]);
  assert.deepEqual(pairsSeen[1][0].request.headers.slice(4, 6), [['Authorization', '[REDACTED]'], ['Cookie', '[REDACTED]']]);
  assert.equal(pairsSeen[6][0].response!.body, gz.out.toString('base64'));
  assert.equal(pairsSeen[6][0].response!.content_decoded, undefined);
  assert.equal(pairsSeen[0][0].response!.status, 200);
  assert.equal(pairsSeen[4][0].response!.reason, 'No Content');
  // Eight curls, eight connections per side.
  assert.equal(new Set(records.map((r) => r.connection.id)).size, 16);
  assertCleanStats(stats, 16);
});

test('node http server + curl: 1 MiB download kept whole with --max-body-bytes 2 MiB', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  if (!bpfAvailable(t)) return;
  const srv = await startNodeServer(t);
  const gated = gatedCurl([`http://127.0.0.1:${srv.port}/big`]);
  const agent = await startAgent(t, ['--pid', `${srv.proc.pid},${gated.pid}`, '--port', String(srv.port), '--mode', 'all', '--max-body-bytes', String(2 * BIG)]);
  const big = await gated.run();
  await agent.waitRecords(2);
  const { records, stats } = await agent.stop();
  assertSameBytes(big.out, pattern(BIG), 'the 1 MiB curl saved');
  const [[s, c]] = assertExchanges(records, { pid: srv.proc.pid, comm: 'node', port: srv.port }, [
    { request: req('GET', '/big', pairs(srv.served()[0].rawHeaders)), response: res(big.heads[0], body(pattern(BIG), 2 * BIG)), clientPid: big.pid, clientComm: 'curl' },
  ]);
  for (const r of [s, c!]) {
    assert.equal(r.response!.body_truncated, false);
    assert.equal(r.response!.body_size, BIG);
    assertSameBytes(Buffer.from(r.response!.body, 'base64'), pattern(BIG), `${r.direction} body`);
  }
  assertCleanStats(stats, 2);
});

// ---------------------------------------------------------------------------------------------
// Node http server + fetch: keep-alive reuse, streamed (chunked) upload

test('node http server + fetch: JSON, a streamed chunked upload and keep-alive reuse, connections and order as the server saw them', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  if (!bpfAvailable(t)) return;
  const srv = await startNodeServer(t);
  const client = start(process.execPath, [path.join(dir, 'fetch-client.mjs'), `http://127.0.0.1:${srv.port}`]);
  t.after(() => client.kill('SIGKILL'));
  const agent = await startAgent(t, ['--pid', `${srv.proc.pid},${client.pid}`, '--port', String(srv.port), '--mode', 'all']);
  client.child.stdin!.write('go\n');
  assert.equal(await client.exited, 0, client.stderr());
  await agent.waitRecords(8);
  const { records, stats } = await agent.stop();

  const seen = client.stdout().trim().split('\n').map((l) => JSON.parse(l) as { status: number; headers: Headers; body: string });
  assert.deepEqual(seen.map((s) => [s.status, s.body]), [
    [201, '{"item":"book","qty":2}'],
    [200, '{"received":30}'],
    [200, '{"hello":"world"}'],
    [200, '{"hello":"world"}'],
  ]);
  const served = srv.served();
  const sent = served.map((s) => pairs(s.rawHeaders));
  assert.equal(header(sent[1], 'transfer-encoding'), 'chunked', 'a ReadableStream body goes chunked');
  assert.equal(header(sent[1], 'content-length'), undefined);
  // No Date (sendDate off): the heads Node wrote are known exactly; fetch only shows them lower-cased.
  const ka: Headers = [['Connection', 'keep-alive'], ['Keep-Alive', 'timeout=5']];
  const head = (status: number, reason: string, headers: Headers): Head => ({ version: '1.1', status, reason, headers: [...headers, ...ka] });
  const j = (n: number): Headers => [['Content-Type', 'application/json'], ['Content-Length', String(n)]];
  seen.forEach((s, i) => {
    const expectedNames = i === 0 ? j(23) : i === 1 ? j(15) : j(17);
    assert.deepEqual(s.headers, [...expectedNames, ...ka].map(([k, v]) => [k.toLowerCase(), v]).sort(), `fetch saw response ${i} headers`);
  });
  const c = (i: number) => ({ clientPid: client.pid, clientComm: 'node', remotePort: served[i].remotePort });
  const got = assertExchanges(records, { pid: srv.proc.pid, comm: 'node', port: srv.port }, [
    { request: req('POST', '/api/orders', sent[0], body('{"item":"book","qty":2}')), response: res(head(201, 'Created', j(23)), body('{"item":"book","qty":2}')), ...c(0) },
    { request: req('PUT', '/api/upload', sent[1], body('{"part":1}{"part":2}{"part":3}')), response: res(head(200, 'OK', j(15)), body('{"received":30}')), ...c(1) },
    { request: req('GET', '/hello', sent[2]), response: res(head(200, 'OK', j(17)), body('{"hello":"world"}')), ...c(2) },
    { request: req('GET', '/hello', sent[3]), response: res(head(200, 'OK', j(17)), body('{"hello":"world"}')), ...c(3) },
  ]);
  // Keep-alive: undici's pool spreads the four requests over its connections as it likes (the
  // streamed upload takes a connection of its own while the first is not yet free); whatever it
  // did, requests the server saw on one socket share one connection id on each side, and some
  // connection carried more than one request.
  const ports = served.map((s) => s.remotePort);
  assert.ok(new Set(ports).size < ports.length, `some connection reused: client ports ${ports}`);
  for (let a = 0; a < 4; a++) {
    for (let b = a + 1; b < 4; b++) {
      assert.equal(got[a][0].connection.id === got[b][0].connection.id, ports[a] === ports[b], `server side, exchanges ${a} and ${b}`);
      assert.equal(got[a][1]!.connection.id === got[b][1]!.connection.id, ports[a] === ports[b], `client side, exchanges ${a} and ${b}`);
    }
  }
  // Within a connection, records come out in request order.
  for (const dirn of ['ingress', 'egress'] as const) {
    for (const port of new Set(ports)) {
      const order = records
        .filter((r) => r.direction === dirn && (dirn === 'ingress' ? r.connection.remote.port : r.connection.local.port) === port)
        .map((r) => r.request.method + ' ' + r.request.target);
      assert.deepEqual(order, served.filter((s) => s.remotePort === port).map((s) => `${s.method} ${s.url}`), `${dirn} records of client port ${port} in order`);
    }
  }
  assertCleanStats(stats, 8);
});

// ---------------------------------------------------------------------------------------------
// pipelining on a raw socket

/** Serializes a recorded message back to wire bytes (Content-Length framing, body not truncated). */
function wire(startLine: string, m: RequestRecord | ResponseRecord): Buffer {
  assert.equal(m.body_truncated, false);
  const head = `${startLine}\r\n${m.headers.map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`;
  return Buffer.concat([Buffer.from(head, 'latin1'), Buffer.from(m.body, m.body_encoding === 'base64' ? 'base64' : 'utf8')]);
}

/** The raw pipelining client, waiting for its go (see pipeline-client.mjs). */
function pipelined(t: TestContext, port: number, requests: Buffer, what: string): { pid: number; run(): Promise<{ out: Buffer; pid: number }> } {
  const tmp = tempDir('socktap-pipe-');
  fs.writeFileSync(path.join(tmp, 'req'), requests);
  const p = start(process.execPath, [path.join(dir, 'pipeline-client.mjs'), String(port), path.join(tmp, 'req'), path.join(tmp, 'out')]);
  t.after(() => p.kill('SIGKILL'));
  return {
    pid: p.pid,
    async run() {
      p.child.stdin!.write('go\n');
      assert.equal(await p.exited, 0, `${what}: ${p.stderr()}`);
      return { out: fs.readFileSync(path.join(tmp, 'out')), pid: p.pid };
    },
  };
}

function pipelineRequests(port: number): Buffer {
  const host = `Host: 127.0.0.1:${port}\r\n`;
  return Buffer.from(
    `GET /hello HTTP/1.1\r\n${host}X-Seq: 1\r\n\r\n` +
      `POST /api/orders HTTP/1.1\r\n${host}Content-Type: application/json\r\nContent-Length: 9\r\nX-Seq: 2\r\n\r\n{"n":"2"}` +
      `DELETE /api/orders/1 HTTP/1.1\r\n${host}X-Api-Key: k\r\nX-Seq: 3\r\n\r\n` +
      `GET /hello HTTP/1.1\r\n${host}X-Seq: 4\r\nConnection: close\r\n\r\n`,
    'latin1',
  );
}

test('node http server + raw socket: four pipelined requests in one write, responses matched in order', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  if (!bpfAvailable(t)) return;
  const srv = await startNodeServer(t);
  const requests = pipelineRequests(srv.port);
  const client = pipelined(t, srv.port, requests, 'pipeline client');
  const agent = await startAgent(t, ['--pid', `${srv.proc.pid},${client.pid}`, '--port', String(srv.port), '--mode', 'all']);
  const { out, pid } = await client.run();
  await agent.waitRecords(8);
  const { records, stats } = await agent.stop();

  // The responses the client got, split at their heads (Content-Length framed, or none for 204).
  const heads: Array<{ head: Head; body: Buffer }> = [];
  for (let at = 0; at < out.length; ) {
    const end = out.indexOf('\r\n\r\n', at);
    const head = parseHead(out.subarray(at, end).toString('latin1'));
    const len = Number(header(head.headers, 'content-length') ?? 0);
    heads.push({ head, body: out.subarray(end + 4, end + 4 + len) });
    at = end + 4 + len;
  }
  assert.deepEqual(heads.map((h) => h.head.status), [200, 201, 204, 200]);
  const host: [string, string] = ['Host', `127.0.0.1:${srv.port}`];
  const c = { clientPid: pid, clientComm: 'node' };
  const got = assertExchanges(records, { pid: srv.proc.pid, comm: 'node', port: srv.port }, [
    { request: req('GET', '/hello', [host, ['X-Seq', '1']]), response: res(heads[0].head, body(heads[0].body)), ...c },
    { request: req('POST', '/api/orders', [host, ['Content-Type', 'application/json'], ['Content-Length', '9'], ['X-Seq', '2']], body('{"n":"2"}')), response: res(heads[1].head, body('{"n":"2"}')), ...c },
    { request: req('DELETE', '/api/orders/1', [host, ['X-Api-Key', 'k'], ['X-Seq', '3']]), response: res(heads[2].head), ...c },
    { request: req('GET', '/hello', [host, ['X-Seq', '4'], ['Connection', 'close']]), response: res(heads[3].head, body('{"hello":"world"}')), ...c },
  ]);
  assert.equal(heads[3].head.headers.find(([k]) => k === 'Connection')?.[1], 'close');
  // Both streams, rebuilt from the server-side records, are exactly the bytes on the wire
  // (the redacted X-Api-Key aside).
  const ingress = got.map(([s]) => s);
  assertSameBytes(
    Buffer.concat(ingress.map((r) => wire(`${r.request.method} ${r.request.target} HTTP/1.1`, r.request))),
    Buffer.from(requests.toString('latin1').replace('X-Api-Key: k', 'X-Api-Key: [REDACTED]'), 'latin1'),
    'requests rebuilt from the records',
  );
  assertSameBytes(Buffer.concat(ingress.map((r) => wire(`HTTP/1.1 ${r.response!.status} ${r.response!.reason}`, r.response!))), out, 'responses rebuilt from the records');
  assert.equal(new Set(records.map((r) => r.connection.id)).size, 2, 'one connection per side');
  assertCleanStats(stats, 8);
});

/** A client socket of this test process: what it received so far, waits on it. */
class RawConn {
  received = Buffer.alloc(0);
  closed: Promise<void>;
  private constructor(readonly sock: net.Socket) {
    sock.on('data', (d: Buffer) => (this.received = Buffer.concat([this.received, d])));
    this.closed = new Promise((r) => sock.once('close', () => r()));
  }

  static async open(port: number): Promise<RawConn> {
    const sock = net.connect({ port, host: '127.0.0.1' });
    await new Promise((r, j) => sock.once('connect', r).once('error', j));
    return new RawConn(sock);
  }

  text(): string {
    return this.received.toString('latin1');
  }

  async until(what: string, pred: (text: string) => boolean): Promise<void> {
    await until(what, () => pred(this.text()), 10_000, () => JSON.stringify(this.text()));
  }

  async end(): Promise<void> {
    this.sock.end();
    await this.closed;
  }
}

test('node http server + raw socket: mid-stream pickup, Expect: 100-continue, Upgrade, a body to EOF, a request cut short', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  if (!bpfAvailable(t)) return;
  const srv = await startNodeServer(t);
  const host: [string, string] = ['Host', `127.0.0.1:${srv.port}`];
  const hostLine = `Host: 127.0.0.1:${srv.port}\r\n`;
  const hello = '{"hello":"world"}';
  // Opened and used before the agent starts: the agent joins this connection mid-stream and must
  // infer who serves from the bytes (the first exchange is not seen at all).
  const early = await RawConn.open(srv.port);
  early.sock.write(`GET /hello HTTP/1.1\r\n${hostLine}X-Seq: before\r\n\r\n`);
  await early.until('the first response', (x) => x.endsWith(hello));
  // The client is this test process.
  const agent = await startAgent(t, ['--pid', `${srv.proc.pid},${process.pid}`, '--port', String(srv.port), '--mode', 'all']);
  const seenBefore = early.received.length;
  early.sock.write(`GET /hello HTTP/1.1\r\n${hostLine}X-Seq: after\r\n\r\n`);
  await early.until('the second response', (x) => x.length > seenBefore && x.endsWith(hello));
  await early.end();

  // Expect: 100-continue: the body goes only after the interim response; the record pairs the final one.
  const cont = await RawConn.open(srv.port);
  cont.sock.write(`POST /api/orders HTTP/1.1\r\n${hostLine}Content-Type: application/json\r\nContent-Length: 9\r\nExpect: 100-continue\r\n\r\n`);
  await cont.until('100 Continue', (x) => x === 'HTTP/1.1 100 Continue\r\n\r\n');
  cont.sock.write('{"n":100}');
  await cont.until('the final response', (x) => x.endsWith('{"n":100}'));
  await cont.end();

  // Upgrade: the 101 is the exchange; the websocket frames after it are not HTTP and not parsed.
  const ws = await RawConn.open(srv.port);
  ws.sock.write(`GET /chat HTTP/1.1\r\n${hostLine}Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`);
  await ws.until('101 and a frame', (x) => x.endsWith('\x81\x05hello'));
  const frame = Buffer.from([0x81, 0x85, 1, 2, 3, 4, 0x69, 0x67, 0x6f, 0x68, 0x6e]); // masked "hello"
  ws.sock.write(frame);
  await ws.until('the echoed frame', (x) => x.endsWith(frame.toString('latin1')));
  await ws.end();

  // A body delimited by the server's close (no Content-Length, not chunked).
  const eof = await RawConn.open(srv.port);
  eof.sock.write(`GET /eof HTTP/1.1\r\n${hostLine}\r\n`);
  await eof.closed;

  // Content-Length 10, 3 bytes sent, then FIN: Node answers 400 and closes; the request was cut.
  const cut = await RawConn.open(srv.port);
  cut.sock.write(`POST /api/orders HTTP/1.1\r\n${hostLine}Content-Length: 10\r\n\r\nabc`);
  await new Promise((r) => setTimeout(r, 100));
  cut.sock.end();
  await cut.closed;

  await agent.waitRecords(10);
  const { records, stats } = await agent.stop();

  // Every response head in what a connection received (these bodies hold no "HTTP/1.1 ").
  const heads = (conn: RawConn) => [...conn.text().matchAll(/HTTP\/1\.1 \d{3}[^\r]*\r\n(?:[^\r]+\r\n)*\r\n/g)].map((m) => parseHead(m[0].slice(0, -4)));
  const [contFinal] = heads(cont).slice(-1);
  const [wsHead] = heads(ws);
  const [eofHead] = heads(eof);
  const [cutHead] = heads(cut);
  assert.equal(heads(cont)[0].status, 100);
  assert.equal(eof.text().slice(eof.text().indexOf('\r\n\r\n') + 4), 'part1,part2');
  assert.equal(cutHead.status, 400);
  const served = srv.served();
  const me = { clientPid: process.pid, clientComm: fs.readFileSync('/proc/self/comm', 'utf8').trim() };
  const cutBody: Body = { body: 'abc', body_encoding: 'utf8', body_size: 3, body_truncated: true };
  const got = assertExchanges(records, { pid: srv.proc.pid, comm: 'node', port: srv.port }, [
    { request: req('GET', '/hello', [host, ['X-Seq', 'after']]), response: res(heads(early)[1], body(hello)), ...me, remotePort: served[1].remotePort },
    {
      request: req('POST', '/api/orders', [host, ['Content-Type', 'application/json'], ['Content-Length', '9'], ['Expect', '100-continue']], body('{"n":100}')),
      response: res(contFinal, body('{"n":100}')),
      ...me,
      remotePort: served[2].remotePort,
    },
    {
      request: req('GET', '/chat', [host, ['Upgrade', 'websocket'], ['Connection', 'Upgrade'], ['Sec-WebSocket-Key', 'dGhlIHNhbXBsZSBub25jZQ=='], ['Sec-WebSocket-Version', '13']]),
      response: res(wsHead),
      ...me,
      remotePort: served[3].remotePort,
    },
    { request: req('GET', '/eof', [host]), response: res(eofHead, body('part1,part2')), ...me, remotePort: served[4].remotePort },
    { request: req('POST', '/api/orders', [host, ['Content-Length', '10']], cutBody), response: res(cutHead), ...me, incomplete: 'closed' },
  ]);
  assert.deepEqual(served.map((s) => `${s.method} ${s.url}`), ['GET /hello', 'GET /hello', 'POST /api/orders', 'GET /chat', 'GET /eof']);
  assert.deepEqual(wsHead.headers, [['Upgrade', 'websocket'], ['Connection', 'Upgrade']]);
  assert.equal(header(eofHead.headers, 'Content-Length'), undefined);
  assert.equal(header(eofHead.headers, 'Transfer-Encoding'), undefined);
  assert.equal(new Set(got.flat().map((r) => r!.connection.id)).size, 10, 'five connections, two sides');
  assertCleanStats(stats, 10);
});

// ---------------------------------------------------------------------------------------------
// nginx: 304, keep-alive, gzip (chunked), pipelining

const NGINX_JSON = Buffer.from(JSON.stringify({ orders: Array.from({ length: 100 }, (_, i) => ({ id: i, sku: `sku-${i}`, qty: i % 7 })) }) + '\n');

async function nginx(t: TestContext) {
  const ngx = await startNginx({
    files: { 'orders.json': NGINX_JSON },
        // sendfile off: with it on, file bodies never pass through user memory (the record then
    // says body_size N, body "" and body_truncated true); see servers.test.ts.
    sendfile: false,
    // keepalive_requests: nginx closes a keep-alive connection after 1000 requests by default.
    serverConfig:
      'gzip on; gzip_types application/json; gzip_min_length 0; keepalive_requests 100000; location /load/ { return 200 "ok\\n"; }',
  });
  t.after(() => ngx.stop());
  return ngx;
}

test('nginx + curl (default mode ingress): keep-alive reuse, 304 by ETag and by If-Modified-Since, gzip chunked raw', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  if (!bpfAvailable(t)) return;
  const ngx = await nginx(t);
  const agent = await startAgent(t, ['--pid', String(ngx.workerPid), '--port', String(ngx.port)]);
  const url = `http://127.0.0.1:${ngx.port}`;
  // One curl, three URLs: curl reuses the connection.
  const ka = await curl([`${url}/orders.json`, '-o', '/dev/null', `${url}/body.json`, '-o', '/dev/null', `${url}/orders.json?x=1`]);
  assert.equal(ka.heads.length, 3);
  const etag = header(ka.heads[0].headers, 'ETag')!;
  const lastModified = header(ka.heads[0].headers, 'Last-Modified')!;
  assert.ok(etag && lastModified);
  const byEtag = await curl(['-H', `If-None-Match: ${etag}`, `${url}/orders.json`]);
  const byDate = await curl(['-H', `If-Modified-Since: ${lastModified}`, `${url}/orders.json`]);
  const gz = await curl(['-H', 'Accept-Encoding: gzip', `${url}/orders.json`]);
  await agent.waitRecords(6);
  const { records, stats } = await agent.stop();

  assert.deepEqual([byEtag.heads[0].status, byDate.heads[0].status], [304, 304]);
  assert.equal(header(gz.heads[0].headers, 'Transfer-Encoding'), 'chunked');
  assert.equal(header(gz.heads[0].headers, 'Content-Encoding'), 'gzip');
  assertSameBytes(zlib.gunzipSync(gz.out), NGINX_JSON, 'gzip body curl saved, unzipped');
  const ingressOnly = { clientPid: null, clientComm: '' };
  const bodyJson = fs.readFileSync(path.join(ngx.dir, 'www', 'body.json'));
  const got = assertExchanges(records, { pid: ngx.workerPid, comm: 'nginx', port: ngx.port }, [
    { request: req('GET', '/orders.json', await curlHeaders(ngx.port)), response: res(ka.heads[0], body(NGINX_JSON)), ...ingressOnly },
    { request: req('GET', '/body.json', await curlHeaders(ngx.port)), response: res(ka.heads[1], body(bodyJson)), ...ingressOnly },
    { request: req('GET', '/orders.json?x=1', await curlHeaders(ngx.port)), response: res(ka.heads[2], body(NGINX_JSON)), ...ingressOnly },
    // 304 carries ETag and Last-Modified but no body.
    { request: req('GET', '/orders.json', await curlHeaders(ngx.port, ['If-None-Match', etag])), response: res(byEtag.heads[0]), ...ingressOnly },
    { request: req('GET', '/orders.json', await curlHeaders(ngx.port, ['If-Modified-Since', lastModified])), response: res(byDate.heads[0]), ...ingressOnly },
    // Not decoded (decode_content off): the de-chunked gzip bytes, as base64.
    { request: req('GET', '/orders.json', await curlHeaders(ngx.port, ['Accept-Encoding', 'gzip'])), response: res(gz.heads[0], body(gz.out)), ...ingressOnly },
  ]);
  assert.equal(got[5][0].response!.body_encoding, 'base64');
  assert.equal(got[5][0].response!.body_size, gz.out.length);
  const kaIds = new Set(got.slice(0, 3).map(([s]) => s.connection.id));
  assert.equal(kaIds.size, 1, 'keep-alive: the three requests of one curl share the connection');
  assert.equal(new Set(got.map(([s]) => s.connection.id)).size, 4);
  assert.equal(records.filter((r) => r.direction === 'egress').length, 0, 'mode ingress: no client-side records');
  assertCleanStats(stats, 6);
});

test('nginx + raw socket: pipelined requests in one write, responses matched in order (--mode all)', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  if (!bpfAvailable(t)) return;
  const ngx = await nginx(t);
  const host = `Host: 127.0.0.1:${ngx.port}\r\n`;
  const requests = Buffer.from(
    `GET /orders.json HTTP/1.1\r\n${host}\r\n` +
      `HEAD /orders.json HTTP/1.1\r\n${host}\r\n` +
      `GET /missing HTTP/1.1\r\n${host}\r\n` +
      `GET /body.json HTTP/1.1\r\n${host}Connection: close\r\n\r\n`,
    'latin1',
  );
  const client = pipelined(t, ngx.port, requests, 'pipeline client');
  const agent = await startAgent(t, ['--pid', `${ngx.workerPid},${client.pid}`, '--port', String(ngx.port), '--mode', 'all']);
  const { out, pid } = await client.run();
  await agent.waitRecords(8);
  const { records, stats } = await agent.stop();

  const expectBodies = [NGINX_JSON, Buffer.alloc(0), null, fs.readFileSync(path.join(ngx.dir, 'www', 'body.json'))];
  const heads: Array<{ head: Head; body: Buffer }> = [];
  for (let at = 0, i = 0; at < out.length; i++) {
    const end = out.indexOf('\r\n\r\n', at);
    const head = parseHead(out.subarray(at, end).toString('latin1'));
    const len = i === 1 ? 0 : Number(header(head.headers, 'content-length'));
    heads.push({ head, body: out.subarray(end + 4, end + 4 + len) });
    at = end + 4 + len;
  }
  assert.deepEqual(heads.map((h) => h.head.status), [200, 200, 404, 200]);
  const h: [string, string] = ['Host', `127.0.0.1:${ngx.port}`];
  const c = { clientPid: pid, clientComm: 'node' };
  assertExchanges(records, { pid: ngx.workerPid, comm: 'nginx', port: ngx.port }, [
    { request: req('GET', '/orders.json', [h]), response: res(heads[0].head, body(expectBodies[0]!)), ...c },
    { request: req('HEAD', '/orders.json', [h]), response: res(heads[1].head), ...c },
    { request: req('GET', '/missing', [h]), response: res(heads[2].head, body(heads[2].body)), ...c },
    { request: req('GET', '/body.json', [h, ['Connection', 'close']]), response: res(heads[3].head, body(expectBodies[3]!)), ...c },
  ]);
  assert.equal(header(heads[1].head.headers, 'Content-Length'), String(NGINX_JSON.length), 'HEAD: Content-Length of the GET, no body');
  assertCleanStats(stats, 8);
});

test('decode_content: true (config file): gzip bodies recorded decoded — nginx chunked gzip and node content-length gzip', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  if (!bpfAvailable(t)) return;
  const ngx = await nginx(t);
  const srv = await startNodeServer(t);
  const tmp = tempDir('socktap-cfg-');
  const config = path.join(tmp, 'agent.yaml');
  fs.writeFileSync(config, 'decode_content: true\nmode: all\n');
  const curls = [gatedCurl(['-H', 'Accept-Encoding: gzip', `http://127.0.0.1:${ngx.port}/orders.json`]), gatedCurl([`http://127.0.0.1:${srv.port}/gzip`])];
  const pids = [ngx.workerPid, srv.proc.pid, ...curls.map((c) => c.pid)];
  const agent = await startAgent(t, ['--config', config, '--pid', pids.join(','), '--port', `${ngx.port},${srv.port}`]);
  const ngxGz = await curls[0].run();
  const nodeGz = await curls[1].run();
  await agent.waitRecords(4);
  const { records, stats } = await agent.stop();

  assertSameBytes(zlib.gunzipSync(ngxGz.out), NGINX_JSON, 'nginx gzip body, unzipped');
  assertSameBytes(zlib.gunzipSync(nodeGz.out), Buffer.from(GZIP_TEXT), 'node gzip body, unzipped');
  assertExchanges(records.filter((r) => r.connection.local.port === ngx.port || r.connection.remote.port === ngx.port), { pid: ngx.workerPid, comm: 'nginx', port: ngx.port }, [
    {
      request: req('GET', '/orders.json', await curlHeaders(ngx.port, ['Accept-Encoding', 'gzip'])),
      // Headers as sent (Content-Encoding, Transfer-Encoding kept); body and body_size decoded.
      response: res(ngxGz.heads[0], body(NGINX_JSON), true),
      clientPid: ngxGz.pid,
      clientComm: 'curl',
    },
  ]);
  assertExchanges(records.filter((r) => r.connection.local.port === srv.port || r.connection.remote.port === srv.port), { pid: srv.proc.pid, comm: 'node', port: srv.port }, [
    { request: req('GET', '/gzip', pairs(srv.served()[0].rawHeaders)), response: res(nodeGz.heads[0], body(GZIP_TEXT), true), clientPid: nodeGz.pid, clientComm: 'curl' },
  ]);
  assert.equal(header(nodeGz.heads[0].headers, 'Content-Length'), String(nodeGz.out.length));
  assert.notEqual(nodeGz.out.length, GZIP_TEXT.length);
  assertCleanStats(stats, 4);
});

// ---------------------------------------------------------------------------------------------
// Python http.server

test('python http.server (HTTP/1.1) + curl (--mode all): GET, POST JSON, chunked POST, HEAD, 204, keep-alive', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  if (!bpfAvailable(t)) return;
  const port = await freePort();
  const py = start('python3', [path.join(dir, 'py-api-server.py'), String(port)]);
  t.after(() => py.kill('SIGKILL'));
  await waitListening(port);
  const url = `http://127.0.0.1:${port}`;
  const json = '{"item":"pen","qty":10}';
  const curls = [
    // Two GETs from one curl: one connection (keep-alive).
    gatedCurl([`${url}/hello`, '-o', '/dev/null', `${url}/hello`]),
    gatedCurl(['-I', `${url}/hello`]),
    gatedCurl(['-H', 'Content-Type: application/json', '--data-binary', json, `${url}/api/orders`]),
    gatedCurl(['-H', 'Content-Type: application/json', '-H', 'Transfer-Encoding: chunked', '--data-binary', '@-', `${url}/api/orders`], ['{"a":', '1}']),
    gatedCurl(['-X', 'DELETE', `${url}/api/orders/1`]),
  ];
  const agent = await startAgent(t, ['--pid', [py.pid, ...curls.map((c) => c.pid)].join(','), '--port', String(port), '--mode', 'all']);
  const [ka, head, post, chunked, del] = [await curls[0].run(), await curls[1].run(), await curls[2].run(), await curls[3].run(), await curls[4].run()];
  await agent.waitRecords(12);
  const { records, stats } = await agent.stop();

  const pyComm = fs.existsSync(`/proc/${py.pid}/comm`) ? fs.readFileSync(`/proc/${py.pid}/comm`, 'utf8').trim() : 'python3';
  const c = (r: CurlResult) => ({ clientPid: r.pid, clientComm: 'curl' });
  assert.equal(ka.heads.length, 2);
  const got = assertExchanges(records, { pid: py.pid, comm: pyComm, port }, [
    { request: req('GET', '/hello', await curlHeaders(port)), response: res(ka.heads[0], body('{"hello":"python"}')), ...c(ka) },
    { request: req('GET', '/hello', await curlHeaders(port)), response: res(ka.heads[1], body('{"hello":"python"}')), ...c(ka) },
    // HEAD: Content-Length 18, no body.
    { request: req('HEAD', '/hello', await curlHeaders(port)), response: res(head.heads[0]), ...c(head) },
    { request: req('POST', '/api/orders', await curlHeaders(port, ['Content-Type', 'application/json'], ['Content-Length', String(json.length)]), body(json)), response: res(post.heads[0], body(json)), ...c(post) },
    { request: req('POST', '/api/orders', await curlHeaders(port, ['Content-Type', 'application/json'], ['Transfer-Encoding', 'chunked']), body('{"a":1}')), response: res(chunked.heads[chunked.heads.length - 1], body('{"a":1}')), ...c(chunked) },
    { request: req('DELETE', '/api/orders/1', await curlHeaders(port)), response: res(del.heads[0]), ...c(del) },
  ]);
  assert.match(header(got[0][0].response!.headers, 'Server') ?? '', /^BaseHTTP\/[\d.]+ Python\/3/);
  assert.equal(header(head.heads[0].headers, 'Content-Length'), '18');
  for (const i of [0, 1]) assert.equal(got[0][i]!.connection.id, got[1][i]!.connection.id, 'keep-alive: the two GETs of one curl on one connection');
  assertCleanStats(stats, 12);
});

// ---------------------------------------------------------------------------------------------
// 10,000 requests over keep-alive, to the unix socket sink

test('10,000 requests over 4 keep-alive connections to nginx: exactly 10,000 records at the UDS sink, stats agree', { timeout: 180_000 }, async (t) => {
  if (!bpfAvailable(t)) return;
  const TOTAL = 10_000;
  const CONNS = 4;
  const ngx = await nginx(t);
  const tmp = tempDir('socktap-uds-');
  const sockPath = path.join(tmp, 'exchanges.sock');

  // The collector: counts complete lines and parses each.
  const lines: string[] = [];
  let partial = '';
  let connections = 0;
  const sockets = new Set<net.Socket>();
  const collector = net.createServer((s) => {
    connections++;
    sockets.add(s);
    s.setEncoding('utf8');
    s.on('data', (d: string) => {
      const parts = (partial + d).split('\n');
      partial = parts.pop()!;
      lines.push(...parts);
    });
  });
  await new Promise<void>((r) => collector.listen(sockPath, r));
  t.after(() => {
    for (const s of sockets) s.destroy();
    collector.close();
  });

  // The client waits for a stdin line: its pid is targeted before it opens a socket.
  const client = start(process.execPath, [path.join(dir, 'load-client.mjs'), String(ngx.port), String(TOTAL), String(CONNS)]);
  t.after(() => client.kill('SIGKILL'));
  const agent = await startAgent(t, ['--pid', String(ngx.workerPid), '--format', 'none', '--uds', sockPath]);
  const started = Date.now();
  client.child.stdin!.write('go\n');
  assert.equal(await client.exited, 0, client.stderr());
  const [, done, perConn] = /^done (\d+) (\[.*\])$/m.exec(client.stdout())!;
  assert.equal(Number(done), TOTAL);
  const perConnection = JSON.parse(perConn) as number[];
  assert.equal(perConnection.reduce((a, b) => a + b, 0), TOTAL);
  await until(`${TOTAL} lines at the collector`, () => lines.length >= TOTAL, 30_000, () => `got ${lines.length}`);
  const elapsedMs = Date.now() - started;
  const { records: stdoutRecords, stats } = await agent.stop();
  await new Promise((r) => setTimeout(r, 200));

  assert.equal(stdoutRecords.length, 0, '--format none: nothing on stdout');
  assert.equal(partial, '', 'no half line at the collector');
  assert.equal(connections, 1);
  assert.equal(lines.length, TOTAL, 'exactly 10,000 records');
  const records = lines.map((l) => JSON.parse(l) as ExchangeRecord);
  const targets = new Set<string>();
  const byConn = new Map<string, number[]>();
  for (const r of records) {
    assert.deepEqual(Object.keys(r), RECORD_KEYS);
    assert.equal(r.direction, 'ingress');
    assert.equal(r.process.pid, ngx.workerPid);
    assert.deepEqual(r.connection.local, { ip: '127.0.0.1', port: ngx.port });
    const m = /^\/load\/(\d+)$/.exec(r.request.target);
    assert.ok(m, `target ${r.request.target}`);
    assert.equal(r.request.method, 'GET');
    assert.deepEqual(r.request.headers, [['Host', `127.0.0.1:${ngx.port}`], ['User-Agent', 'socktap-load']]);
    assert.equal(r.response!.status, 200);
    assert.equal(r.response!.body, 'ok\n');
    assert.equal(r.response!.body_size, 3);
    targets.add(r.request.target);
    byConn.set(r.connection.id, [...(byConn.get(r.connection.id) ?? []), Number(m[1])]);
  }
  assert.equal(targets.size, TOTAL, 'every target exactly once');
  // Per connection: as many records as requests it carried, in the order they were sent.
  assert.deepEqual([...byConn.values()].map((v) => v.length).sort((a, b) => a - b), [...perConnection].sort((a, b) => a - b));
  for (const seq of byConn.values()) assert.deepEqual(seq, [...seq].sort((a, b) => a - b), 'records of a connection in request order');
  assertCleanStats(stats, TOTAL);
  t.diagnostic(`${TOTAL} exchanges in ${elapsedMs} ms (client start to last record at the collector)`);
});
