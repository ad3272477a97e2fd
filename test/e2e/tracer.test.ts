/**
 * Capture engine against real processes: exact byte streams, roles and addresses, connections
 * that predate the tracer, targeting at runtime, fd reuse, detach on stop and on kill -9, and
 * loss accounting with a deliberately tiny ring buffer.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Capture } from '../helpers/capture';
import { bpfAvailable } from '../helpers/bpf';
import { fixtures, run, start, tempDir } from '../helpers/procs';
import { RawClient, startEchoServer, waitLine, pattern } from '../helpers/fixtures';
import { Tracer } from '../../agent/capture/tracer';
import { assertSameBytes } from '../helpers/bytes';

function streamLength(cap: Capture, key: string | undefined, dir: 'ingress' | 'egress'): number {
  if (!key) return -1;
  try {
    return cap.bytes(key, dir).length;
  } catch {
    return -1;
  }
}

function postEcho(port: number, body: Buffer, connection: 'close' | 'keep-alive'): Buffer {
  const head =
    `POST /echo HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/octet-stream\r\n` +
    `Content-Length: ${body.length}\r\nConnection: ${connection}\r\n\r\n`;
  return Buffer.concat([Buffer.from(head, 'latin1'), body]);
}

function getBytes(port: number, n: number): Buffer {
  return Buffer.from(`GET /bytes/${n} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: keep-alive\r\n\r\n`, 'latin1');
}

/** Tracepoint attachments of a process, as `bpftool perf list` reports them: {tracepoint, progId}. */
async function attachmentsOf(pid: number): Promise<{ tracepoint: string; progId: number }[]> {
  const { stdout } = await run('bpftool', ['-j', 'perf', 'list']);
  const rows = JSON.parse(stdout) as { pid: number; prog_id: number; tracepoint?: string }[];
  return rows.filter((r) => r.pid === pid).map((r) => ({ tracepoint: r.tracepoint ?? '', progId: r.prog_id }));
}

async function liveProgIds(): Promise<Set<number>> {
  const { stdout } = await run('bpftool', ['-j', 'prog', 'show']);
  return new Set((JSON.parse(stdout) as { id: number }[]).map((p) => p.id));
}

/** A temp dir, the echo server and the scripted client, both killed when the test ends. */
async function echoServerAndClient(t: TestContext) {
  const dir = tempDir();
  const server = await startEchoServer();
  const client = new RawClient();
  t.after(() => {
    server.proc.kill('SIGKILL');
    client.proc.kill('SIGKILL');
  });
  return { dir, server, client };
}

/** The 15 syscalls, each with an entry and an exit tracepoint. */
// The 30 syscall hooks, and sched_process_exec (which re-decides `comm` targets after an exec).
const EXPECTED_TRACEPOINTS = [
  ...['accept', 'accept4', 'connect', 'close', 'read', 'write', 'readv', 'writev', 'sendto', 'recvfrom', 'sendmsg',
    'recvmsg', 'sendmmsg', 'recvmmsg', 'sendfile64'].flatMap((s) => [`sys_enter_${s}`, `sys_exit_${s}`]),
  'sched_process_exec',
].sort();

test('1 MiB each way: both sides captured byte for byte, opposite roles, right addresses', async (t) => {
  if (!bpfAvailable(t)) return;
  const { dir, server, client } = await echoServerAndClient(t);
  const body = crypto.randomBytes(1 << 20);
  const request = postEcho(server.port, body, 'close');
  fs.writeFileSync(path.join(dir, 'req'), request);

  const cap = new Capture({ targets: { pids: [server.proc.pid, client.pid] } }).start();
  t.after(() => cap.stop());
  const clientPort = Number((await client.cmd(`connect 127.0.0.1 ${server.port}`, 'connected')).split(' ')[1]);
  await client.cmd(`send ${path.join(dir, 'req')}`, 'sent');
  await client.cmd(`recvall ${path.join(dir, 'resp')}`, 'eof', 30000);
  const response = fs.readFileSync(path.join(dir, 'resp'));
  assert.ok(response.subarray(response.length - body.length).equals(body), 'the server echoed the body');

  const srv = () => cap.connsOf(server.proc.pid)[0];
  const cli = () => cap.connsOf(client.pid)[0];
  await cap.waitFor('all four streams complete', () =>
    streamLength(cap, srv()?.conn.key, 'ingress') === request.length &&
    streamLength(cap, srv()?.conn.key, 'egress') === response.length &&
    streamLength(cap, cli()?.conn.key, 'egress') === request.length &&
    streamLength(cap, cli()?.conn.key, 'ingress') === response.length,
    15000,
  );
  await cap.waitFor('server close event', () => cap.closes.has(srv().conn.key));

  assert.equal(cap.connsOf(server.proc.pid).length, 1);
  assert.equal(cap.connsOf(client.pid).length, 1);
  const s = srv();
  const c = cli();
  assert.equal(s.role, 'server');
  assert.equal(s.source, 'accept');
  assert.equal(c.role, 'client');
  assert.equal(c.source, 'connect');
  assert.equal(s.family, 'ipv4');
  assert.deepEqual(s.local, { ip: '127.0.0.1', port: server.port });
  assert.deepEqual(s.remote, { ip: '127.0.0.1', port: clientPort });
  assert.deepEqual(c.local, { ip: '127.0.0.1', port: clientPort });
  assert.deepEqual(c.remote, { ip: '127.0.0.1', port: server.port });
  assert.notEqual(s.conn.key, c.conn.key);

  assertSameBytes(cap.bytes(s.conn.key, 'ingress'), request, 'server ingress');
  assertSameBytes(cap.bytes(c.conn.key, 'egress'), request, 'client egress');
  assertSameBytes(cap.bytes(s.conn.key, 'egress'), response, 'server egress');
  assertSameBytes(cap.bytes(c.conn.key, 'ingress'), response, 'client ingress');

  // 1 MiB cannot pass in one read: it arrives across many syscalls, each event within the limit.
  const serverReads = cap.dataEvents(s.conn.key, 'ingress');
  assert.ok(serverReads.length >= 16, `expected many read events, got ${serverReads.length}`);
  assert.ok(serverReads.every((e) => e.len <= 16384 && e.payload.length === e.len && e.syscall === 'read'));
  const closed = cap.closes.get(s.conn.key)!;
  assert.equal(closed.ingressBytes, BigInt(request.length));
  assert.equal(closed.egressBytes, BigInt(response.length));
  const stats = await cap.stop();
  assert.equal(stats.lostEvents, 0);
  assert.equal(stats.handoffDroppedRecords, 0);
  // Syscall tracepoints never miss an exit: every probe's entries and exits pair up.
  for (const [name, [entries, exits]] of Object.entries(stats.probes)) assert.equal(exits, entries, `probe ${name}`);
});

test('a keep-alive connection opened before the tracer started is captured after it starts', async (t) => {
  if (!bpfAvailable(t)) return;
  const { dir, server, client } = await echoServerAndClient(t);
  const [, portStr] = (await client.cmd(`connect 127.0.0.1 ${server.port}`, 'connected')).split(' ');
  const clientPort = Number(portStr);
  fs.writeFileSync(path.join(dir, 'req1'), getBytes(server.port, 100));
  await client.cmd(`send ${path.join(dir, 'req1')}`, 'sent');
  await client.cmd(`recvhttp ${path.join(dir, 'resp1')}`, 'response');

  const cap = new Capture({ targets: { pids: [server.proc.pid, client.pid] } }).start();
  t.after(() => cap.stop());
  const request2 = getBytes(server.port, 5000);
  fs.writeFileSync(path.join(dir, 'req2'), request2);
  await client.cmd(`send ${path.join(dir, 'req2')}`, 'sent');
  await client.cmd(`recvhttp ${path.join(dir, 'resp2')}`, 'response');
  const response2 = fs.readFileSync(path.join(dir, 'resp2'));
  assert.ok(response2.subarray(response2.length - 5000).equals(pattern(5000)));

  const srv = () => cap.connsOf(server.proc.pid)[0];
  const cli = () => cap.connsOf(client.pid)[0];
  await cap.waitFor('second exchange captured on both sides', () =>
    streamLength(cap, srv()?.conn.key, 'egress') === response2.length &&
    streamLength(cap, cli()?.conn.key, 'ingress') === response2.length,
  );
  assert.equal(cap.connsOf(server.proc.pid).length, 1);
  assert.equal(cap.connsOf(client.pid).length, 1);
  for (const o of [srv(), cli()]) {
    assert.equal(o.source, 'first_data');
    assert.equal(o.role, 'unknown', 'role of a pre-existing connection is inferred later, in user space');
  }
  // Addresses come from the kernel socket even though accept/connect were never seen.
  assert.deepEqual(srv().local, { ip: '127.0.0.1', port: server.port });
  assert.deepEqual(srv().remote, { ip: '127.0.0.1', port: clientPort });
  assert.deepEqual(cli().local, { ip: '127.0.0.1', port: clientPort });
  assert.deepEqual(cli().remote, { ip: '127.0.0.1', port: server.port });
  // The stream starts at the pickup: exactly the second request and response.
  assertSameBytes(cap.bytes(srv().conn.key, 'ingress'), request2, 'server ingress');
  assertSameBytes(cap.bytes(cli().conn.key, 'egress'), request2, 'client egress');
  assertSameBytes(cap.bytes(srv().conn.key, 'egress'), response2, 'server egress');
  assertSameBytes(cap.bytes(cli().conn.key, 'ingress'), response2, 'client ingress');
});

test('untargeted processes produce no events; targets changed at runtime take effect', async (t) => {
  if (!bpfAvailable(t)) return;
  const { dir, server, client } = await echoServerAndClient(t);
  const cap = new Capture({ targets: {} }).start();
  t.after(() => cap.stop());
  const req = (n: number) => {
    const f = path.join(dir, `req${n}`);
    fs.writeFileSync(f, getBytes(server.port, n));
    return f;
  };
  const exchange = async (n: number) => {
    await client.cmd(`send ${req(n)}`, 'sent');
    await client.cmd(`recvhttp ${path.join(dir, `resp${n}`)}`, 'response');
  };
  const ours = () => cap.events.filter((e) => e.conn.tgid === server.proc.pid || e.conn.tgid === client.pid);

  // Phase 1: nothing targeted.
  await client.cmd(`connect 127.0.0.1 ${server.port}`, 'connected');
  await exchange(10);
  await cap.settle();
  assert.equal(ours().length, 0, 'no events before any target is set');

  // Phase 2: the server becomes a target; the client stays untargeted.
  cap.tracer.setTargets({ pids: [server.proc.pid] });
  await exchange(20);
  const srv = () => cap.connsOf(server.proc.pid)[0];
  await cap.waitFor('server exchange', () => streamLength(cap, srv()?.conn.key, 'ingress') === getBytes(server.port, 20).length);
  await cap.settle();
  assertSameBytes(cap.bytes(srv().conn.key, 'ingress'), getBytes(server.port, 20), 'server ingress after targeting');
  assert.equal(cap.dataOf(client.pid).length, 0, 'the untargeted client produced no data events');
  assert.equal(cap.connsOf(client.pid).length, 0);

  // Phase 3: targets cleared at runtime: the next exchange is not captured.
  const before = ours().length;
  cap.tracer.setTargets({ pids: [] });
  await exchange(30);
  await cap.settle();
  assert.equal(ours().length, before, 'no events after the target was removed');
  assert.equal(cap.tracer.getTargets().pids?.length, 0);
});

test('fd reuse: close and reconnect on the same fd number gives two connection ids', async (t) => {
  if (!bpfAvailable(t)) return;
  const { dir, server, client } = await echoServerAndClient(t);
  const cap = new Capture({ targets: { pids: [client.pid] } }).start();
  t.after(() => cap.stop());
  const f = path.join(dir, 'req');
  fs.writeFileSync(f, getBytes(server.port, 64));
  const fds: number[] = [];
  for (let i = 0; i < 2; i++) {
    fds.push(Number((await client.cmd(`connect 127.0.0.1 ${server.port}`, 'connected')).split(' ')[2]));
    await client.cmd(`send ${f}`, 'sent');
    await client.cmd(`recvhttp ${path.join(dir, `resp${i}`)}`, 'response');
    await client.cmd('close', 'closed');
  }
  assert.equal(fds[0], fds[1], 'the kernel reused the fd number');
  await cap.waitFor('two connections closed', () => cap.connsOf(client.pid).filter((o) => cap.closes.has(o.conn.key)).length === 2);
  const conns = cap.connsOf(client.pid);
  assert.equal(conns.length, 2);
  assert.equal(conns[0].conn.fd, fds[0]);
  assert.equal(conns[1].conn.fd, fds[0]);
  assert.notEqual(conns[0].conn.key, conns[1].conn.key);
  assert.notEqual(conns[0].conn.generation, conns[1].conn.generation);
  // The process start time in the id is the kernel's (matches /proc/PID/stat starttime in ticks).
  const stat = fs.readFileSync(`/proc/${client.pid}/stat`, 'utf8');
  const startTicks = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
  const ticksPerSec = 100; // USER_HZ, fixed at 100 on Linux for /proc
  assert.equal(Number(conns[0].conn.procStartNs / BigInt(1e9 / ticksPerSec)), startTicks);
  for (const o of conns) {
    const expected = getBytes(server.port, 64);
    assertSameBytes(cap.bytes(o.conn.key, 'egress'), expected, `egress of ${o.conn.key}`);
  }
});

test('stop() detaches every program', async (t) => {
  if (!bpfAvailable(t)) return;
  const tracer = new Tracer({ targets: {} }).start();
  t.after(() => tracer.stop());
  const attached = await attachmentsOf(process.pid);
  assert.deepEqual(attached.map((a) => a.tracepoint).sort(), EXPECTED_TRACEPOINTS);
  const started = Date.now();
  const stopping = tracer.stop();
  // Detaching runs off the JavaScript thread: timers keep firing meanwhile.
  let ticks = 0;
  const timer = setInterval(() => ticks++, 10);
  await stopping;
  clearInterval(timer);
  assert.ok(ticks > 0 || Date.now() - started < 20, 'the event loop ran while stopping');
  assert.deepEqual(await attachmentsOf(process.pid), [], 'no tracepoint attachment left');
  await waitGone(attached.map((a) => a.progId));
});

test('kill -9 of the agent leaves nothing attached', async (t) => {
  if (!bpfAvailable(t)) return;
  const agent = start(process.execPath, ['--import', 'tsx', path.join(fixtures, 'agent-child.ts')]);
  t.after(() => agent.kill('SIGKILL'));
  await waitLine(agent, 'ready', 20000);
  const attached = await attachmentsOf(agent.pid);
  assert.deepEqual(attached.map((a) => a.tracepoint).sort(), EXPECTED_TRACEPOINTS);
  agent.child.kill('SIGKILL');
  await agent.exited;
  assert.deepEqual(await attachmentsOf(agent.pid), []);
  await waitGone(attached.map((a) => a.progId));
});

async function waitGone(ids: number[]): Promise<void> {
  // Programs are freed once their last fd is closed; the kernel may defer that by an RCU period.
  const deadline = Date.now() + 5000;
  for (;;) {
    const live = await liveProgIds();
    const left = ids.filter((id) => live.has(id));
    if (left.length === 0) return;
    if (Date.now() > deadline) assert.fail(`programs still loaded: ${left.join(', ')}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('tiny ring buffer under load: losses are counted, captured + lost = what the server did', async (t) => {
  if (!bpfAvailable(t)) return;
  const server = await startEchoServer();
  t.after(() => server.proc.kill('SIGKILL'));
  // One 16 KiB ring drained every 500 ms, never woken early: it must overflow under wrk.
  const cap = new Capture({
    targets: { pids: [server.proc.pid] },
    ringBufferBytes: 16384,
    maxPayloadBytes: 1024,
    pollIntervalMs: 500,
    wakeupThresholdBytes: 16384,
  }).start();
  t.after(() => cap.stop());
  await run('wrk', ['-t1', '-c4', '-d2s', `http://127.0.0.1:${server.port}/bytes/3000`]);
  const did = await server.stats();
  await cap.settle(700);
  const stats = await cap.stop();
  const data = cap.dataOf(server.proc.pid);
  const capturedBytes = data.reduce((n, e) => n + e.len, 0);
  assert.ok(did.requests > 100, `wrk should have made many requests, made ${did.requests}`);
  assert.ok(stats.lostEvents > 0, 'the tiny ring must overflow');
  assert.equal(stats.handoffDroppedRecords, 0);
  assert.equal(stats.truncatedCalls, 0);
  assert.equal(
    capturedBytes + stats.lostBytes,
    did.bytesRead + did.bytesWritten,
    `captured ${capturedBytes} + lost ${stats.lostBytes} vs server's ${did.bytesRead} read + ${did.bytesWritten} written`,
  );
});

test('a JavaScript thread that falls behind: batches beyond maxPendingRecords are dropped and counted, never blocking', async (t) => {
  if (!bpfAvailable(t)) return;
  const server = await startEchoServer();
  t.after(() => server.proc.kill('SIGKILL'));
  const cap = new Capture({ targets: { pids: [server.proc.pid] }, pollIntervalMs: 10, maxPendingRecords: 4, maxPendingBatches: 65536 }).start();
  t.after(() => cap.stop());
  const load = start('wrk', ['-t1', '-c4', '-d2s', `http://127.0.0.1:${server.port}/bytes/100`]);
  // The batch queue alone would hold everything (65536 batches): only the record bound drops.
  // Block this thread while the server is busy: the reader thread keeps draining the ring every
  // 10 ms, queues one batch, and must drop the rest instead of waiting for us.
  await new Promise((r) => setTimeout(r, 300));
  const until = Date.now() + 1000;
  while (Date.now() < until) {
    /* busy */
  }
  await load.exited;
  await cap.settle(300);
  const stats = await cap.stop();
  assert.ok(stats.handoffDroppedRecords > 0, 'batches were dropped while JavaScript was blocked');
  assert.ok(stats.handoffDroppedBatches > 0);
  assert.equal(stats.lostEvents, 0, 'the kernel side never waited or overflowed');
  // Every record is either delivered (and decoded) or counted as dropped.
  assert.equal(stats.recordsDecoded, stats.recordsHandedOff);
});

test('per-event limit and per-call cap: slices of maxPayloadBytes, the rest reported as a length', async (t) => {
  if (!bpfAvailable(t)) return;
  const { dir, server, client } = await echoServerAndClient(t);
  // 1000-byte slices, at most 3 per syscall: a large read yields 3 slices and one length-only rest.
  const cap = new Capture({ targets: { pids: [server.proc.pid] }, maxPayloadBytes: 1000, maxChunksPerCall: 3 }).start();
  t.after(() => cap.stop());
  const body = crypto.randomBytes(200_000);
  const request = postEcho(server.port, body, 'close');
  fs.writeFileSync(path.join(dir, 'req'), request);
  await client.cmd(`connect 127.0.0.1 ${server.port}`, 'connected');
  await client.cmd(`send ${path.join(dir, 'req')}`, 'sent');
  await client.cmd(`recvall ${path.join(dir, 'resp')}`, 'eof', 20000);
  const srv = () => cap.connsOf(server.proc.pid)[0];
  await cap.waitFor('server close', () => srv() !== undefined && cap.closes.has(srv().conn.key));
  await cap.settle();
  const events = cap.dataEvents(srv().conn.key, 'ingress');
  // Each read syscall: full slices of 1000 bytes, then (if the read was larger) one truncated event.
  const byCall = new Map<bigint, typeof events>();
  for (const e of events) byCall.set(e.tsNs, [...(byCall.get(e.tsNs) ?? []), e]);
  let truncatedBytes = 0;
  let truncatedCalls = 0;
  for (const call of byCall.values()) {
    const captured = call.filter((e) => !e.truncated);
    assert.ok(captured.length <= 3);
    assert.ok(captured.every((e) => e.payload.length === e.len && e.len <= 1000));
    const rest = call.filter((e) => e.truncated);
    assert.ok(rest.length <= 1);
    if (rest.length === 1) {
      assert.equal(captured.length, 3);
      assert.equal(rest[0].payload.length, 0);
      truncatedBytes += rest[0].len;
      truncatedCalls++;
    }
  }
  assert.ok(truncatedCalls > 0, 'some read was larger than 3000 bytes');
  // The stream: captured bytes are the request's bytes at their positions; holes are 'uncaptured'.
  let total = 0;
  for (const p of cap.pieces(srv().conn.key, 'ingress')) {
    if (p.kind === 'data') assert.ok(p.data.equals(request.subarray(p.pos, p.pos + p.data.length)));
    else assert.equal(p.reason, 'uncaptured');
    total += p.kind === 'data' ? p.data.length : p.len;
  }
  assert.equal(total, request.length);
  const stats = await cap.stop();
  assert.equal(stats.truncatedCalls, truncatedCalls + countTruncatedEgress(cap, srv().conn.key));
  assert.ok(stats.truncatedBytes >= truncatedBytes);
});

function countTruncatedEgress(cap: Capture, key: string): number {
  const calls = new Set(cap.dataEvents(key, 'egress').filter((e) => e.truncated).map((e) => e.tsNs));
  return calls.size;
}

test('the agent mounts tracefs when it is not mounted', async (t) => {
  if (!bpfAvailable(t)) return;
  const mounted = () => fs.readFileSync('/proc/self/mounts', 'utf8').split('\n').some((l) => l.split(' ')[1] === '/sys/kernel/tracing');
  if (mounted()) await run('umount', ['/sys/kernel/tracing']);
  assert.equal(mounted(), false, 'tracefs unmounted for the test');
  assert.equal(fs.existsSync('/sys/kernel/tracing/events/syscalls'), false);
  const tracer = new Tracer({ targets: {} }).start();
  try {
    assert.equal(mounted(), true, 'Tracer.start() mounted tracefs');
    assert.ok(fs.existsSync('/sys/kernel/tracing/events/syscalls/sys_enter_read'));
    assert.equal((await attachmentsOf(process.pid)).length, EXPECTED_TRACEPOINTS.length);
  } finally {
    await tracer.stop();
  }
});

test('without privileges, start() fails with SOCKTAP_PERMISSION and says what to do', async (t) => {
  if (!bpfAvailable(t)) return;
  // Make sure tracefs is mounted, so the failure is the privilege, not the mount.
  await new Tracer({ targets: {} }).start().stop();
  const child = start(process.execPath, ['--import', 'tsx', path.join(fixtures, 'agent-child.ts')], {
    uid: 65534,
    gid: 65534,
  });
  assert.equal(await child.exited, 3, child.stderr());
  const { error } = JSON.parse(child.stdout()) as { error: { name: string; code: string; message: string } };
  assert.equal(error.name, 'SocktapError');
  assert.equal(error.code, 'SOCKTAP_PERMISSION');
  assert.match(error.message, /run socktap as root, or with CAP_BPF, CAP_PERFMON/);
});
