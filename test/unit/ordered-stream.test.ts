/**
 * OrderedStream: in-order delivery, reordering, overlaps, known holes and lost ranges, bounded
 * memory. Property tests generate random streams, random slicing, random reordering and drops.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { OrderedStream, type StreamPiece } from '../../agent/capture/ordered-stream';

function collect(opts?: { maxBufferedBytes?: number }) {
  const pieces: StreamPiece[] = [];
  const s = new OrderedStream({ piece: (p) => pieces.push(p) }, opts);
  return { s, pieces };
}

/** Flattens pieces into bytes, with holes as `fill` bytes; checks contiguity on the way. */
function flatten(pieces: StreamPiece[], fill = 0): Buffer {
  let pos = 0;
  const parts: Buffer[] = [];
  for (const p of pieces) {
    assert.equal(p.pos, pos, 'pieces are contiguous');
    if (p.kind === 'data') {
      parts.push(p.data);
      pos += p.data.length;
    } else {
      parts.push(Buffer.alloc(p.len, fill));
      pos += p.len;
    }
  }
  return Buffer.concat(parts);
}

test('in-order slices are delivered as they come', () => {
  const { s, pieces } = collect();
  s.push(0, 3, Buffer.from('abc'));
  s.push(3, 2, Buffer.from('de'));
  assert.deepEqual(pieces.map((p) => p.kind === 'data' && p.data.toString()), ['abc', 'de']);
  assert.equal(s.next, 5);
});

test('an out-of-order slice waits for the gap to fill', () => {
  const { s, pieces } = collect();
  s.push(3, 2, Buffer.from('de'));
  assert.equal(pieces.length, 0);
  assert.equal(s.bufferedBytes, 2);
  s.push(0, 3, Buffer.from('abc'));
  assert.equal(flatten(pieces).toString(), 'abcde');
  assert.equal(s.bufferedBytes, 0);
});

test('duplicates and overlaps deliver each byte once', () => {
  const { s, pieces } = collect();
  s.push(0, 4, Buffer.from('abcd'));
  s.push(0, 4, Buffer.from('abcd'));
  s.push(2, 4, Buffer.from('cdef'));
  assert.equal(flatten(pieces).toString(), 'abcdef');
});

test('a slice that covers more than it carries leaves an uncaptured hole of the exact size', () => {
  const { s, pieces } = collect();
  s.push(0, 4, Buffer.from('HEAD'));
  s.push(4, 1000, Buffer.alloc(0)); // sendfile
  s.push(1004, 2, Buffer.from('ok'));
  assert.deepEqual(
    pieces.map((p) => [p.kind, p.pos, p.kind === 'data' ? p.data.length : p.len, p.kind === 'hole' ? p.reason : '']),
    [['data', 0, 4, ''], ['hole', 4, 1000, 'uncaptured'], ['data', 1004, 2, '']],
  );
});

test('flush declares a missing range lost; end() covers the tail up to the final length', () => {
  const { s, pieces } = collect();
  s.push(0, 2, Buffer.from('ab'));
  s.push(5, 2, Buffer.from('fg'));
  s.flush();
  s.end(10);
  assert.deepEqual(
    pieces.map((p) => [p.kind, p.pos, p.kind === 'data' ? p.data.toString() : `${p.len}:${p.reason}`]),
    [['data', 0, 'ab'], ['hole', 2, '3:lost'], ['data', 5, 'fg'], ['hole', 7, '3:lost']],
  );
});

test('held bytes stay under the bound: a slice that never comes becomes a lost hole', () => {
  const { s, pieces } = collect({ maxBufferedBytes: 100 });
  for (let i = 1; i <= 20; i++) {
    s.push(i * 10, 10, Buffer.alloc(10, i));
    assert.ok(s.bufferedBytes <= 100, `held ${s.bufferedBytes}`);
  }
  assert.equal(pieces[0].kind, 'hole');
  assert.deepEqual([pieces[0].pos, pieces[0].kind === 'hole' && pieces[0].len], [0, 10]);
});

/** A random stream cut into slices at random points; some slices carry only part of their bytes. */
const slicedStream = fc
  .tuple(fc.uint8Array({ minLength: 1, maxLength: 3000 }), fc.array(fc.integer({ min: 1, max: 400 }), { minLength: 1, maxLength: 60 }))
  .map(([bytes, cuts]) => {
    const data = Buffer.from(bytes);
    const slices: { pos: number; len: number; data: Buffer }[] = [];
    let pos = 0;
    let i = 0;
    while (pos < data.length) {
      const len = Math.min(cuts[i++ % cuts.length], data.length - pos);
      slices.push({ pos, len, data: data.subarray(pos, pos + len) });
      pos += len;
    }
    return { data, slices };
  });

test('property: any reordering of a complete stream reassembles it exactly', () => {
  fc.assert(
    fc.property(slicedStream, fc.func(fc.integer()), ({ data, slices }, rank) => {
      const shuffled = [...slices].sort((a, b) => rank(a.pos) - rank(b.pos) || a.pos - b.pos);
      const { s, pieces } = collect({ maxBufferedBytes: 1 << 20 });
      for (const sl of shuffled) s.push(sl.pos, sl.len, sl.data);
      assert.ok(flatten(pieces).equals(data));
      assert.ok(pieces.every((p) => p.kind === 'data'));
      assert.equal(s.bufferedBytes, 0);
    }),
    { numRuns: 300 },
  );
});

test('property: with drops and partial captures, every byte is delivered once or reported as a hole', () => {
  fc.assert(
    fc.property(
      slicedStream,
      fc.func(fc.integer()),
      fc.func(fc.integer({ min: 0, max: 9 })),
      fc.integer({ min: 1, max: 2000 }),
      ({ data, slices }, rank, fate, bound) => {
        const { s, pieces } = collect({ maxBufferedBytes: bound });
        const kept = slices
          .filter((sl) => fate(sl.pos) !== 0) // ~10 % lost
          .map((sl) => (fate(sl.pos) === 1 ? { ...sl, data: sl.data.subarray(0, sl.len >> 1) } : sl)); // partial
        for (const sl of [...kept].sort((a, b) => rank(a.pos) - rank(b.pos) || a.pos - b.pos)) {
          s.push(sl.pos, sl.len, sl.data);
          assert.ok(s.bufferedBytes <= bound + sl.data.length);
        }
        s.end(data.length);
        const out = flatten(pieces, 0);
        assert.equal(out.length, data.length);
        // Every delivered data byte is the original byte at that position.
        for (const p of pieces) if (p.kind === 'data') assert.ok(p.data.equals(data.subarray(p.pos, p.pos + p.data.length)));
      },
    ),
    { numRuns: 300 },
  );
});
