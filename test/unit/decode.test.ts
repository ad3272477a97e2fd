/** The batch decoder on hand-built batches: every field, framing, and malformed input. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConnIdTable, decodeBatch, formatAddress } from '../../agent/capture/decode';
import type { CaptureEvent } from '../../agent/capture/events';
import * as L from '../../agent/capture/layout';
import { StringInterner } from '../../agent/capture/string-interner';
import { closeRecord, dataRecord, frame, openRecord, writeId } from '../helpers/batches';

function decode(batch: Buffer) {
  const events: CaptureEvent[] = [];
  const counters = { malformed: 0 };
  decodeBatch(batch, new ConnIdTable(), counters, (e) => events.push(e));
  return { events, counters };
}

test('open, data and close records decode with every field', () => {
  const close = closeRecord(10n, 5n);
  const batch = Buffer.concat([
    frame(openRecord(2, [127, 0, 0, 1], [10, 1, 2, 3], 8080, 51234)),
    frame(dataRecord(Buffer.from('hello'), { pos: 7 })),
    frame(close),
  ]);
  const { events, counters } = decode(batch);
  assert.equal(counters.malformed, 0);
  assert.equal(events.length, 3);
  const [open, data, closed] = events;
  assert.equal(open.kind, 'open');
  if (open.kind !== 'open') return;
  assert.deepEqual(
    { role: open.role, source: open.source, family: open.family, protocol: open.protocol, local: open.local, remote: open.remote, tid: open.tid, comm: open.comm, ts: open.tsNs },
    { role: 'server', source: 'accept', family: 'ipv4', protocol: 'tcp', local: { ip: '127.0.0.1', port: 8080 }, remote: { ip: '10.1.2.3', port: 51234 }, tid: 4243, comm: 'nginx', ts: 123n },
  );
  assert.deepEqual({ ...open.conn }, { tgid: 4242, fd: 7, generation: 9n, procStartNs: 555n, key: '4242:7:9' });
  assert.equal(data.kind, 'data');
  if (data.kind !== 'data') return;
  assert.equal(data.conn, open.conn, 'one ConnId object per connection');
  assert.deepEqual(
    { syscall: data.syscall, direction: data.direction, pos: data.pos, len: data.len, payload: data.payload.toString(), ts: data.tsNs },
    { syscall: 'writev', direction: 'egress', pos: 7, len: 5, payload: 'hello', ts: 2000n },
  );
  assert.deepEqual([data.noPayload, data.truncated, data.readFailed], [false, false, false]);
  assert.equal(closed.kind, 'close');
  if (closed.kind !== 'close') return;
  assert.deepEqual([closed.ingressBytes, closed.egressBytes, closed.tsNs], [10n, 5n, 3000n]);
});

test('length-only data events: sendfile and the per-call cap', () => {
  const { events } = decode(
    Buffer.concat([
      frame(dataRecord(Buffer.alloc(0), { len: 307200, flags: L.DATA_F_NO_PAYLOAD, syscall: L.SYSCALLS.indexOf('sendfile') })),
      frame(dataRecord(Buffer.alloc(0), { len: 99, flags: L.DATA_F_TRUNCATED })),
    ]),
  );
  const [a, b] = events;
  assert.ok(a.kind === 'data' && a.noPayload && a.len === 307200 && a.payload.length === 0 && a.syscall === 'sendfile');
  assert.ok(b.kind === 'data' && b.truncated && b.len === 99);
});

test('malformed records are counted and skipped, never thrown', () => {
  const good = frame(dataRecord(Buffer.from('ok')));
  const unknownType = Buffer.alloc(16);
  unknownType.writeUInt32LE(99, 0);
  const short = Buffer.alloc(8);
  short.writeUInt32LE(L.EV_DATA, 0);
  const lying = dataRecord(Buffer.from('abc'));
  lying.writeUInt32LE(1000, L.DATA.captured_bytes); // claims more payload than the record holds
  const { events, counters } = decode(Buffer.concat([frame(unknownType), frame(short), frame(lying), good]));
  assert.equal(events.length, 1);
  assert.equal(counters.malformed, 3);
  // A frame whose length runs past the batch ends decoding of that batch.
  const truncatedBatch = Buffer.concat([good, good.subarray(0, 20)]);
  truncatedBatch.writeUInt32LE(500, good.length);
  const r = decode(truncatedBatch);
  assert.equal(r.events.length, 1);
  assert.equal(r.counters.malformed, 1);
});

test('formatAddress: IPv4, IPv6 with zero compression, IPv4-mapped IPv6', () => {
  const v6 = (hex: string) => Buffer.from(hex.replace(/:/g, ''), 'hex');
  assert.equal(formatAddress(2, Buffer.from([192, 168, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])), '192.168.0.1');
  assert.equal(formatAddress(10, v6('0000:0000:0000:0000:0000:0000:0000:0001')), '::1');
  assert.equal(formatAddress(10, v6('0000:0000:0000:0000:0000:0000:0000:0000')), '::');
  assert.equal(formatAddress(10, v6('2001:0db8:0000:0000:0001:0000:0000:0001')), '2001:db8::1:0:0:1');
  assert.equal(formatAddress(10, v6('2001:0db8:0001:0002:0003:0004:0005:0006')), '2001:db8:1:2:3:4:5:6');
  assert.equal(formatAddress(10, v6('fe80:0000:0000:0000:0000:0000:0000:0000')), 'fe80::');
  assert.equal(formatAddress(10, v6('0000:0000:0000:0000:0000:ffff:7f00:0001')), '127.0.0.1');
  assert.equal(formatAddress(1, Buffer.alloc(16)), '');
});

test('ConnIdTable stays bounded', () => {
  const ids = new ConnIdTable(4);
  const b = Buffer.alloc(24);
  for (let i = 0; i < 10; i++) {
    writeId(b, 0, { tgid: 1, fd: i, gen: BigInt(i), start: 0n });
    ids.get(b, 0);
    assert.ok(ids.size <= 4);
  }
});

test('timestamps read the same from a batch at any byte offset (64-bit word views only where aligned)', () => {
  const batch = Buffer.concat([
    frame(dataRecord(Buffer.from('a'), { tsNs: 0xfedcba9876543210n })),
    frame(dataRecord(Buffer.from('bc'), { tsNs: 1n, pos: 1 })),
  ]);
  for (let shift = 0; shift < 9; shift++) {
    const backing = Buffer.alloc(batch.length + 16);
    const view = backing.subarray(shift, shift + batch.length);
    batch.copy(view);
    const { events } = decode(view);
    assert.deepEqual(
      events.map((e) => (e.kind === 'data' ? e.tsNs : -1n)),
      [0xfedcba9876543210n, 1n],
      `offset ${shift}`,
    );
  }
});

test('StringInterner: equal strings give the first one back; bounded, it starts over past its size', () => {
  // Strings have no identity test in JavaScript; the table's contents show what is shared.
  const strings = new StringInterner(2);
  const first = 'ab'.repeat(3);
  assert.equal(strings.intern(first), first);
  assert.equal(strings.intern(['ab', 'ab', 'ab'].join('')), first);
  assert.equal(strings.size, 1, 'the equal string added nothing');
  strings.intern('second');
  assert.equal(strings.size, 2);
  strings.intern('third');
  assert.equal(strings.size, 1, 'past its bound the table starts over');
});
