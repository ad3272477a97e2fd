/**
 * The addon's jsonAscii (native/src/json-bytes.cc), which the JSON line writer calls for long
 * ASCII bodies: what it writes is JSON.stringify of the bytes' text, at any length and alignment
 * (it takes eight bytes at a time), -1 for a body with a byte that is not ASCII, and its
 * arguments and room checked before a byte is written.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { loadNative } from '../../agent/capture/native';
// The writer hands the addon its tables at its first long body: written once here, through it.
import { JsonLineWriter } from '../../agent/pipeline/record-json';
import { RecordBuilder } from '../../agent/pipeline/record';
import { MonotonicClock } from '../../agent/capture/clock';
import { HeaderFields } from '../../agent/http';

const addon = loadNative();

function tablesSet(): void {
  const body = Buffer.alloc(256, 0x61);
  const msg = { version: '1.1' as const, headers: HeaderFields.EMPTY, body, bodySize: body.length, bodyTruncated: false };
  const ex = { request: { method: 'POST', target: '/', ...msg }, response: null, requestStartNs: 1n, requestEndNs: 2n };
  const rec = new RecordBuilder(new MonotonicClock(), []).build(ex, { id: '1', pid: 1, comm: 'c', local: { ip: '::1', port: 1 }, remote: { ip: '::1', port: 2 }, direction: 'ingress', tls: false });
  new JsonLineWriter().line(rec, ex);
}
tablesSet();

/** jsonAscii into a buffer with room to spare, at offset `at`: the text written, or -1. */
function ascii(bytes: Buffer, at = 0): string | -1 {
  const out = Buffer.alloc(at + 6 * bytes.length + 16, 0xee);
  const end = addon.jsonAscii(out, at, bytes);
  return end < 0 ? -1 : out.toString('latin1', at, end);
}

test('every ASCII byte, alone and in runs of every length to 40 at every alignment, is what JSON.stringify writes', () => {
  for (let c = 0; c < 0x80; c++) {
    const one = Buffer.from([c]);
    assert.equal(ascii(one), JSON.stringify(String.fromCharCode(c)), `byte 0x${c.toString(16)}`);
  }
  const all = Buffer.from(Array.from({ length: 0x80 }, (_, c) => c));
  for (let from = 0; from < 16; from++) {
    for (let n = 0; n <= 40; n++) {
      const b = all.subarray(from, from + n);
      assert.equal(ascii(b, from), JSON.stringify(b.toString('latin1')), `bytes [${from}, ${from + n})`);
    }
  }
});

test('random ASCII of any length is JSON.stringify of its text; one byte >= 0x80 anywhere gives -1', () => {
  fc.assert(
    fc.property(fc.uint8Array({ max: 0x7f, maxLength: 700 }), fc.nat(20), (bytes, at) => {
      const b = Buffer.from(bytes);
      assert.equal(ascii(b, at), JSON.stringify(b.toString('latin1')));
    }),
    { numRuns: 1000 },
  );
  fc.assert(
    fc.property(fc.uint8Array({ max: 0x7f, minLength: 1, maxLength: 300 }), fc.nat(), fc.integer({ min: 0x80, max: 0xff }), (bytes, i, c) => {
      const b = Buffer.from(bytes);
      b[i % b.length] = c;
      assert.equal(ascii(b), -1);
    }),
    { numRuns: 500 },
  );
});

test('bad arguments are TypeErrors, an offset out of range or too little room RangeErrors, and nothing is written', () => {
  const out = Buffer.alloc(64, 0xee);
  const body = Buffer.from('abc');
  const code = { code: 'SOCKTAP_INVALID_ARGUMENT' };
  const call = (...args: unknown[]) => (addon.jsonAscii as (...a: unknown[]) => number)(...args);
  assert.throws(() => call('not a buffer', 0, body), { name: 'TypeError', ...code, message: /jsonAscii\(out, at, bytes\) takes a Buffer, an offset and a Buffer/ });
  assert.throws(() => call(out, '0', body), { name: 'TypeError', ...code });
  assert.throws(() => call(out, 0, 42), { name: 'TypeError', ...code });
  assert.throws(() => call(out, 0), { name: 'TypeError', ...code });
  assert.throws(() => call(out, -1, body), { name: 'RangeError', ...code, message: /offset out of range or no room/ });
  assert.throws(() => call(out, 65, body), { name: 'RangeError', ...code });
  // Room is checked for the worst case (six bytes a byte, the quotes and the slack), not the actual output.
  assert.throws(() => call(out, 64 - 27, body), { name: 'RangeError', ...code });
  assert.equal(call(out, 64 - 28, body), 64 - 28 + 5);
  assert.ok(out.subarray(0, 64 - 28).every((b) => b === 0xee));
});

test('jsonTables takes only tables that mark as plain what JSON leaves as it is, and a rejected one changes nothing', () => {
  const plain = new Uint8Array(256);
  const short = new Uint8Array(128);
  for (let c = 0; c < 0x80; c++) plain[c] = c >= 0x20 && c !== 0x22 && c !== 0x5c ? 1 : 6;
  assert.throws(() => addon.jsonTables(new Uint8Array(255), short), { name: 'TypeError', code: 'SOCKTAP_INVALID_ARGUMENT' });
  assert.throws(() => addon.jsonTables(plain, new Uint8Array(127)), { name: 'TypeError', code: 'SOCKTAP_INVALID_ARGUMENT' });
  const bad = Uint8Array.from(plain);
  bad[0x41] = 3;
  assert.throws(() => addon.jsonTables(bad, short), { name: 'RangeError', message: /asciiOut must be 1, 2 \(with a shortEscapes letter\) or 6/ });
  const noLetter = Uint8Array.from(plain);
  noLetter[0x0a] = 2;
  assert.throws(() => addon.jsonTables(noLetter, short), { name: 'RangeError' });
  // The writer's tables are still the ones in use.
  assert.equal(ascii(Buffer.from('a\n"\\\u0001')), JSON.stringify('a\n"\\\u0001'));
});
