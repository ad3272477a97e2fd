/**
 * Capture to exchange records against a real server and real curl requests: the records carry
 * exactly what went over the wire (start lines, curl's headers, bodies), redacted and encoded as
 * DESIGN.md §3 says, with the server's addresses and direction.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bpfAvailable } from '../helpers/bpf';
import { run } from '../helpers/procs';
import { pattern, startEchoServer } from '../helpers/fixtures';
import { Tracer } from '../../agent/capture/tracer';
import { ExchangeAssembler, toJsonLine, type ExchangeRecord } from '../../agent/pipeline';
import { withHeaderPairs } from '../helpers/exchange-records';

async function waitFor(what: string, cond: () => boolean, timeoutMs = 10000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('curl requests to a traced server become exact ingress exchange records', async (t) => {
  if (!bpfAvailable(t)) return;
  const server = await startEchoServer();
  t.after(() => server.proc.kill('SIGKILL'));
  const tracer = new Tracer({ targets: { pids: [server.proc.pid] } }).start();
  const records: ExchangeRecord[] = [];
  const asm = new ExchangeAssembler({ clock: tracer.clock, mode: 'all' }, (r) => records.push(withHeaderPairs(r)));
  tracer.on('batch', (events) => {
    for (const ev of events) asm.add(ev);
  });
  try {
    const url = `http://127.0.0.1:${server.port}`;
    const got = (await run('curl', ['-s', `${url}/bytes/100`])).stdout;
    assert.equal(Buffer.from(got, 'latin1').length, 100);
    await run('curl', ['-s', '-H', 'Authorization: Bearer x', '-H', 'Content-Type: application/json', '-d', '{"a":1}', `${url}/echo`]);
    await waitFor('2 records', () => records.length >= 2);
    // Both connections closed: nothing else is pending, so no further record may come.
    await waitFor('both connections closed', () => asm.openConnections === 0);
    assert.equal(records.length, 2, records.map(toJsonLine).join('\n'));

    const curlVersion = (await run('curl', ['--version'])).stdout.split(' ')[1];
    const curlHeaders: Array<[string, string]> = [
      ['Host', `127.0.0.1:${server.port}`],
      ['User-Agent', `curl/${curlVersion}`],
      ['Accept', '*/*'],
    ];
    const [get, post] = records;
    for (const r of records) {
      assert.equal(r.direction, 'ingress');
      assert.equal(r.tls, false);
      assert.deepEqual(r.process, { pid: server.proc.pid, comm: 'node', container_id: null, pod: null, namespace: null, service: null });
      assert.deepEqual(r.connection.local, { ip: '127.0.0.1', port: server.port });
      assert.equal(r.connection.remote.ip, '127.0.0.1');
      assert.notEqual(r.connection.remote.port, server.port);
      assert.equal(r.incomplete, undefined);
      assert.ok(r.duration_ns > 0 && r.duration_ns < 5e9, `duration ${r.duration_ns}`);
      assert.ok(Math.abs(Date.parse(r.ts) - Date.now()) < 60_000, `ts ${r.ts} is now`);
    }
    assert.notEqual(get.connection.id, post.connection.id);

    assert.deepEqual(get.request, {
      method: 'GET', target: '/bytes/100', version: '1.1', headers: curlHeaders,
      body: '', body_encoding: 'utf8', body_size: 0, body_truncated: false,
    });
    assert.deepEqual([get.response?.status, get.response?.reason, get.response?.version], [200, 'OK', '1.1']);
    assert.deepEqual(get.response?.headers.slice(0, 2), [['Content-Type', 'application/octet-stream'], ['Content-Length', '100']]);
    assert.deepEqual(
      [get.response?.body, get.response?.body_encoding, get.response?.body_size, get.response?.body_truncated],
      [pattern(100).toString('base64'), 'base64', 100, false],
    );

    assert.deepEqual(post.request, {
      method: 'POST', target: '/echo', version: '1.1',
      headers: [...curlHeaders, ['Authorization', '[REDACTED]'], ['Content-Type', 'application/json'], ['Content-Length', '7']],
      body: '{"a":1}', body_encoding: 'utf8', body_size: 7, body_truncated: false,
    });
    assert.deepEqual([post.response?.status, post.response?.reason], [200, 'OK']);
    assert.deepEqual(
      [post.response?.body, post.response?.body_encoding, post.response?.body_size, post.response?.body_truncated],
      ['{"a":1}', 'utf8', 7, false],
    );
    const s = asm.stats;
    assert.deepEqual([s.exchanges, s.connections, s.requestParseErrors, s.responseParseErrors, s.undecided], [2, 2, 0, 0, 0]);
  } finally {
    await tracer.stop();
  }
});
