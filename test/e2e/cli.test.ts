/** The `socktap` command as users run it (bin/socktap.js over the built dist/). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { bpfAvailable } from '../helpers/bpf';
import { fixtures, run, start, tempDir } from '../helpers/procs';
import { startEchoServer, pattern, waitLine } from '../helpers/fixtures';
import fs from 'node:fs';
import { FLAGS as RUN_FLAGS } from '../../agent/cli/commands/run';

const bin = path.join(__dirname, '..', '..', 'bin', 'socktap.js');

test('usage errors name the bad input and exit 2', async () => {
  const p = start(process.execPath, [bin, 'capture', '--pid', 'abc']);
  assert.equal(await p.exited, 2);
  assert.equal(p.stderr(), "socktap capture: --pid must be a process id, got 'abc'\n");
  const q = start(process.execPath, [bin, 'capture']);
  assert.equal(await q.exited, 2);
  assert.equal(q.stderr(), 'socktap capture: choose what to capture with --pid PID or --all\n');
  const r = start(process.execPath, [bin, 'frobnicate']);
  assert.equal(await r.exited, 2);
  assert.match(r.stderr(), /^socktap: unknown command 'frobnicate'\n/);
  const s = start(process.execPath, [bin, 'capture', '--pid', '1', '--bogus']);
  assert.equal(await s.exited, 2);
  assert.match(s.stderr(), /^socktap capture: Unknown option '--bogus'.*See `socktap capture --help`/);
});

test('doctor --json reports every check', async () => {
  // Exit code 1 only means a check failed; the report is complete either way.
  const p = start(process.execPath, [bin, 'doctor', '--json']);
  assert.ok([0, 1].includes((await p.exited) as number), p.stderr());
  const report = JSON.parse(p.stdout()) as { checks: { id: string; status: string }[]; summary: { fail: number } };
  assert.equal((await p.exited) === 1, report.summary.fail > 0);
  const ids = report.checks.map((c) => c.id);
  for (const id of ['kernel', 'btf', 'tracefs', 'syscall-tracepoints', 'lockdown', 'capabilities', 'ringbuf', 'uprobes', 'cgroups']) {
    assert.ok(ids.includes(id), `check ${id}`);
  }
});

test('capture --json writes the exact bytes of a real exchange', async (t) => {
  if (!bpfAvailable(t)) return;
  const server = await startEchoServer();
  t.after(() => server.proc.kill('SIGKILL'));
  const cap = start(process.execPath, [bin, 'capture', '--pid', String(server.proc.pid), '--json', '--duration', '3']);
  t.after(() => cap.kill('SIGKILL'));
  await new Promise((r) => setTimeout(r, 1500)); // programs loaded and attached
  const dir = tempDir();
  await run('curl', ['-s', '-o', path.join(dir, 'out'), `http://127.0.0.1:${server.port}/bytes/4096`]);
  assert.ok(fs.readFileSync(path.join(dir, 'out')).equals(pattern(4096)));
  assert.equal(await cap.exited, 0);
  const events = cap.stdout().trim().split('\n').map((l) => JSON.parse(l));
  const opens = events.filter((e) => e.kind === 'open');
  assert.equal(opens.length, 1);
  assert.equal(opens[0].role, 'server');
  assert.deepEqual(opens[0].local, { ip: '127.0.0.1', port: server.port });
  const egress = Buffer.concat(
    events.filter((e) => e.kind === 'data' && e.direction === 'egress').sort((a, b) => a.pos - b.pos).map((e) => Buffer.from(e.payload, 'base64')),
  );
  assert.match(egress.toString('latin1'), /^HTTP\/1\.1 200 OK\r\n/);
  assert.ok(egress.subarray(egress.length - 4096).equals(pattern(4096)));
  const ingress = Buffer.concat(
    events.filter((e) => e.kind === 'data' && e.direction === 'ingress').sort((a, b) => a.pos - b.pos).map((e) => Buffer.from(e.payload, 'base64')),
  );
  assert.equal(
    ingress.toString('latin1'),
    `GET /bytes/4096 HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nUser-Agent: curl/${(await run('curl', ['--version'])).stdout.split(' ')[1]}\r\nAccept: */*\r\n\r\n`,
  );
  assert.match(cap.stderr(), /socktap: 1 connections, \d+ data events, lost 0 events/);
});

test('demo runs servers and traffic, shows every exchange of both sides and summarises', async (t) => {
  if (!bpfAvailable(t)) return;
  const demo = start(process.execPath, [bin, 'demo', '--duration', '2']);
  t.after(() => demo.kill('SIGKILL'));
  assert.equal(await demo.exited, 0, demo.stderr());
  const out = demo.stdout();
  const [, serverPid, port, tlsPort, clientPid] = /API server pid (\d+) on 127\.0\.0\.1:(\d+) \(HTTPS on (\d+)\), client pid (\d+)/.exec(out)!;
  const [, served, made, counted] = /exchanges +(\d+) served by the API server \(ingress\), (\d+) made by the client \(egress\); the client counted (\d+) requests/.exec(out)!;
  // Every request the client made was captured once on each side.
  assert.equal(served, counted);
  assert.equal(made, counted);
  assert.ok(Number(counted) >= 4);
  const rows = out.split('\n').filter((l) => /^\d\d:\d\d:\d\d\.\d{3} /.test(l));
  assert.equal(rows.length, 2 * Number(counted));
  // Every other round goes over HTTPS: plaintext from the OpenSSL probes, rows marked tls.
  for (const [tls, to] of [['', port], [' tls', tlsPort]]) {
    const served = rows.filter((r) => new RegExp(`^\\S+ +in${tls} +POST +201 .* node\\[${serverPid}\\] +127\\.0\\.0\\.1:\\d+ +/api/orders$`).test(r)).length;
    const made = rows.filter((r) => new RegExp(`^\\S+ +out${tls} +POST +201 .* node\\[${clientPid}\\] +127\\.0\\.0\\.1:${to} +/api/orders$`).test(r)).length;
    assert.equal(served, made, `POSTs${tls}`);
    assert.ok(served >= 1, `at least one POST${tls}`);
  }
  const tlsRows = rows.filter((r) => / (in|out) tls /.test(r)).length;
  assert.match(out, new RegExp(`over TLS +${tlsRows} of ${rows.length} exchanges`));
  assert.match(out, /by status +200 x\d+, 201 x\d+/);
  assert.match(out, /lost 0 events, 0 hand-off drops/);
});

test('run --format jsonl writes exactly the exchange record, stats on stderr', async (t) => {
  if (!bpfAvailable(t)) return;
  const server = await startEchoServer();
  t.after(() => server.proc.kill('SIGKILL'));
  const agent = start(process.execPath, [bin, 'run', '--pid', String(server.proc.pid), '--duration', '3']);
  t.after(() => agent.kill('SIGKILL'));
  await new Promise((r) => setTimeout(r, 1500)); // programs loaded and attached
  const curlVersion = (await run('curl', ['--version'])).stdout.split(' ')[1];
  await run('curl', ['-s', '-o', '/dev/null', '-H', 'Authorization: Bearer secret', '-H', 'Content-Type: application/json',
    '-d', '{"a":1}', `http://127.0.0.1:${server.port}/echo`]);
  await run('curl', ['-s', '-o', '/dev/null', `http://127.0.0.1:${server.port}/bytes/10`]);
  assert.equal(await agent.exited, 0, agent.stderr());
  const lines = agent.stdout().trim().split('\n');
  assert.equal(lines.length, 2, agent.stdout());
  const [post, get] = lines.map((l) => JSON.parse(l));
  // Key order and shape as DESIGN's exchange record.
  assert.deepEqual(Object.keys(post), ['ts', 'duration_ns', 'direction', 'tls', 'process', 'connection', 'request', 'response']);
  assert.match(post.ts, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
  assert.ok(post.duration_ns > 0);
  assert.equal(post.direction, 'ingress');
  assert.equal(post.tls, false);
  assert.deepEqual(post.process, { pid: server.proc.pid, comm: 'node', container_id: null, pod: null, namespace: null, service: null });
  assert.deepEqual(post.connection.local, { ip: '127.0.0.1', port: server.port });
  assert.equal(post.connection.remote.ip, '127.0.0.1');
  assert.deepEqual(post.request, {
    method: 'POST',
    target: '/echo',
    version: '1.1',
    headers: [
      ['Host', `127.0.0.1:${server.port}`],
      ['User-Agent', `curl/${curlVersion}`],
      ['Accept', '*/*'],
      ['Authorization', '[REDACTED]'],
      ['Content-Type', 'application/json'],
      ['Content-Length', '7'],
    ],
    body: '{"a":1}',
    body_encoding: 'utf8',
    body_size: 7,
    body_truncated: false,
  });
  assert.equal(post.response.status, 200);
  assert.equal(post.response.reason, 'OK');
  assert.deepEqual(post.response.headers.slice(0, 2), [['Content-Type', 'application/octet-stream'], ['Content-Length', '7']]);
  assert.equal(post.response.body, '{"a":1}');
  assert.equal(get.request.target, '/bytes/10');
  assert.equal(get.response.body, pattern(10).toString('base64'));
  assert.equal(get.response.body_encoding, 'base64');
  assert.equal(get.response.body_size, 10);
  assert.match(agent.stderr(), /level=info msg="stats \{\\"ControlEventReceived\\":4,\\"DataEventReceived\\":\d+,\\"TotalRequestsParsed\\":2,\\"ReqParsingErrors\\":0,\\"ResParsingErrors\\":0,\\"EventLost\\":0,\\"TotalRequestsSent\\":2,/);
  assert.match(agent.stderr(), /level=info msg="probe stat \{[^}]*\\"accept\\":\[0,0\],\\"accept4\\":\[2,2\],/);
  // The node it targets maps OpenSSL (built into node): the SSL probes are attached and counted, but plain HTTP never calls them.
  assert.match(agent.stderr(), /probe stat \{\\"SSL_read\\":\[0,0\],\\"SSL_read_ex\\":\[0,0\],\\"SSL_write\\":\[0,0\],\\"SSL_write_ex\\":\[0,0\],/);
});

test('run --help documents every flag; bad values are named', async () => {
  const help = start(process.execPath, [bin, 'run', '--help']);
  assert.equal(await help.exited, 0);
  // Every flag the parser accepts is documented, each on a line of its own.
  for (const flag of Object.keys(RUN_FLAGS)) {
    assert.match(help.stdout(), new RegExp(`^  (-h, )?--${flag}\\b`, 'm'), `--help documents --${flag}`);
  }
  const bad = start(process.execPath, [bin, 'run', '--pid', '1', '--mode', 'sideways']);
  assert.equal(await bad.exited, 1);
  assert.equal(bad.stderr(), 'socktap run: invalid configuration: mode must be one of all, ingress, egress, got "sideways" (flag --mode)\n');
  const badPort = start(process.execPath, [bin, 'run', '--port', '80,99999']);
  assert.equal(await badPort.exited, 1);
  assert.match(badPort.stderr(), /targets\.ports\[1\] must be a port from 1 to 65535, got 99999 \(flag --port\)/);
  const nothing = start(process.execPath, [bin, 'run']);
  assert.equal(await nothing.exited, 2);
  assert.match(nothing.stderr(), /choose what to capture with --pid PID, --comm NAME, --port PORT or --all/);
});

test('run --comm captures a process started later, by the name it execs under; others are not captured', async (t) => {
  if (!bpfAvailable(t)) return;
  const dir = tempDir();
  // comm comes from the executed file's name: a link to node named for this test.
  fs.symlinkSync(process.execPath, path.join(dir, 'stcommecho'));
  const agent = start(process.execPath, [bin, 'run', '--comm', 'stcommecho', '--duration', '4']);
  t.after(() => agent.kill('SIGKILL'));
  await new Promise((r) => setTimeout(r, 1500)); // programs loaded and attached
  // Started after the agent, through a shell that execs it: the shell's own decision (not
  // targeted) must not stick to the process once it is stcommecho.
  const named = start('sh', ['-c', `exec ${path.join(dir, 'stcommecho')} ${path.join(fixtures, 'echo-server.js')} 0 127.0.0.1`]);
  t.after(() => named.kill('SIGKILL'));
  const namedPort = Number((await waitLine(named, 'listening ')).split(' ')[1]);
  const other = await startEchoServer();
  t.after(() => other.proc.kill('SIGKILL'));
  await run('curl', ['-s', '-o', '/dev/null', `http://127.0.0.1:${namedPort}/bytes/5`]);
  await run('curl', ['-s', '-o', '/dev/null', `http://127.0.0.1:${other.port}/bytes/6`]);
  assert.equal(await agent.exited, 0, agent.stderr());
  const records = agent.stdout().trim().split('\n').filter((l) => l !== '').map((l) => JSON.parse(l));
  assert.equal(records.length, 1, agent.stdout());
  assert.deepEqual(records[0].process, { pid: named.pid, comm: 'stcommecho', container_id: null, pod: null, namespace: null, service: null });
  assert.equal(records[0].request.target, '/bytes/5');
  assert.equal(records[0].connection.local.port, namedPort);
  assert.match(agent.stderr(), /capturing comm stcommecho \(mode ingress/);
});

test('run --port with --mode all: both sides of connections to that port, nothing else', async (t) => {
  if (!bpfAvailable(t)) return;
  const a = await startEchoServer();
  const b = await startEchoServer();
  t.after(() => a.proc.kill('SIGKILL'));
  t.after(() => b.proc.kill('SIGKILL'));
  const agent = start(process.execPath, [bin, 'run', '--port', String(a.port), '--mode', 'all', '--duration', '3']);
  t.after(() => agent.kill('SIGKILL'));
  await new Promise((r) => setTimeout(r, 1500));
  await run('curl', ['-s', '-o', '/dev/null', `http://127.0.0.1:${a.port}/bytes/7`]);
  await run('curl', ['-s', '-o', '/dev/null', `http://127.0.0.1:${b.port}/bytes/8`]);
  assert.equal(await agent.exited, 0, agent.stderr());
  const records = agent.stdout().trim().split('\n').filter((l) => l !== '').map((l) => JSON.parse(l));
  const byDirection = Object.fromEntries(records.map((r) => [r.direction, r]));
  assert.equal(records.length, 2, agent.stdout());
  assert.equal(byDirection.ingress.process.pid, a.proc.pid);
  assert.equal(byDirection.ingress.connection.local.port, a.port);
  assert.equal(byDirection.egress.process.comm, 'curl');
  assert.equal(byDirection.egress.connection.remote.port, a.port);
  for (const r of records) assert.equal(r.request.target, '/bytes/7');
  assert.equal(byDirection.ingress.connection.remote.port, byDirection.egress.connection.local.port, 'the two sides of one connection');
  // Decided in the kernel: of every connection on the host, only the two ends on port A were
  // reported (two opens, two closes), although every process was considered.
  assert.match(agent.stderr(), /msg="stats \{\\"ControlEventReceived\\":4,/);
});
