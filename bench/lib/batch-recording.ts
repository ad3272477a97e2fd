/**
 * Recordings of the reader thread's batches, as JavaScript receives them, for the replay
 * benchmark: nginx serves wrk while a capture session targets its worker, and every batch is
 * copied (the addon's buffer is only lent for the callback) and kept with its record count.
 *
 * File format (little-endian): the magic `STAPBAT1`, a u32 length of a JSON header
 * ({ recordedAt, source }), the header, then per batch a u32 record count, a u32 byte length and
 * the bytes. The batch layout is the one of bpf/socktap.h at recording time: a recording is only
 * meant for the checkout (or the A/B pair of checkouts) that made it.
 */
import { DEFAULT_SERVED_BODY, type ServedBody } from './served-body';
import fs from 'node:fs';
import { loadNative } from '../../agent/capture/native';
import { DEFAULT_CHUNKS_PER_CALL, DEFAULT_PAYLOAD_BYTES } from '../../agent/capture/layout';
import { SocktapError } from '../../agent/util/errors';
import { startNginx } from './nginx';
import { runWrk } from './wrk';

export interface Recording {
  readonly recordedAt: string;
  /** What was captured, for the report (server, load, duration). */
  readonly source: string;
  readonly batches: readonly Buffer[];
  /** Records per batch, as the reader counted them. */
  readonly records: readonly number[];
}

const MAGIC = Buffer.from('STAPBAT1', 'latin1');

export function writeRecording(file: string, rec: Recording): void {
  const header = Buffer.from(JSON.stringify({ recordedAt: rec.recordedAt, source: rec.source }));
  const fd = fs.openSync(file, 'w');
  try {
    const lead = Buffer.alloc(4);
    lead.writeUInt32LE(header.length);
    fs.writeSync(fd, MAGIC);
    fs.writeSync(fd, lead);
    fs.writeSync(fd, header);
    const frame = Buffer.alloc(8);
    rec.batches.forEach((b, i) => {
      frame.writeUInt32LE(rec.records[i], 0);
      frame.writeUInt32LE(b.length, 4);
      fs.writeSync(fd, frame);
      fs.writeSync(fd, b);
    });
  } finally {
    fs.closeSync(fd);
  }
}

/** Reads a recording; a file that is not one (or is cut short) is an error naming the file and the offset. */
export function readRecording(file: string): Recording {
  const all = fs.readFileSync(file);
  const bad = (what: string, at: number) => new Error(`${file} is not a socktap batch recording: ${what} at byte ${at} (make one with \`npm run bench:replay -- --save ${file}\`)`);
  if (all.length < 12 || !all.subarray(0, 8).equals(MAGIC)) throw bad('no STAPBAT1 magic', 0);
  const headerLen = all.readUInt32LE(8);
  if (12 + headerLen > all.length) throw bad('header longer than the file', 8);
  const header = JSON.parse(all.toString('utf8', 12, 12 + headerLen)) as { recordedAt: string; source: string };
  const batches: Buffer[] = [];
  const records: number[] = [];
  let off = 12 + headerLen;
  while (off < all.length) {
    if (off + 8 > all.length) throw bad('a cut batch frame', off);
    const n = all.readUInt32LE(off);
    const len = all.readUInt32LE(off + 4);
    if (off + 8 + len > all.length) throw bad(`a batch of ${len} bytes past the end`, off);
    // Each batch its own allocation, as the addon hands them over.
    batches.push(Buffer.from(all.subarray(off + 8, off + 8 + len)));
    records.push(n);
    off += 8 + len;
  }
  return { recordedAt: header.recordedAt, source: header.source, batches, records };
}

export interface RecordOptions extends Partial<ServedBody> {
  readonly durationS: number;
  readonly connections: number;
}

/**
 * Captures nginx (one worker, by default the 600-byte JSON file of the pipeline benchmark) under
 * `wrk -t1 -c<connections>`: the session is started before wrk, as in the benchmark, so every
 * connection is seen from its accept. Needs root (BPF).
 */
export async function recordBatches(o: RecordOptions): Promise<Recording> {
  const { bodyBytes, sendfile } = { ...DEFAULT_SERVED_BODY, ...o };
  const nginx = await startNginx({ bodyBytes, sendfile });
  const batches: Buffer[] = [];
  const records: number[] = [];
  try {
    const native = loadNative();
    let session;
    try {
      session = new native.Session({ maxPayloadBytes: DEFAULT_PAYLOAD_BYTES, maxChunksPerCall: DEFAULT_CHUNKS_PER_CALL }, (batch, n) => {
        batches.push(Buffer.from(batch));
        records.push(n);
      });
    } catch (err) {
      throw SocktapError.fromNative(err);
    }
    session.setTargets({ all: false, tgids: [nginx.workerPid], cgroupIds: [], comms: [], ports: [], portMatch: 3 });
    const { result } = await runWrk({ url: nginx.url, threads: 1, connections: o.connections, durationS: o.durationS });
    // wrk has closed its connections: the stop drains the closes with the rest.
    const stats = await session.stop();
    if (stats.lostEvents > 0 || stats.handoffDroppedRecords > 0) {
      throw new Error(`the recording lost events (ring: ${stats.lostEvents}, hand-off: ${stats.handoffDroppedRecords}); record a shorter run`);
    }
    return {
      recordedAt: new Date().toISOString(),
      source: `nginx (1 worker, sendfile ${sendfile ? 'on' : 'off'}) serving its ${nginx.bodyBytes}-byte file to wrk -t1 -c${o.connections} for ${o.durationS} s (${result.requests.toLocaleString('en-US')} requests)`,
      batches,
      records,
    };
  } finally {
    await nginx.stop();
  }
}
