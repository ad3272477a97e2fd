/**
 * Issue 4 acceptance, end to end: TLS plaintext from the OpenSSL uprobes, through `socktap run`
 * (the built bin), against real TLS servers and clients — nginx + curl (shared libssl), a Node
 * https server with Node clients (`https.request` and `fetch`: the node binary's own OpenSSL,
 * memory BIOs), a Python `ssl` client against nginx (the same libssl from another process
 * image). Every exchange is checked field by field on both sides, exactly once, with `tls: true`;
 * the final stats line shows no parse error, so no TLS record was ever parsed as HTTP. Without
 * the uprobes (`--no-tls`) a TLS connection yields no data at all.
 *
 * Each test has its own servers, ports and gated clients (pids known before a socket exists).
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { bpfAvailable } from '../helpers/bpf';
import { fixtures, start, tempDir } from '../helpers/procs';
import {
  assertCleanStats,
  assertExchanges,
  body,
  curlHeaders,
  gatedCurl,
  pairs,
  req,
  res,
  startAgent,
  startNodeServer,
  type Head,
  type Headers,
} from '../helpers/agent-e2e';
import { startNginx } from '../../bench/lib/nginx';
import { selfSignedCertificate, type CertificateFiles } from '../../agent/util/self-signed-cert';

const TEST_TIMEOUT_MS = 90_000;
const ORDERS = Buffer.from(JSON.stringify({ orders: Array.from({ length: 40 }, (_, i) => ({ id: i, sku: `sku-${i}` })) }) + '\n');
const STORED = '{"stored":true}';

let cert: Promise<CertificateFiles> | undefined;
/** One self-signed certificate (CN localhost, SAN 127.0.0.1) for the whole file. */
function certificate(): Promise<CertificateFiles> {
  cert ??= selfSignedCertificate(tempDir('socktap-tls-cert-'));
  return cert;
}

async function tlsNginx(t: TestContext) {
  const c = await certificate();
  const ngx = await startNginx({
    tls: { certificate: c.certificate, key: c.key },
    files: { 'orders.json': ORDERS },
    sendfile: false,
    serverConfig: `location /api/ { default_type application/json; return 201 '${STORED}'; }`,
  });
  t.after(() => ngx.stop());
  return ngx;
}

/** The agent said it attached the SSL probes to this kind of file. */
function assertAttached(stderr: string, what: RegExp): void {
  assert.match(stderr, new RegExp(`msg="TLS uprobes attached to ${what.source}`), stderr);
}

test('nginx over HTTPS + curl (--mode all): plaintext exchanges on both sides, exactly once, tls: true, no parse errors', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  if (!bpfAvailable(t)) return;
  const ngx = await tlsNginx(t);
  const { certificate: ca } = await certificate();
  const url = `https://127.0.0.1:${ngx.port}`;
  const json = '{"sensor":3,"value":19.25}';
  const curls = [
    gatedCurl(['--http1.1', '--cacert', ca, `${url}/orders.json`]),
    gatedCurl(['--http1.1', '--cacert', ca, '-H', 'Content-Type: application/json', '-H', 'Authorization: Bearer t0ken', '--data-binary', json, `${url}/api/readings`]),
    gatedCurl(['--http1.1', '--cacert', ca, `${url}/missing`]),
  ];
  const agent = await startAgent(t, ['--pid', [ngx.workerPid, ...curls.map((c) => c.pid)].join(','), '--port', String(ngx.port), '--mode', 'all']);
  assertAttached(agent.proc.stderr(), /\S*libssl\.so\.3 \(libssl,/);
  const got: Awaited<ReturnType<(typeof curls)[number]['run']>>[] = [];
  for (const c of curls) got.push(await c.run());
  await agent.waitRecords(6);
  const { records, stats } = await agent.stop();

  assert.deepEqual(got.map((g) => g.heads[0].status), [200, 201, 404]);
  assert.deepEqual(got[0].out, ORDERS);
  const client = (i: number) => ({ clientPid: got[i].pid, clientComm: 'curl' });
  assertExchanges(records, { pid: ngx.workerPid, comm: 'nginx', port: ngx.port, tls: true }, [
    { request: req('GET', '/orders.json', await curlHeaders(ngx.port)), response: res(got[0].heads[0], body(ORDERS)), ...client(0) },
    {
      request: req('POST', '/api/readings', await curlHeaders(ngx.port, ['Content-Type', 'application/json'], ['Authorization', 'Bearer t0ken'], ['Content-Length', String(json.length)]), body(json)),
      response: res(got[1].heads[0], body(STORED)),
      ...client(1),
    },
    { request: req('GET', '/missing', await curlHeaders(ngx.port)), response: res(got[2].heads[0], body(got[2].out)), ...client(2) },
  ]);
  assert.deepEqual(records.filter((r) => r.request.method === 'POST').map((r) => r.request.headers.find(([k]) => k === 'Authorization')), [['Authorization', '[REDACTED]'], ['Authorization', '[REDACTED]']]);
  assertCleanStats(stats, 6);
});

test('Node https server + Node clients (https.request, fetch): both sides in plaintext from the node binary\'s OpenSSL', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  if (!bpfAvailable(t)) return;
  const c = await certificate();
  const srv = await startNodeServer(t, '--tls', c.certificate, c.key);
  const dir = path.join(fixtures, 'tls');
  const reqClient = start(process.execPath, [path.join(dir, 'https-request-client.mjs'), '127.0.0.1', String(srv.port), c.certificate]);
  const fetchClient = start(process.execPath, [path.join(fixtures, 'exchanges', 'fetch-client.mjs'), `https://127.0.0.1:${srv.port}`], {
    env: { ...process.env, NODE_EXTRA_CA_CERTS: c.certificate },
  });
  t.after(() => reqClient.kill('SIGKILL'));
  t.after(() => fetchClient.kill('SIGKILL'));
  const agent = await startAgent(t, ['--pid', `${srv.proc.pid},${reqClient.pid},${fetchClient.pid}`, '--port', String(srv.port), '--mode', 'all']);
  assertAttached(agent.proc.stderr(), /\S*\/node \(executable,/);
  // One client after the other: the records' order is then the order below.
  reqClient.child.stdin!.write('go\n');
  assert.equal(await reqClient.exited, 0, reqClient.stderr());
  fetchClient.child.stdin!.write('go\n');
  assert.equal(await fetchClient.exited, 0, fetchClient.stderr());
  await agent.waitRecords(12);
  const { records, stats } = await agent.stop();

  const ka: Headers = [['Connection', 'keep-alive'], ['Keep-Alive', 'timeout=5']];
  const j = (n: number): Headers => [['Content-Type', 'application/json'], ['Content-Length', String(n)]];
  // sendDate off in the fixture: the heads Node wrote are known exactly.
  const head = (status: number, reason: string, headers: Headers): Head => ({ version: '1.1', status, reason, headers: [...headers, ...ka] });
  const seenByReq = reqClient.stdout().trim().split('\n').map((l) => JSON.parse(l) as { status: number; reason: string; rawHeaders: string[]; body: string });
  assert.deepEqual(seenByReq.map((s) => [s.status, s.reason, pairs(s.rawHeaders), s.body]), [
    [201, 'Created', [...j(23), ...ka], '{"item":"lamp","qty":1}'],
    [200, 'OK', [...j(17), ...ka], '{"hello":"world"}'],
  ]);
  const seenByFetch = fetchClient.stdout().trim().split('\n').map((l) => JSON.parse(l) as { status: number; body: string });
  assert.deepEqual(seenByFetch.map((s) => [s.status, s.body]), [
    [201, '{"item":"book","qty":2}'],
    [200, '{"received":30}'],
    [200, '{"hello":"world"}'],
    [200, '{"hello":"world"}'],
  ]);
  const served = srv.served();
  assert.equal(served.length, 6);
  const sent = served.map((s) => pairs(s.rawHeaders));
  const client = (i: number) => ({ clientPid: i < 2 ? reqClient.pid : fetchClient.pid, clientComm: 'node', remotePort: served[i].remotePort });
  assertExchanges(records, { pid: srv.proc.pid, comm: 'node', port: srv.port, tls: true }, [
    { request: req('POST', '/api/orders', sent[0], body('{"item":"lamp","qty":1}')), response: res(head(201, 'Created', j(23)), body('{"item":"lamp","qty":1}')), ...client(0) },
    { request: req('GET', '/hello', sent[1]), response: res(head(200, 'OK', j(17)), body('{"hello":"world"}')), ...client(1) },
    { request: req('POST', '/api/orders', sent[2], body('{"item":"book","qty":2}')), response: res(head(201, 'Created', j(23)), body('{"item":"book","qty":2}')), ...client(2) },
    { request: req('PUT', '/api/upload', sent[3], body('{"part":1}{"part":2}{"part":3}')), response: res(head(200, 'OK', j(15)), body('{"received":30}')), ...client(3) },
    { request: req('GET', '/hello', sent[4]), response: res(head(200, 'OK', j(17)), body('{"hello":"world"}')), ...client(4) },
    { request: req('GET', '/hello', sent[5]), response: res(head(200, 'OK', j(17)), body('{"hello":"world"}')), ...client(5) },
  ]);
  assertCleanStats(stats, 12);
});

test('Python ssl client against nginx: the shared libssl from another process image, both sides in plaintext', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  if (!bpfAvailable(t)) return;
  const ngx = await tlsNginx(t);
  const { certificate: ca } = await certificate();
  const py = start('python3', [path.join(fixtures, 'tls', 'py-tls-client.py'), '127.0.0.1', String(ngx.port), ca, '/orders.json', '/api/readings']);
  t.after(() => py.kill('SIGKILL'));
  const agent = await startAgent(t, ['--pid', `${ngx.workerPid},${py.pid}`, '--port', String(ngx.port), '--mode', 'all']);
  py.child.stdin!.write('go\n');
  assert.equal(await py.exited, 0, py.stderr());
  await agent.waitRecords(4);
  const { records, stats } = await agent.stop();

  const seen = py.stdout().trim().split('\n').map((l) => JSON.parse(l) as { status: number; reason: string; headers: Headers; body: string });
  assert.deepEqual(seen.map((s) => [s.status, s.reason, s.body]), [
    [200, 'OK', ORDERS.toString()],
    [201, 'Created', STORED],
  ]);
  const payload = '{"sensor":7,"value":21.5}';
  const host: [string, string] = ['Host', `127.0.0.1:${ngx.port}`];
  const identity: [string, string] = ['Accept-Encoding', 'identity'];
  const head = (i: number): Head => ({ version: '1.1', status: seen[i].status, reason: seen[i].reason, headers: seen[i].headers });
  const client = { clientPid: py.pid, clientComm: 'python3' };
  assertExchanges(records, { pid: ngx.workerPid, comm: 'nginx', port: ngx.port, tls: true }, [
    { request: req('GET', '/orders.json', [host, identity]), response: res(head(0), body(ORDERS)), ...client },
    {
      request: req('POST', '/api/readings', [host, identity, ['Content-Length', String(payload.length)], ['Content-Type', 'application/json']], body(payload)),
      response: res(head(1), body(STORED)),
      ...client,
    },
  ]);
  assertCleanStats(stats, 4);
});

test('--no-tls: a TLS connection is seen (open, close) but none of its bytes are reported: no records, no parse errors', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  if (!bpfAvailable(t)) return;
  const ngx = await tlsNginx(t);
  const { certificate: ca } = await certificate();
  const curl = gatedCurl(['--http1.1', '--cacert', ca, `https://127.0.0.1:${ngx.port}/orders.json`]);
  const agent = await startAgent(t, ['--no-tls', '--pid', `${ngx.workerPid},${curl.pid}`, '--port', String(ngx.port), '--mode', 'all']);
  assert.doesNotMatch(agent.proc.stderr(), /TLS uprobes attached/);
  const got = await curl.run();
  assert.deepEqual(got.out, ORDERS);
  // Give the reader a poll or two to deliver whatever the kernel reported.
  await new Promise((r) => setTimeout(r, 300));
  const { records, stats } = await agent.stop();
  assert.deepEqual(records, []);
  assert.equal(stats.ControlEventReceived, 4, 'open and close of the connection, on each side');
  assert.equal(stats.DataEventReceived, 0, 'not one ciphertext byte reported');
  assert.deepEqual([stats.ReqParsingErrors, stats.ResParsingErrors, stats.EventLost], [0, 0, 0]);
});
