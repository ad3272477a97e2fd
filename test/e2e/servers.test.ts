/**
 * Real servers and real clients on loopback, both ends captured: python http.server + curl (IPv4
 * and IPv6), nginx with and without sendfile, Node fetch -> Node http, and a Python client that
 * sends and receives with sendmsg/recvmsg over several iovecs. Every test compares whole byte
 * streams: what one end sent must be exactly what the other end received, and both must equal
 * what the programs themselves wrote to disk.
 *
 * Clients are gated on a stdin line so their pid can be targeted before they open a socket, and
 * servers are awaited through /proc/net/tcp{,6} rather than by connecting to them, so the only
 * connection a test sees is the one it makes.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Capture } from '../helpers/capture';
import { bpfAvailable } from '../helpers/bpf';
import { fixtures, freePort, start, tempDir, waitListening, type Proc } from '../helpers/procs';
import { startNginx as startSharedNginx } from '../../bench/lib/nginx';
import type { ConnOpenEvent } from '../../agent/capture/events';
import type { StreamPiece } from '../../agent/capture/ordered-stream';
import { assertSameBytes } from '../helpers/bytes';

const serverFixtures = path.join(fixtures, 'servers');
const TEST_TIMEOUT_MS = 60_000;
const CLOSE_TIMEOUT_MS = 15_000;

// ---------------------------------------------------------------------------------------------
// helpers

/** Starts `cmd args` behind `sh -c 'read x; exec ...'`: the pid is known before the program runs. */
function startGated(cmd: string, args: string[]): Proc {
  return start('sh', ['-c', 'read x; exec "$@"', 'sh', cmd, ...args]);
}

/** Lets a gated process (or a fixture that waits for a stdin line) go on. */
function release(p: Proc): void {
  p.child.stdin!.write('go\n');
}

/** Waits for a process to exit with status 0. */
async function exitedOk(p: Proc, what: string): Promise<void> {
  const code = await p.exited;
  assert.equal(code, 0, `${what} exited ${code}: ${p.stderr()}`);
}

/** Kills a server at the end of a test and waits for it. */
function killAfter(t: TestContext, p: Proc): void {
  t.after(async () => {
    await p.kill('SIGTERM');
  });
}

/** A capture targeting `pids`, stopped at the end of the test. */
function captureFor(t: TestContext, pids: number[]): Capture {
  const capture = new Capture({ targets: { pids } }).start();
  t.after(async () => {
    await capture.stop();
  });
  return capture;
}

/** The one connection of `pid`, which must have `role`. */
function onlyConn(capture: Capture, pid: number, role: 'server' | 'client', what: string): ConnOpenEvent {
  const conns = capture.connsOf(pid);
  assert.equal(
    conns.length,
    1,
    `${what} (pid ${pid}) must have exactly one connection, got ${JSON.stringify(conns.map((c) => [c.conn.key, c.role, c.local, c.remote]))}`,
  );
  assert.equal(conns[0].role, role, `${what} connection role`);
  assert.equal(conns[0].protocol, 'tcp');
  return conns[0];
}

function closed(capture: Capture, pid: number): boolean {
  const conns = capture.connsOf(pid);
  return conns.length > 0 && conns.every((c) => capture.closes.has(c.conn.key));
}

/** Every byte a closed connection reported in the kernel was delivered, in both directions. */
function assertCompleteAtClose(capture: Capture, conn: ConnOpenEvent, what: string): void {
  const close = capture.closes.get(conn.conn.key);
  assert.ok(close, `${what}: close event`);
  for (const dir of ['ingress', 'egress'] as const) {
    const total = capture.pieces(conn.conn.key, dir).reduce((n, p) => n + (p.kind === 'data' ? p.data.length : p.len), 0);
    const expected: bigint = dir === 'ingress' ? close.ingressBytes : close.egressBytes;
    assert.equal(BigInt(total), expected, `${what} ${dir}: stream length vs close event`);
  }
}

/** Merges adjacent data pieces and adjacent holes of one reason (their split is the syscalls'). */
function coalesce(pieces: StreamPiece[]): StreamPiece[] {
  const out: StreamPiece[] = [];
  for (const p of pieces) {
    const last = out[out.length - 1];
    if (last && last.kind === 'data' && p.kind === 'data') {
      out[out.length - 1] = { kind: 'data', pos: last.pos, data: Buffer.concat([last.data, p.data]) };
    } else if (last && last.kind === 'hole' && p.kind === 'hole' && last.reason === p.reason) {
      out[out.length - 1] = { kind: 'hole', pos: last.pos, len: last.len + p.len, reason: last.reason };
    } else {
      out.push(p);
    }
  }
  return out;
}

/** A deterministic body: a xorshift32 byte sequence from `seed`. */
function deterministicBody(size: number, seed: number): Buffer {
  const b = Buffer.alloc(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    b[i] = x & 0xff;
  }
  return b;
}

function headEnd(stream: Buffer, what: string): number {
  const i = stream.indexOf('\r\n\r\n');
  assert.ok(i > 0, `${what}: no end of head`);
  return i + 4;
}

// ---------------------------------------------------------------------------------------------
// python http.server + curl

async function pythonAndCurl(t: TestContext, family: 'ipv4' | 'ipv6'): Promise<void> {
  const host = family === 'ipv4' ? '127.0.0.1' : '::1';
  const dir = tempDir('socktap-py-');
  const www = path.join(dir, 'www');
  fs.mkdirSync(www);
  const file = crypto.randomBytes(200 * 1024);
  fs.writeFileSync(path.join(www, 'file.bin'), file);
  const out = path.join(dir, 'out.bin');

  const port = await freePort(host);
  const server = start('python3', ['-m', 'http.server', String(port), '--bind', host, '--directory', www]);
  killAfter(t, server);
  await waitListening(port, family);

  const capture = captureFor(t, [server.pid]);
  const url = family === 'ipv4' ? `http://127.0.0.1:${port}/file.bin` : `http://[::1]:${port}/file.bin`;
  const curlArgs = family === 'ipv4' ? ['-s', '-o', out, url] : ['-s', '-g', '-6', '-o', out, url];
  const curl = startGated('curl', curlArgs);
  capture.tracer.setTargets({ pids: [server.pid, curl.pid] });
  release(curl);
  await exitedOk(curl, 'curl');
  await capture.waitFor('python and curl to close their connections', () => closed(capture, server.pid) && closed(capture, curl.pid), CLOSE_TIMEOUT_MS);
  await capture.settle();

  assertSameBytes(fs.readFileSync(out), file, 'the file curl saved');

  const srv = onlyConn(capture, server.pid, 'server', 'python');
  const cli = onlyConn(capture, curl.pid, 'client', 'curl');
  for (const c of [srv, cli]) {
    assert.equal(c.family, family);
    assert.equal(c.local.ip, host);
    assert.equal(c.remote.ip, host);
  }
  assert.equal(srv.local.port, port);
  assert.equal(cli.remote.port, port);
  assert.equal(cli.local.port, srv.remote.port);
  assert.notEqual(cli.local.port, 0);
  assert.equal(srv.source, 'accept');
  assert.equal(cli.source, 'connect');
  assertCompleteAtClose(capture, srv, 'python');
  assertCompleteAtClose(capture, cli, 'curl');

  const request = capture.bytes(cli.conn.key, 'egress');
  const response = capture.bytes(srv.conn.key, 'egress');
  assertSameBytes(capture.bytes(srv.conn.key, 'ingress'), request, 'python ingress vs curl egress');
  assertSameBytes(capture.bytes(cli.conn.key, 'ingress'), response, 'curl ingress vs python egress');

  assert.ok(request.toString('latin1').startsWith('GET /file.bin HTTP/1.1\r\n'), `request: ${JSON.stringify(request.toString('latin1'))}`);
  assert.equal(headEnd(request, 'request'), request.length, 'a GET carries nothing after its head');
  assert.ok(response.toString('latin1').startsWith('HTTP/1.0 200 OK\r\n'), 'response status line');
  const bodyAt = headEnd(response, 'response');
  assert.match(response.subarray(0, bodyAt).toString('latin1'), new RegExp(`\r\nContent-Length: ${file.length}\r\n`));
  assert.equal(response.length - bodyAt, file.length, 'response body length');
  assertSameBytes(response.subarray(bodyAt), file, 'response body');
}

test('python http.server + curl over IPv4: both ends capture the same request and response bytes', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  if (!bpfAvailable(t)) return;
  await pythonAndCurl(t, 'ipv4');
});

test('python http.server + curl over IPv6 (::1): family, addresses, ports and streams', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  if (!bpfAvailable(t)) return;
  await pythonAndCurl(t, 'ipv6');
});

// ---------------------------------------------------------------------------------------------
// nginx

interface Nginx {
  port: number;
  dir: string;
  worker: number;
  /** 300 KiB of random bytes, served at /file.bin (sendfile on) and /copy/file.bin (off). */
  file: Buffer;
}

async function startNginx(t: TestContext): Promise<Nginx> {
  const file = crypto.randomBytes(300 * 1024);
  const ngx = await startSharedNginx({
    files: { 'file.bin': file, 'copy/file.bin': file },
    serverConfig: 'location /copy/ { sendfile off; }',
  });
  t.after(() => ngx.stop());
  return { port: ngx.port, dir: ngx.dir, worker: ngx.workerPid, file };
}

/** Fetches `urlPath` from nginx with curl, both the worker and curl targeted. */
async function curlNginx(t: TestContext, ngx: Nginx, urlPath: string) {
  const capture = captureFor(t, [ngx.worker]);
  const out = path.join(ngx.dir, 'out.bin');
  const headersFile = path.join(ngx.dir, 'headers.txt');
  const curl = startGated('curl', ['-s', '-D', headersFile, '-o', out, `http://127.0.0.1:${ngx.port}${urlPath}`]);
  capture.tracer.setTargets({ pids: [ngx.worker, curl.pid] });
  release(curl);
  await exitedOk(curl, 'curl');
  await capture.waitFor('nginx and curl to close their connections', () => closed(capture, ngx.worker) && closed(capture, curl.pid), CLOSE_TIMEOUT_MS);
  await capture.settle();

  assertSameBytes(fs.readFileSync(out), ngx.file, 'the file curl saved');
  const headers = fs.readFileSync(headersFile);
  assert.ok(headers.toString('latin1').startsWith('HTTP/1.1 200 OK\r\n'), 'response status line');
  assert.equal(headEnd(headers, 'curl -D'), headers.length, 'curl -D saved exactly one head');

  const srv = onlyConn(capture, ngx.worker, 'server', 'nginx worker');
  const cli = onlyConn(capture, curl.pid, 'client', 'curl');
  assert.equal(srv.local.ip, '127.0.0.1');
  assert.equal(srv.local.port, ngx.port);
  assert.equal(srv.remote.port, cli.local.port);
  assert.equal(cli.remote.port, ngx.port);
  assertCompleteAtClose(capture, srv, 'nginx worker');
  assertCompleteAtClose(capture, cli, 'curl');

  const request = capture.bytes(cli.conn.key, 'egress');
  assert.ok(request.toString('latin1').startsWith(`GET ${urlPath} HTTP/1.1\r\n`), `request: ${JSON.stringify(request.toString('latin1'))}`);
  assertSameBytes(capture.bytes(srv.conn.key, 'ingress'), request, 'nginx ingress vs curl egress');
  // What curl received is exactly the head it saved followed by the file.
  assertSameBytes(capture.bytes(cli.conn.key, 'ingress'), Buffer.concat([headers, ngx.file]), 'curl ingress');
  return { capture, srv, cli, headers };
}

test('nginx with sendfile on: the header as data, then the file as an uncaptured hole of its exact size', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  if (!bpfAvailable(t)) return;
  const ngx = await startNginx(t);
  const { capture, srv, headers } = await curlNginx(t, ngx, '/file.bin');

  assert.deepEqual(coalesce(capture.pieces(srv.conn.key, 'egress')), [
    { kind: 'data', pos: 0, data: headers },
    { kind: 'hole', pos: headers.length, len: ngx.file.length, reason: 'uncaptured' },
  ]);
  const egress = capture.dataEvents(srv.conn.key, 'egress');
  const sendfiles = egress.filter((e) => e.syscall === 'sendfile');
  assert.ok(sendfiles.length >= 1, `sendfile events: ${JSON.stringify(egress.map((e) => [e.syscall, e.len]))}`);
  for (const e of sendfiles) {
    assert.equal(e.noPayload, true);
    assert.equal(e.payload.length, 0);
    assert.equal(e.truncated, false);
  }
  assert.equal(sendfiles.reduce((n, e) => n + e.len, 0), ngx.file.length, 'sendfile bytes');
  // The head went through user memory (writev), and nothing else did.
  assert.equal(egress.filter((e) => !e.noPayload).reduce((n, e) => n + e.payload.length, 0), headers.length);
});

test('nginx with sendfile off: worker egress equals curl ingress byte for byte, written with writev', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  if (!bpfAvailable(t)) return;
  const ngx = await startNginx(t);
  const { capture, srv, cli, headers } = await curlNginx(t, ngx, '/copy/file.bin');

  const response = capture.bytes(srv.conn.key, 'egress');
  assertSameBytes(response, capture.bytes(cli.conn.key, 'ingress'), 'nginx egress vs curl ingress');
  assertSameBytes(response, Buffer.concat([headers, ngx.file]), 'nginx egress');
  assertSameBytes(response.subarray(response.length - ngx.file.length), ngx.file, 'nginx egress ends with the file');
  const egress = capture.dataEvents(srv.conn.key, 'egress');
  assert.ok(
    egress.some((e) => e.syscall === 'writev'),
    `writev events: ${JSON.stringify(egress.map((e) => [e.syscall, e.len]))}`,
  );
  assert.ok(egress.every((e) => !e.noPayload && e.syscall !== 'sendfile'), 'no sendfile with sendfile off');
});

// ---------------------------------------------------------------------------------------------
// Node server, Node fetch client and Python sendmsg/recvmsg client

async function startEchoServer(t: TestContext): Promise<{ port: number; server: Proc }> {
  const port = await freePort();
  const server = start(process.execPath, [path.join(serverFixtures, 'echo-server.mjs'), String(port), '127.0.0.1']);
  killAfter(t, server);
  await waitListening(port, 'ipv4');
  return { port, server };
}

test('node fetch client -> node http server: both ends equal, the body exactly once after the head', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  if (!bpfAvailable(t)) return;
  const dir = tempDir('socktap-fetch-');
  const body = deterministicBody(256 * 1024, 0x50c7a9);
  const bodyFile = path.join(dir, 'body.bin');
  const out = path.join(dir, 'out.bin');
  fs.writeFileSync(bodyFile, body);
  const { port, server } = await startEchoServer(t);

  const capture = captureFor(t, [server.pid]);
  const client = start(process.execPath, [path.join(serverFixtures, 'fetch-client.mjs'), `http://127.0.0.1:${port}/echo`, bodyFile, out]);
  killAfter(t, client);
  capture.tracer.setTargets({ pids: [server.pid, client.pid] });
  release(client);
  await exitedOk(client, 'fetch client');
  // The client exits without close(2); the server closes once it reads EOF.
  await capture.waitFor('the server to close its connection', () => closed(capture, server.pid) && capture.connsOf(client.pid).length > 0, CLOSE_TIMEOUT_MS);
  await capture.settle();

  assertSameBytes(fs.readFileSync(out), body, 'the response body the client saved');

  const srv = onlyConn(capture, server.pid, 'server', 'node server');
  const cli = onlyConn(capture, client.pid, 'client', 'fetch client');
  assert.equal(srv.local.port, port);
  assert.equal(cli.remote.port, port);
  assert.equal(cli.local.port, srv.remote.port);
  assert.equal(srv.local.ip, '127.0.0.1');
  assert.equal(cli.remote.ip, '127.0.0.1');
  assertCompleteAtClose(capture, srv, 'node server');

  const request = capture.bytes(cli.conn.key, 'egress');
  const response = capture.bytes(srv.conn.key, 'egress');
  assertSameBytes(capture.bytes(srv.conn.key, 'ingress'), request, 'server ingress vs client egress');
  assertSameBytes(capture.bytes(cli.conn.key, 'ingress'), response, 'client ingress vs server egress');

  const reqText = request.toString('latin1');
  assert.ok(reqText.startsWith('POST /echo HTTP/1.1\r\n'), `request line: ${JSON.stringify(reqText.slice(0, 40))}`);
  const reqBodyAt = headEnd(request, 'request');
  const reqHead = reqText.slice(0, reqBodyAt);
  assert.match(reqHead, new RegExp(`\r\ncontent-length: ${body.length}\r\n`, 'i'), 'content-length framing');
  assert.doesNotMatch(reqHead, /transfer-encoding/i);
  assert.equal(request.indexOf(body), reqBodyAt, 'the body starts right after the head');
  assert.equal(request.length, reqBodyAt + body.length, 'the body ends the request stream');
  assert.equal(request.indexOf(body, reqBodyAt + 1), -1, 'the body appears once');

  const resText = response.toString('latin1');
  assert.ok(resText.startsWith('HTTP/1.1 200 OK\r\n'), 'status line');
  const resBodyAt = headEnd(response, 'response');
  assert.match(resText.slice(0, resBodyAt), new RegExp(`\r\ncontent-length: ${body.length}\r\n`, 'i'));
  assertSameBytes(response.subarray(resBodyAt), body, 'response body');
});

test('python sendmsg/recvmsg client with three iovecs -> node http server', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  if (!bpfAvailable(t)) return;
  const dir = tempDir('socktap-sendmsg-');
  // Large enough that the body iovec is cut into several events.
  const body = deterministicBody(96 * 1024 + 123, 0x1a2b3c);
  const bodyFile = path.join(dir, 'body.bin');
  const out = path.join(dir, 'out.bin');
  fs.writeFileSync(bodyFile, body);
  const { port, server } = await startEchoServer(t);

  const capture = captureFor(t, [server.pid]);
  const client = start('python3', [path.join(serverFixtures, 'sendmsg-client.py'), String(port), bodyFile, out]);
  killAfter(t, client);
  capture.tracer.setTargets({ pids: [server.pid, client.pid] });
  release(client);
  await exitedOk(client, 'sendmsg client');
  await capture.waitFor('both ends to close', () => closed(capture, server.pid) && closed(capture, client.pid), CLOSE_TIMEOUT_MS);
  await capture.settle();

  const part1 = Buffer.from(`POST /echo HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n`, 'latin1');
  const part2 = Buffer.from(
    `Content-Type: application/octet-stream\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`,
    'latin1',
  );
  const sent = Buffer.concat([part1, part2, body]);
  assert.equal(client.stdout().trim(), String(sent.length), 'sendmsg sent everything in one call');
  const saved = fs.readFileSync(out);

  const srv = onlyConn(capture, server.pid, 'server', 'node server');
  const cli = onlyConn(capture, client.pid, 'client', 'python client');
  assert.equal(srv.local.port, port);
  assert.equal(cli.remote.port, port);
  assert.equal(cli.local.port, srv.remote.port);
  assertCompleteAtClose(capture, srv, 'node server');
  assertCompleteAtClose(capture, cli, 'python client');

  const cliEgress = capture.dataEvents(cli.conn.key, 'egress');
  const cliIngress = capture.dataEvents(cli.conn.key, 'ingress');
  assert.deepEqual([...new Set(cliEgress.map((e) => e.syscall))], ['sendmsg']);
  assert.deepEqual([...new Set(cliIngress.map((e) => e.syscall))], ['recvmsg']);
  // One sendmsg: its events tile [0, sent.length) and share one syscall's timestamps.
  assert.equal(new Set(cliEgress.map((e) => e.tsNs)).size, 1, 'all egress events come from one sendmsg');
  assert.ok(cliEgress.length >= 3, `iovecs cut into events: ${cliEgress.length}`);
  // Events never straddle iovecs: the first two are exactly the two header parts.
  assert.deepEqual(
    cliEgress.slice(0, 2).map((e) => [e.pos, e.len, e.payload.toString('latin1')]),
    [
      [0, part1.length, part1.toString('latin1')],
      [part1.length, part2.length, part2.toString('latin1')],
    ],
  );
  assertSameBytes(capture.bytes(cli.conn.key, 'egress'), sent, 'client egress vs the three parts');
  assertSameBytes(capture.bytes(cli.conn.key, 'ingress'), saved, 'client ingress vs what it saved');

  assertSameBytes(capture.bytes(srv.conn.key, 'ingress'), sent, 'server ingress vs client egress');
  assertSameBytes(capture.bytes(srv.conn.key, 'egress'), saved, 'server egress vs client ingress');

  const resText = saved.toString('latin1');
  assert.ok(resText.startsWith('HTTP/1.1 200 OK\r\n'), 'status line');
  const resBodyAt = headEnd(saved, 'response');
  assert.match(resText.slice(0, resBodyAt), /\r\nconnection: close\r\n/i);
  assertSameBytes(saved.subarray(resBodyAt), body, 'echoed body');
});
