/** The replay benchmark's recording file and pass, on hand-built batches (no kernel). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { readRecording, writeRecording, type Recording } from '../../bench/lib/batch-recording';
import { replayPass } from '../../bench/lib/replay-pass';
import { closeRecord, dataRecord, frame, openRecord } from '../helpers/batches';
import { tempDir } from '../helpers/procs';

const REQUEST = Buffer.from('GET /a HTTP/1.1\r\nHost: x\r\n\r\n');
const RESPONSE = Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');

/** `n` keep-alive exchanges on one server connection, one batch per exchange, then the close. */
function recording(n: number): Recording {
  const batches: Buffer[] = [frame(openRecord(2, [127, 0, 0, 1], [127, 0, 0, 1], 8080, 40000))];
  for (let i = 0; i < n; i++) {
    const ts = 10_000n + BigInt(i) * 1000n;
    batches.push(
      Buffer.concat([
        frame(dataRecord(REQUEST, { dir: 0, pos: i * REQUEST.length, tsNs: ts, syscall: 0 })),
        frame(dataRecord(RESPONSE, { dir: 1, pos: i * RESPONSE.length, tsNs: ts + 500n })),
      ]),
    );
  }
  batches.push(frame(closeRecord(BigInt(n * REQUEST.length), BigInt(n * RESPONSE.length), {}, 10_000n + BigInt(n) * 1000n)));
  return { recordedAt: '2026-12-02T00:00:00.000Z', source: 'hand-built', batches, records: batches.map((_, i) => (i === 0 || i === n + 1 ? 1 : 2)) };
}

test('a recording reads back as written, batch by batch', () => {
  const rec = recording(3);
  const file = path.join(tempDir(), 'r.batches');
  writeRecording(file, rec);
  const back = readRecording(file);
  assert.equal(back.recordedAt, rec.recordedAt);
  assert.equal(back.source, rec.source);
  assert.deepEqual(back.records, rec.records);
  assert.equal(back.batches.length, rec.batches.length);
  back.batches.forEach((b, i) => assert.ok(b.equals(rec.batches[i]), `batch ${i}`));
});

test('a file that is not a recording, or is cut short, is an error naming the file and the offset', () => {
  const dir = tempDir();
  const junk = path.join(dir, 'junk');
  fs.writeFileSync(junk, 'hello world, not batches');
  assert.throws(() => readRecording(junk), (e: Error) => e.message.includes(junk) && e.message.includes('no STAPBAT1 magic at byte 0'));
  const file = path.join(dir, 'cut.batches');
  writeRecording(file, recording(2));
  const whole = fs.readFileSync(file);
  fs.writeFileSync(file, whole.subarray(0, whole.length - 3));
  assert.throws(() => readRecording(file), /a batch of \d+ bytes past the end at byte \d+/);
});

test('a replay pass makes every exchange of the recording and encodes each as one line', async () => {
  const n = 50;
  const r = await replayPass(recording(n), 'full');
  assert.equal(r.exchanges, n);
  assert.equal(r.sent, n);
  assert.equal(r.dropped, 0);
  assert.equal(r.parseErrors, 0);
  assert.ok(r.lineBytes > n * 300, `line bytes ${r.lineBytes}`);
  const assembled = await replayPass(recording(n), 'assemble');
  assert.equal(assembled.exchanges, n);
  assert.equal(assembled.lineBytes, 0);
  const decoded = await replayPass(recording(n), 'decode', 77);
  assert.equal(decoded.exchanges, 77, 'the decode stage is divided by the exchanges of a full pass');
});
