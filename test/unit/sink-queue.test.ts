/**
 * QueuedSink's bounds: a number of records and a number of bytes (recordBytes), drops counted,
 * and the byte account kept right through deliveries, retries and close.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { QueuedSink } from '../../agent/sinks';
import { recordBytes } from '../../agent/sinks/sink';
import type { ExchangeRecord } from '../../agent/pipeline/record';
import { exchangeRecord } from '../helpers/exchange-records';

/** A sink that is not ready until `open()`, and delivers by recording the batch (or refusing its tail). */
class TestSink extends QueuedSink {
  readonly name = 'test';
  readonly delivered: ExchangeRecord[][] = [];
  isReady = false;
  refuseTail = 0;
  protected override ready(): boolean {
    return this.isReady;
  }
  open(): void {
    this.isReady = true;
    this.kick();
  }
  protected async deliver(batch: ExchangeRecord[]): Promise<readonly ExchangeRecord[]> {
    const keep = batch.length - this.refuseTail;
    this.delivered.push(batch.slice(0, keep));
    if (this.refuseTail > 0) this.isReady = false;
    this.refuseTail = 0;
    return batch.slice(keep);
  }
  protected onDeliveryError(): void {}
  protected async shutdown(): Promise<void> {}
  bytes(): number {
    return (this as unknown as { queuedBytes: number }).queuedBytes;
  }
}

const withBody = (n: number, i: number) => exchangeRecord({ request: { target: `/r/${i}` }, response: { body: 'x'.repeat(n) } });
const settle = () => new Promise((r) => setImmediate(r));

test('recordBytes: bodies, header names and values, and a kilobyte for the rest', () => {
  const r = exchangeRecord({ request: { headers: [['Host', 'a']], body: 'abc' }, response: { headers: [['X', 'yy']], body: 'z'.repeat(10) } });
  assert.equal(recordBytes(r), 1024 + 3 + (4 + 1 + 16) + 10 + (1 + 2 + 16));
  assert.equal(recordBytes({ ...r, response: null }), 1024 + 3 + 21);
});

test('the byte budget drops (and counts) what would exceed it, whatever the record count', async () => {
  const one = recordBytes(withBody(100_000, 0));
  const sink = new TestSink({ queueSize: 1000, queueBytes: one * 3 });
  for (let i = 0; i < 5; i++) sink.offer(withBody(100_000, i));
  assert.deepEqual(sink.stats(), { sent: 0, dropped: 2, queued: 3 });
  assert.equal(sink.bytes(), one * 3);
  sink.open();
  await settle();
  await settle();
  assert.deepEqual(sink.stats(), { sent: 3, dropped: 2, queued: 0 });
  assert.equal(sink.bytes(), 0, 'delivered records leave the account');
  assert.deepEqual(sink.delivered.flat().map((r) => r.request.target), ['/r/0', '/r/1', '/r/2']);
});

test('one record larger than the whole budget still goes when the queue is empty', async () => {
  const sink = new TestSink({ queueSize: 10, queueBytes: 1000 });
  sink.offer(withBody(5000, 0));
  sink.offer(withBody(10, 1));
  assert.deepEqual(sink.stats(), { sent: 0, dropped: 1, queued: 1 });
  sink.open();
  await settle();
  await settle();
  assert.deepEqual(sink.stats(), { sent: 1, dropped: 1, queued: 0 });
});

test('undelivered records go back with their bytes; close drops what is left and empties the account', async () => {
  const sink = new TestSink({ queueSize: 10, queueBytes: 1 << 20 });
  for (let i = 0; i < 4; i++) sink.offer(withBody(1000, i));
  sink.refuseTail = 2;
  sink.open();
  await settle();
  await settle();
  assert.deepEqual(sink.stats(), { sent: 2, dropped: 0, queued: 2 });
  assert.equal(sink.bytes(), 2 * recordBytes(withBody(1000, 0)));
  await sink.close(20);
  assert.deepEqual(sink.stats(), { sent: 2, dropped: 2, queued: 0 });
  assert.equal(sink.bytes(), 0);
});

test('the record count still bounds the queue', () => {
  const sink = new TestSink({ queueSize: 2 });
  for (let i = 0; i < 3; i++) sink.offer(withBody(10, i));
  assert.deepEqual(sink.stats(), { sent: 0, dropped: 1, queued: 2 });
});
