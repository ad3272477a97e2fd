/**
 * LineSink: records are encoded when offered, and what waits is bytes. Bounds by lines and by
 * bytes, drops counted, whole lines only, one write at a time, and close accounting for the rest.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LineSink, type LineSinkOptions } from '../../agent/sinks';
import type { ExchangeRecord } from '../../agent/pipeline/record';
import { RELEASE_AFTER_FILLS, toJsonLine } from '../../agent/pipeline/record-json';
import { exchangeRecord } from '../helpers/exchange-records';

/** Not ready until `open()`; each write is recorded, and can be made to fail or to hang. */
class TestLineSink extends LineSink {
  readonly name = 'test';
  readonly writes: string[] = [];
  isReady = false;
  failNext = false;
  inFlight = 0;
  maxInFlight = 0;
  constructor(options: LineSinkOptions) {
    super(options);
  }
  protected override ready(): boolean {
    return this.isReady;
  }
  open(): void {
    this.isReady = true;
    this.kick();
  }
  protected async write(chunk: Buffer): Promise<void> {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    // The chunk must stay valid until the write settles: read it only after a turn.
    await new Promise((r) => setImmediate(r));
    this.inFlight--;
    if (this.failNext) {
      this.failNext = false;
      throw new Error('EPIPE');
    }
    this.writes.push(chunk.toString('utf8'));
  }
  protected onDeliveryError(): void {}
  protected async shutdown(): Promise<void> {}
}

const rec = (i: number, body = ''): ExchangeRecord => exchangeRecord({ request: { target: `/r/${i}` }, response: { body } });
const settle = async (turns = 4) => {
  for (let i = 0; i < turns; i++) await new Promise((r) => setImmediate(r));
};
const lines = (s: TestLineSink) => s.writes.join('').split('\n').filter((l) => l !== '');

test('records become JSON lines in order, exactly toJsonLine, one write at a time', async () => {
  const sink = new TestLineSink({ queueSize: 100 });
  sink.open();
  for (let i = 0; i < 3; i++) sink.offer(rec(i));
  await settle(1);
  // Offered while the first write is in flight: they wait for it, then go together.
  for (let i = 3; i < 6; i++) sink.offer(rec(i));
  await settle(8);
  assert.deepEqual(lines(sink), [0, 1, 2, 3, 4, 5].map((i) => toJsonLine(rec(i))));
  assert.equal(sink.writes.length, 2);
  assert.equal(sink.maxInFlight, 1);
  assert.ok(sink.writes.every((w) => w.endsWith('\n')), 'every write ends with a whole line');
  assert.deepEqual(sink.stats(), { sent: 6, dropped: 0, queued: 0 });
});

test('the line count bounds what waits; the excess is dropped and counted', async () => {
  const sink = new TestLineSink({ queueSize: 2 });
  for (let i = 0; i < 5; i++) sink.offer(rec(i));
  assert.deepEqual(sink.stats(), { sent: 0, dropped: 3, queued: 2 });
  sink.open();
  await settle();
  assert.deepEqual(lines(sink).map((l) => JSON.parse(l).request.target), ['/r/0', '/r/1']);
  assert.deepEqual(sink.stats(), { sent: 2, dropped: 3, queued: 0 });
});

test('the byte budget drops what would exceed it, but an empty backlog takes any line', async () => {
  const one = toJsonLine(rec(0, 'x'.repeat(10_000))).length + 1;
  const sink = new TestLineSink({ queueSize: 1000, queueBytes: one * 2 });
  for (let i = 0; i < 4; i++) sink.offer(rec(i, 'x'.repeat(10_000)));
  assert.deepEqual(sink.stats(), { sent: 0, dropped: 2, queued: 2 });
  const tiny = new TestLineSink({ queueSize: 10, queueBytes: 100 });
  tiny.offer(rec(0, 'x'.repeat(5000)));
  tiny.offer(rec(1));
  assert.deepEqual(tiny.stats(), { sent: 0, dropped: 1, queued: 1 });
  sink.open();
  tiny.open();
  await settle();
  assert.equal(lines(sink).length, 2);
  assert.equal(JSON.parse(lines(tiny)[0]!).response.body.length, 5000);
});

test('a failed write counts its lines as dropped and the next lines still go', async () => {
  const sink = new TestLineSink({ queueSize: 100 });
  sink.failNext = true;
  for (let i = 0; i < 3; i++) sink.offer(rec(i));
  sink.open();
  await settle();
  sink.offer(rec(3));
  await settle();
  assert.deepEqual(lines(sink).map((l) => JSON.parse(l).request.target), ['/r/3']);
  assert.deepEqual(sink.stats(), { sent: 1, dropped: 3, queued: 0 });
});

test('a formatter that throws costs only its record; offer never throws', async () => {
  const sink = new TestLineSink({
    queueSize: 100,
    format: (r) => {
      if (r.request.target === '/r/1') throw new Error('bad record');
      return `line ${r.request.target}`;
    },
  });
  for (let i = 0; i < 3; i++) sink.offer(rec(i));
  sink.open();
  await settle();
  assert.deepEqual(lines(sink), ['line /r/0', 'line /r/2']);
  assert.deepEqual(sink.stats(), { sent: 2, dropped: 1, queued: 0 });
});

test('close delivers what waits when it can, else counts it dropped; later offers are dropped', async () => {
  const open = new TestLineSink({ queueSize: 100 });
  open.isReady = true;
  for (let i = 0; i < 3; i++) open.offer(rec(i));
  await open.close(1000);
  assert.deepEqual(open.stats(), { sent: 3, dropped: 0, queued: 0 });
  open.offer(rec(9));
  assert.deepEqual(open.stats(), { sent: 3, dropped: 1, queued: 0 });

  const away = new TestLineSink({ queueSize: 100 });
  for (let i = 0; i < 3; i++) away.offer(rec(i));
  await away.close(20);
  assert.deepEqual(away.stats(), { sent: 0, dropped: 3, queued: 0 });
});

test('a backlog larger than the kept size is released once written and followed by RELEASE_AFTER_FILLS small writes', async () => {
  const sink = new TestLineSink({ queueSize: 100_000 });
  const body = 'y'.repeat(64 * 1024);
  for (let i = 0; i < 100; i++) sink.offer(rec(i, body)); // about 6.5 MB waiting
  sink.open();
  await settle();
  const sizes = () => ['filling', 'writing'].map((k) => ((sink as unknown as Record<string, { buf: Buffer }>)[k]!.buf.length));
  assert.ok(sizes().some((n) => n > 4 << 20), `the backlog's buffer grew, got ${sizes()}`);
  // The two buffers take turns: each is filled (and reset) every other write.
  for (let i = 0; i < 2 * RELEASE_AFTER_FILLS + 1; i++) {
    sink.offer(rec(100 + i));
    await settle();
  }
  assert.ok(sizes().every((n) => n <= 4 << 20), `buffers back to a small size, got ${sizes()}`);
  assert.deepEqual(sink.stats(), { sent: 101 + 2 * RELEASE_AFTER_FILLS, dropped: 0, queued: 0 });
});

/** Lines as the fast path hands them over: whole lines, each ending in a newline, in one buffer. */
const block = (from: number, n: number, body = '') => Buffer.from(Array.from({ length: n }, (_, k) => `${toJsonLine(rec(from + k, body))}\n`).join(''));

test('offerLines: lines written elsewhere queue with offered records, in order, under the same bounds', async () => {
  const sink = new TestLineSink({ queueSize: 5 });
  assert.equal(sink.takesJsonLines, true);
  sink.offer(rec(0));
  sink.offerLines(block(1, 2), 2);
  // Three more would pass the line bound: the two that fit are kept, one is dropped, whole.
  sink.offerLines(block(3, 3), 3);
  assert.deepEqual(sink.stats(), { sent: 0, dropped: 1, queued: 5 });
  sink.open();
  await settle();
  assert.deepEqual(lines(sink), [0, 1, 2, 3, 4].map((i) => toJsonLine(rec(i))));
  assert.deepEqual(sink.stats(), { sent: 5, dropped: 1, queued: 0 });
});

test('offerLines: the byte budget is kept line by line; after close every line is dropped', async () => {
  const one = toJsonLine(rec(0, 'x'.repeat(1000))).length + 1;
  const sink = new TestLineSink({ queueSize: 100, queueBytes: one * 2 + 10 });
  sink.offerLines(block(0, 3, 'x'.repeat(1000)), 3);
  assert.deepEqual(sink.stats(), { sent: 0, dropped: 1, queued: 2 });
  sink.open();
  await settle();
  assert.deepEqual(lines(sink).map((l) => JSON.parse(l).request.target), ['/r/0', '/r/1']);
  await sink.close(100);
  sink.offerLines(block(5, 4), 4);
  assert.deepEqual(sink.stats(), { sent: 2, dropped: 5, queued: 0 });
});

test('offerLines: a sink with its own format does not take JSON lines', () => {
  assert.equal(new TestLineSink({ queueSize: 1, format: () => 'x' }).takesJsonLines, false);
});
