/** `socktap parse`: exchanges from two stream files, exact records; bad input named. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { start, tempDir } from '../helpers/procs';

const bin = path.join(__dirname, '..', '..', 'bin', 'socktap.js');

function files(client: Buffer | string, server: Buffer | string): [string, string] {
  const dir = tempDir();
  const c = path.join(dir, 'client');
  const s = path.join(dir, 'server');
  fs.writeFileSync(c, client);
  fs.writeFileSync(s, server);
  return [c, s];
}

test('parse: pipelined requests, chunked and HEAD responses, redaction, an unanswered request', async () => {
  const [c, s] = files(
    'GET /a?x=1 HTTP/1.1\r\nHost: h\r\nCookie: k=v\r\n\r\n' +
      'POST /b HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc' +
      'HEAD /c HTTP/1.1\r\nHost: h\r\n\r\n' +
      'GET /d HTTP/1.1\r\nHost: h\r\n\r\n',
    'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi' +
      'HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n3;ext=1\r\nxyz\r\n0\r\nX-Trailer: t\r\n\r\n' +
      'HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n',
  );
  const p = start(process.execPath, [bin, 'parse', c, s]);
  assert.equal(await p.exited, 0, p.stderr());
  const out = p.stdout().trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(out.length, 4);
  assert.deepEqual(out[0].request.headers, [['Host', 'h'], ['Cookie', '[REDACTED]']]);
  assert.deepEqual([out[0].response.status, out[0].response.body], [200, 'hi']);
  assert.deepEqual([out[1].request.body, out[1].response.status, out[1].response.body, out[1].response.body_size], ['abc', 201, 'xyz', 3]);
  assert.deepEqual([out[2].request.method, out[2].response.body, out[2].response.body_size], ['HEAD', '', 0]);
  assert.deepEqual([out[3].request.target, out[3].response, out[3].incomplete], ['/d', null, 'closed']);
  assert.equal(p.stderr(), 'socktap parse: 4 exchanges, 0 request and 0 response parse errors\n');
});

test('parse --decode: gzip body decoded; --no-redact keeps values', async () => {
  const gz = zlib.gzipSync('{"ok":true}');
  const [c, s] = files(
    'GET / HTTP/1.1\r\nAuthorization: Bearer t\r\n\r\n',
    Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: ${gz.length}\r\n\r\n`), gz]),
  );
  const p = start(process.execPath, [bin, 'parse', '--decode', '--no-redact', c, s]);
  assert.equal(await p.exited, 0, p.stderr());
  const [ex] = p.stdout().trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(ex.request.headers, [['Authorization', 'Bearer t']]);
  assert.equal(ex.response.body, '{"ok":true}');
  assert.equal(ex.response.content_decoded, true);
  assert.equal(ex.response.body_size, 11);
});

test('parse: garbage is counted, not thrown; missing files and operands are named', async () => {
  const [c, s] = files(Buffer.from([0, 1, 2, 0xff, 0x16, 0x03, 0x01]), 'not http at all\r\n\r\n');
  const p = start(process.execPath, [bin, 'parse', c, s]);
  assert.equal(await p.exited, 0, p.stderr());
  assert.equal(p.stdout(), '');
  assert.match(p.stderr(), /^socktap parse: 0 exchanges, \d+ request and \d+ response parse errors\n$/);
  const one = start(process.execPath, [bin, 'parse', c]);
  assert.equal(await one.exited, 2);
  assert.equal(one.stderr(), 'socktap parse: give two files, client-to-server then server-to-client, got 1. See `socktap parse --help`.\n');
  const missing = start(process.execPath, [bin, 'parse', c, '/nonexistent/x']);
  assert.equal(await missing.exited, 2);
  assert.equal(missing.stderr(), 'socktap parse: cannot read the server-to-client stream /nonexistent/x: ENOENT\n');
});
