/**
 * HarSink: the file validates against the HAR 1.2 schema with exact entries (GET with a query,
 * POST JSON, binary bodies, incomplete, redacted headers), stays valid with zero entries and after
 * every batch, survives SIGKILL of the writing process, recovers from a write torn at any byte,
 * and counts what the queue refuses.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { HarSink, type HarSinkOptions } from '../../agent/sinks/har-sink';
import { harEntry, toMillisIso, type HarEntry } from '../../agent/sinks/har/har-entry';
import { batchText, harHead, HAR_TAIL, recoverHar } from '../../agent/sinks/har/har-file';
import { agentVersion } from '../../agent/sinks/agent-version';
import type { ExchangeRecord } from '../../agent/pipeline/record';
import { exchangeRecord } from '../helpers/exchange-records';
import { parseHar } from '../helpers/har-schema';
import { tempDir } from '../helpers/procs';

const dir = tempDir('socktap-har-');
let fileNo = 0;

function memoryLog() {
  const lines: string[] = [];
  return { lines, log: { info: (m: string) => lines.push(`info ${m}`), warn: (m: string) => lines.push(`warn ${m}`) } };
}

async function startedSink(extra: Partial<HarSinkOptions> = {}) {
  const file = path.join(dir, `t${fileNo++}.har`);
  const mem = memoryLog();
  const sink = new HarSink({ path: file, log: mem.log, ...extra });
  await sink.start();
  return { sink, file, lines: mem.lines };
}

async function until(cond: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const PROCESS = { pid: 4242, comm: 'nginx', container_id: null, pod: null, namespace: null, service: null };

const getWithQuery = exchangeRecord({
  request: {
    target: '/api/orders?x=1&q=a%20b+c&flag&x=2',
    headers: [['Host', 'api.local:8080'], ['User-Agent', 'curl/8.5.0'], ['Authorization', '[REDACTED]'], ['Cookie', '[REDACTED]']],
  },
  response: { headers: [['Content-Type', 'application/json'], ['Set-Cookie', '[REDACTED]']] },
});

const postJson = exchangeRecord({
  ts: '2026-11-24T20:34:48.000999999Z',
  duration_ns: 2_500_000,
  direction: 'egress',
  tls: true,
  process: { ...PROCESS, pid: 7, comm: 'node' },
  connection: { id: '7:9:1', local: { ip: '10.0.0.5', port: 40000 }, remote: { ip: '10.0.0.9', port: 443 } },
  request: { method: 'POST', target: '/v1/orders', headers: [['Content-Type', 'application/json']], body: '{"id":1}', body_size: 8 },
  response: {
    status: 201,
    reason: 'Created',
    headers: [['Content-Type', 'application/json'], ['Location', '/v1/orders/1'], ['Content-Encoding', 'gzip']],
    body: '{"id":1,"ok":true}',
    body_size: 18,
    content_decoded: true,
  },
});

const bytes = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0xff, 0x00, 0x10]).toString('base64');
const binary = exchangeRecord({
  request: { method: 'PUT', target: '/img', headers: [], body: bytes, body_encoding: 'base64', body_size: 70_000, body_truncated: true },
  response: { headers: [['Content-Type', 'image/png']], body: bytes, body_encoding: 'base64', body_size: 7 },
});

const incomplete = exchangeRecord({ response: null, incomplete: 'closed', duration_ns: 1_000_000 });

const ipv6 = exchangeRecord({
  connection: { id: '1:2:3', local: { ip: '::1', port: 8080 }, remote: { ip: '::1', port: 50000 } },
  request: { target: '/', headers: [] },
});

test('entries: GET with a query, POST JSON, binary bodies, incomplete, IPv6 without Host; the file validates as HAR 1.2', async () => {
  const { sink, file } = await startedSink();
  for (const r of [getWithQuery, postJson, binary, incomplete, ipv6]) sink.offer(r);
  await sink.close();
  assert.deepEqual(sink.stats(), { sent: 5, dropped: 0, queued: 0 });

  const har = parseHar(fs.readFileSync(file, 'utf8'));
  assert.equal(har.log.version, '1.2');
  assert.deepEqual(har.log.creator, { name: 'socktap', version: agentVersion() });
  const [get, post, bin, inc, v6] = har.log.entries as unknown as HarEntry[];

  assert.deepEqual(get, {
    startedDateTime: '2026-11-24T20:34:47.123Z',
    time: 0.182,
    request: {
      method: 'GET',
      url: 'http://api.local:8080/api/orders?x=1&q=a%20b+c&flag&x=2',
      httpVersion: 'HTTP/1.1',
      cookies: [],
      headers: [
        { name: 'Host', value: 'api.local:8080' },
        { name: 'User-Agent', value: 'curl/8.5.0' },
        { name: 'Authorization', value: '[REDACTED]' },
        { name: 'Cookie', value: '[REDACTED]' },
      ],
      queryString: [
        { name: 'x', value: '1' },
        { name: 'q', value: 'a b c' },
        { name: 'flag', value: '' },
        { name: 'x', value: '2' },
      ],
      headersSize: -1,
      bodySize: 0,
    },
    response: {
      status: 200,
      statusText: 'OK',
      httpVersion: 'HTTP/1.1',
      cookies: [],
      headers: [
        { name: 'Content-Type', value: 'application/json' },
        { name: 'Set-Cookie', value: '[REDACTED]' },
      ],
      content: { size: 2, mimeType: 'application/json', text: '[]' },
      redirectURL: '',
      headersSize: -1,
      bodySize: 2,
    },
    cache: {},
    timings: { blocked: -1, dns: -1, connect: -1, ssl: -1, send: 0, wait: 0.182, receive: 0 },
    serverIPAddress: '127.0.0.1',
    connection: '4242:7:1732480487',
    _socktap: { ts: '2026-11-24T20:34:47.123456789Z', duration_ns: 182_000, direction: 'ingress', tls: false, process: PROCESS },
  });

  assert.deepEqual(post, {
    startedDateTime: '2026-11-24T20:34:48.000Z',
    time: 2.5,
    request: {
      method: 'POST',
      url: 'https://10.0.0.9/v1/orders',
      httpVersion: 'HTTP/1.1',
      cookies: [],
      headers: [{ name: 'Content-Type', value: 'application/json' }],
      queryString: [],
      postData: { mimeType: 'application/json', text: '{"id":1}' },
      headersSize: -1,
      bodySize: 8,
    },
    response: {
      status: 201,
      statusText: 'Created',
      httpVersion: 'HTTP/1.1',
      cookies: [],
      headers: [
        { name: 'Content-Type', value: 'application/json' },
        { name: 'Location', value: '/v1/orders/1' },
        { name: 'Content-Encoding', value: 'gzip' },
      ],
      // Decoded by socktap: content.size is the decoded size, the wire size is unknown (-1).
      content: { size: 18, mimeType: 'application/json', text: '{"id":1,"ok":true}' },
      redirectURL: '/v1/orders/1',
      headersSize: -1,
      bodySize: -1,
    },
    cache: {},
    timings: { blocked: -1, dns: -1, connect: -1, ssl: -1, send: 0, wait: 2.5, receive: 0 },
    serverIPAddress: '10.0.0.9',
    connection: '7:9:1',
    _socktap: { ts: '2026-11-24T20:34:48.000999999Z', duration_ns: 2_500_000, direction: 'egress', tls: true, process: { ...PROCESS, pid: 7, comm: 'node' } },
  });

  assert.deepEqual(bin.request.postData, { mimeType: 'x-unknown', text: bytes, _encoding: 'base64', _truncated: true });
  assert.equal(bin.request.bodySize, 70_000);
  assert.deepEqual(bin.response.content, { size: 7, mimeType: 'image/png', text: bytes, encoding: 'base64' });
  assert.deepEqual(Buffer.from(bin.response.content.text!, 'base64'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0xff, 0x00, 0x10]));

  assert.equal(inc._incomplete, 'closed');
  assert.equal(inc.time, 1);
  assert.deepEqual(inc.response, {
    status: 0,
    statusText: '',
    httpVersion: '',
    cookies: [],
    headers: [],
    content: { size: 0, mimeType: 'x-unknown' },
    redirectURL: '',
    headersSize: -1,
    bodySize: -1,
  });

  assert.equal(v6.request.url, 'http://[::1]:8080/');
  assert.equal(v6.serverIPAddress, '::1');
  assert.equal(get._incomplete, undefined);
});

test('zero entries: the file is valid HAR right after start and after close', async () => {
  const { sink, file } = await startedSink();
  assert.deepEqual(parseHar(fs.readFileSync(file, 'utf8')).log.entries, []);
  await sink.close();
  const har = parseHar(fs.readFileSync(file, 'utf8'));
  assert.deepEqual(har.log.entries, []);
  assert.deepEqual(har.log.pages, []);
});

test('an existing file is replaced, not appended to', async () => {
  const file = path.join(dir, 'existing.har');
  fs.writeFileSync(file, 'x'.repeat(10_000));
  const sink = new HarSink({ path: file, log: memoryLog().log });
  await sink.start();
  sink.offer(getWithQuery);
  await sink.close();
  assert.equal(parseHar(fs.readFileSync(file, 'utf8')).log.entries.length, 1);
});

test('the file is valid HAR after every batch, before close', async () => {
  const { sink, file } = await startedSink({ batchSize: 3 });
  for (let round = 1; round <= 4; round++) {
    for (let i = 0; i < round; i++) sink.offer(exchangeRecord({ request: { target: `/r${round}/${i}` } }));
    const expected = (round * (round + 1)) / 2;
    await until(() => sink.stats().sent === expected, `${expected} sent`);
    const urls = parseHar(fs.readFileSync(file, 'utf8')).log.entries.map((e) => new URL(e.request.url).pathname);
    assert.equal(urls.length, expected);
    assert.equal(urls.at(-1), `/r${round}/${round - 1}`);
  }
  await sink.close();
});

test('SIGKILL of the writing process leaves a valid HAR file with every delivered entry', async () => {
  const file = path.join(dir, 'killed.har');
  const script = path.join(dir, 'kill-child.ts');
  const root = path.resolve(__dirname, '..', '..');
  fs.writeFileSync(
    script,
    [
      `import { HarSink } from ${JSON.stringify(path.join(root, 'agent/sinks/har-sink'))};`,
      `import { exchangeRecord } from ${JSON.stringify(path.join(root, 'test/helpers/exchange-records'))};`,
      `const sink = new HarSink({ path: ${JSON.stringify(file)}, log: console, batchSize: 7 });`,
      'sink.start().then(() => {',
      '  for (let i = 0; i < 50; i++) sink.offer(exchangeRecord({ request: { target: `/k/${i}` } }));',
      '  const t = setInterval(() => {',
      '    if (sink.stats().sent < 50) return;',
      '    clearInterval(t);',
      "    process.kill(process.pid, 'SIGKILL');",
      '  }, 1);',
      '});',
    ].join('\n'),
  );
  const child = spawn(process.execPath, ['--import', 'tsx', script], { stdio: ['ignore', 'ignore', 'inherit'], cwd: root });
  const signal = await new Promise((resolve) => child.on('exit', (_code, sig) => resolve(sig)));
  assert.equal(signal, 'SIGKILL');
  const urls = parseHar(fs.readFileSync(file, 'utf8')).log.entries.map((e) => new URL(e.request.url).pathname);
  assert.deepEqual(urls, Array.from({ length: 50 }, (_, i) => `/k/${i}`));
});

/**
 * The file as it is after a kill `cut` bytes into the write of batch `torn` (0-based), earlier
 * batches whole: the positional write has replaced only the first `cut` bytes at the tail's offset.
 */
function fileKilledDuring(batches: HarEntry[][], torn: number, cut: number): { file: string; whole: number } {
  let file = Buffer.from(harHead({ name: 'socktap', version: '1' }) + HAR_TAIL);
  let tailAt = file.length - HAR_TAIL.length;
  let whole = 0;
  for (let b = 0; b <= torn; b++) {
    const { text, entriesText } = batchText(batches[b], b === 0);
    const bytes = Buffer.from(text);
    const written = b === torn ? bytes.subarray(0, cut) : bytes;
    const grown = Buffer.alloc(Math.max(file.length, tailAt + written.length));
    file.copy(grown);
    written.copy(grown, tailAt);
    file = grown;
    tailAt += Buffer.byteLength(entriesText);
    if (b < torn) whole += batches[b].length;
  }
  return { file: file.toString('utf8'), whole };
}

/** Entries of a recovered file: validated as HAR 1.2, returned as written (key order kept). */
function recoveredEntries(file: string): string[] {
  const text = recoverHar(file);
  assert.ok(text !== undefined, 'head line intact');
  parseHar(text);
  return (JSON.parse(text).log.entries as unknown[]).map((e) => JSON.stringify(e));
}

test('recoverHar: a write torn at any byte recovers to valid HAR with the whole entries, in order', () => {
  const entries = [getWithQuery, postJson, binary, incomplete, ipv6].map(harEntry);
  const batches = [[entries[0], entries[1]], [entries[2]], [entries[3], entries[4]]];
  const all = batches.flat().map((e) => JSON.stringify(e));
  for (let torn = 0; torn < batches.length; torn++) {
    const length = Buffer.byteLength(batchText(batches[torn], torn === 0).text);
    for (let cut = 0; cut <= length; cut++) {
      const { file, whole } = fileKilledDuring(batches, torn, cut);
      const recovered = recoveredEntries(file);
      assert.ok(recovered.length >= whole && recovered.length <= whole + batches[torn].length, `torn ${torn} cut ${cut}`);
      assert.deepEqual(recovered, all.slice(0, recovered.length), `torn ${torn} cut ${cut}`);
      // The write finished: everything is there, and the file needed no repair.
      if (cut === length) assert.equal(recovered.length, whole + batches[torn].length);
    }
  }
  assert.equal(recoverHar('{"log":{"versi'), undefined);
});

test('recoverHar property: random records in random batches, killed at a random byte', () => {
  const recordArb = fc.record({
    target: fc.stringMatching(/^\/[a-z0-9/?=&%+]{0,20}$/),
    body: fc.string({ unit: 'binary', maxLength: 40 }),
    status: fc.integer({ min: 100, max: 599 }),
    header: fc.string({ unit: 'binary', maxLength: 20 }),
    incomplete: fc.boolean(),
  });
  fc.assert(
    fc.property(fc.array(fc.array(recordArb, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 4 }), fc.nat(), fc.nat(), (spec, tornSeed, cutSeed) => {
      const batches = spec.map((b) =>
        b.map((r) =>
          harEntry(
            exchangeRecord({
              request: { target: r.target, body: r.body, body_size: Buffer.byteLength(r.body), headers: [['X-H', r.header]] },
              response: r.incomplete ? null : { status: r.status },
              incomplete: r.incomplete ? 'timeout' : undefined,
            }) as ExchangeRecord,
          ),
        ),
      );
      const torn = tornSeed % batches.length;
      const cut = cutSeed % (Buffer.byteLength(batchText(batches[torn], torn === 0).text) + 1);
      const { file, whole } = fileKilledDuring(batches, torn, cut);
      const recovered = recoveredEntries(file);
      const all = batches.flat().map((e) => JSON.stringify(e));
      assert.ok(recovered.length >= whole);
      assert.deepEqual(recovered, all.slice(0, recovered.length));
    }),
    { numRuns: 300 },
  );
});

test('queue overflow: records beyond queueSize are counted as dropped, the rest written', async () => {
  const { sink, file } = await startedSink({ queueSize: 2 });
  for (let i = 0; i < 6; i++) sink.offer(exchangeRecord({ request: { target: `/o/${i}` } }));
  assert.deepEqual(sink.stats(), { sent: 0, dropped: 4, queued: 2 });
  await sink.close();
  assert.deepEqual(sink.stats(), { sent: 2, dropped: 4, queued: 0 });
  const urls = parseHar(fs.readFileSync(file, 'utf8')).log.entries.map((e) => new URL(e.request.url).pathname);
  assert.deepEqual(urls, ['/o/0', '/o/1']);
});

test('a file that cannot be created: start rejects with the path; queued records are counted at close', async () => {
  const file = path.join(dir, 'no-such-dir', 'x.har');
  const sink = new HarSink({ path: file, log: memoryLog().log });
  await assert.rejects(sink.start(), (err: Error) => err.message.startsWith(`har: cannot create ${file}: ENOENT`));
  sink.offer(getWithQuery);
  await sink.close();
  assert.deepEqual(sink.stats(), { sent: 0, dropped: 1, queued: 0 });
  assert.equal(fs.existsSync(file), false);
});

test('records offered before start() resolves wait and are written once the file is open', async () => {
  const file = path.join(dir, 'early.har');
  const sink = new HarSink({ path: file, log: memoryLog().log });
  sink.offer(getWithQuery);
  const started = sink.start();
  sink.offer(postJson);
  await started;
  await sink.close();
  assert.equal(parseHar(fs.readFileSync(file, 'utf8')).log.entries.length, 2);
});

test('toMillisIso keeps milliseconds, truncating (never rounding into the next second)', () => {
  assert.equal(toMillisIso('2026-11-24T20:34:47.999999999Z'), '2026-11-24T20:34:47.999Z');
  assert.equal(toMillisIso('2026-11-24T20:34:47.1Z'), '2026-11-24T20:34:47.100Z');
  assert.equal(toMillisIso('2026-11-24T20:34:47Z'), '2026-11-24T20:34:47.000Z');
});

test('a write that fails halfway (disk full): that batch counted as dropped, file repaired, later batches written', async () => {
  const { sink, file, lines } = await startedSink();
  sink.offer(exchangeRecord({ request: { target: '/before' } }));
  await until(() => sink.stats().sent === 1, 'first batch');

  // The next write puts half its bytes on disk and then fails, as a filling disk does.
  const handle = (sink as unknown as { file: import('node:fs/promises').FileHandle }).file;
  const realWrite = handle.write.bind(handle) as (b: Buffer, o: number, l: number, p: number) => Promise<{ bytesWritten: number }>;
  let failNext = true;
  (handle as unknown as { write: typeof realWrite }).write = async (buf, offset, length, position) => {
    if (!failNext) return realWrite(buf, offset, length, position);
    failNext = false;
    await realWrite(buf, offset, Math.floor(length / 2), position);
    throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
  };
  sink.offer(exchangeRecord({ request: { target: '/lost/0' } }));
  sink.offer(exchangeRecord({ request: { target: '/lost/1' } }));
  await until(() => sink.stats().dropped === 2, 'the failed batch dropped');
  assert.deepEqual(lines, [`warn har: writing ${file} failed (ENOSPC); 2 exchanges dropped, later ones are dropped and counted until writes succeed`]);
  const repaired = parseHar(fs.readFileSync(file, 'utf8')).log.entries.map((e) => new URL(e.request.url).pathname);
  assert.deepEqual(repaired, ['/before']);

  sink.offer(exchangeRecord({ request: { target: '/after' } }));
  await sink.close();
  assert.deepEqual(sink.stats(), { sent: 2, dropped: 2, queued: 0 });
  assert.equal(lines[1], `info har: writing ${file} works again`);
  const urls = parseHar(fs.readFileSync(file, 'utf8')).log.entries.map((e) => new URL(e.request.url).pathname);
  assert.deepEqual(urls, ['/before', '/after']);
});
