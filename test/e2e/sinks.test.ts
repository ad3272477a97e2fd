/**
 * `socktap run` delivering one real exchange to every sink at once: the unix socket (a listener
 * in the test), an OTLP/HTTP collector (a local receiver that decodes the spans), a HAR file
 * (validated against the HAR 1.2 structure) and /metrics; stdout stays empty with --format none.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { bpfAvailable } from '../helpers/bpf';
import { freePort, run, start, tempDir } from '../helpers/procs';
import { startEchoServer } from '../helpers/fixtures';
import { startOtlpReceiver } from '../helpers/otlp-receiver';
import { HarSchema } from '../helpers/har-schema';
import { collectLines } from '../helpers/lines';

const bin = path.join(__dirname, '..', '..', 'bin', 'socktap.js');

test('one exchange reaches the unix socket, OTLP, HAR and /metrics', async (t) => {
  if (!bpfAvailable(t)) return;
  const dir = tempDir();
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const server = await startEchoServer();
  t.after(() => server.proc.kill('SIGKILL'));
  const otlp = await startOtlpReceiver();
  t.after(() => otlp.close());
  const sock = path.join(dir, 'eve.sock');
  const lines: string[] = [];
  const listener = net.createServer((c) => collectLines(c, lines));
  await new Promise<void>((r) => listener.listen(sock, r));
  t.after(() => listener.close());
  const harFile = path.join(dir, 'out.har');
  const metricsPort = await freePort();
  const agent = start(process.execPath, [
    bin, 'run', '--pid', String(server.proc.pid), '--format', 'none', '--uds', sock, '--otlp', otlp.url,
    '--har', harFile, '--metrics-addr', `127.0.0.1:${metricsPort}`, '--duration', '4', '--stats-interval', '1s',
  ]);
  t.after(() => agent.kill('SIGKILL'));
  const deadline = Date.now() + 15000;
  while (!agent.stderr().includes('msg="capturing ')) {
    assert.ok(Date.now() < deadline && agent.child.exitCode === null, agent.stderr());
    await new Promise((r) => setTimeout(r, 50));
  }
  await run('curl', ['-s', '-o', '/dev/null', '-H', 'Content-Type: application/json', '-d', '{"n":42}', `http://127.0.0.1:${server.port}/echo?q=1`]);
  const spans = await otlp.waitForSpans(1, 10000);
  const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  assert.equal((await fetch(`http://127.0.0.1:${metricsPort}/readyz`)).status, 200);
  assert.equal(await agent.exited, 0, agent.stderr());

  assert.equal(agent.stdout(), '', '--format none: nothing on stdout');
  assert.equal(lines.length, 1);
  const rec = JSON.parse(lines[0]!);
  assert.equal(rec.request.method, 'POST');
  assert.equal(rec.request.target, '/echo?q=1');
  assert.equal(rec.request.body, '{"n":42}');
  assert.equal(rec.response.status, 200);
  assert.equal(rec.response.body, '{"n":42}');

  assert.equal(spans.length, 1);
  const span = spans[0]!;
  assert.equal(span.kind, 2, 'SERVER span for an ingress exchange');
  assert.equal(span.attributes['http.request.method'], 'POST');
  assert.equal(span.attributes['url.path'], '/echo');
  assert.equal(span.attributes['url.query'], 'q=1');
  assert.equal(span.attributes['http.response.status_code'], 200);
  assert.equal(span.attributes['server.port'], server.port);
  assert.equal(span.attributes['socktap.request.body'], '{"n":42}');
  // Real times: the span covers the exchange's duration to the nanosecond.
  assert.equal(span.endTimeUnixNano - span.startTimeUnixNano, BigInt(rec.duration_ns));
  const ts = rec.ts as string;
  const startNs = BigInt(Date.parse(ts.slice(0, 19) + 'Z')) * 1_000_000n + BigInt(ts.slice(20, 29));
  assert.equal(span.startTimeUnixNano, startNs);

  const har = HarSchema.parse(JSON.parse(fs.readFileSync(harFile, 'utf8')));
  assert.equal(har.log.entries.length, 1);
  const entry = har.log.entries[0]!;
  assert.equal(entry.request.method, 'POST');
  assert.equal(entry.request.url, `http://127.0.0.1:${server.port}/echo?q=1`);
  assert.deepEqual(entry.request.queryString, [{ name: 'q', value: '1' }]);
  assert.equal(entry.request.postData?.text, '{"n":42}');
  assert.equal(entry.response.status, 200);
  assert.equal(entry.response.content.text, '{"n":42}');

  assert.match(metrics, /^socktap_requests_parsed_total 1$/m);
  assert.match(metrics, /^socktap_sink_sent_total\{sink="uds"\} 1$/m);
  // Every second while running, and once more at the end; each followed by its probe line.
  const statsLines = agent.stderr().split('\n').filter((l) => l.includes('msg="stats {'));
  assert.ok(statsLines.length >= 3, agent.stderr());
  assert.equal(agent.stderr().split('\n').filter((l) => l.includes('msg="probe stat {')).length, statsLines.length);
  assert.match(agent.stderr(), /msg="stats \{\\"ControlEventReceived\\":2,\\"DataEventReceived\\":\d+,\\"TotalRequestsParsed\\":1,\\"ReqParsingErrors\\":0,\\"ResParsingErrors\\":0,\\"EventLost\\":0,\\"TotalRequestsSent\\":3,/);
});
