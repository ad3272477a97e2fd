/**
 * Decodes one batch from the reader thread into events. Runs once per record on the hot path:
 * plain offset reads, payloads as views of the batch buffer, and connection ids interned so one
 * connection yields one ConnId object for all its events.
 */
import {
  CONN_CLOSE,
  CONN_ID,
  CONN_OPEN,
  DATA,
  DATA_F_NO_PAYLOAD,
  DATA_F_READ_FAILED,
  DATA_F_TRUNCATED,
  DIRECTIONS,
  EV_CONN_CLOSE,
  EV_CONN_OPEN,
  EV_DATA,
  FRAME_ALIGN,
  FRAME_HEADER,
  ROLES,
  SOURCES,
  SYSCALLS,
  type ConnSource,
} from './layout';
import type { CaptureEvent, ConnId, Endpoint } from './events';

const AF_UNIX = 1;
const AF_INET = 2;
const AF_INET6 = 10;
const IPPROTO_UDP = 17;

/** Records the decoder could not make sense of (wrong size, unknown type): counted, skipped. */
export interface DecodeCounters {
  malformed: number;
}

/**
 * Interns ConnIds by key. Bounded: ids are dropped when their close is decoded, and the whole
 * table is cleared if it ever exceeds `max` (a missed close only costs a re-allocation).
 */
export class ConnIdTable {
  private readonly ids = new Map<string, ConnId>();
  constructor(private readonly max = 1 << 17) {}

  get(buf: Buffer, off: number): ConnId {
    const tgid = buf.readUInt32LE(off + CONN_ID.tgid);
    const fd = buf.readUInt32LE(off + CONN_ID.fd);
    const generation = buf.readBigUInt64LE(off + CONN_ID.generation);
    const key = `${tgid}:${fd}:${generation}`;
    let id = this.ids.get(key);
    if (!id) {
      if (this.ids.size >= this.max) this.ids.clear();
      id = { tgid, fd, generation, procStartNs: buf.readBigUInt64LE(off + CONN_ID.proc_start_ns), key };
      this.ids.set(key, id);
    }
    return id;
  }

  release(id: ConnId): void {
    this.ids.delete(id.key);
  }

  get size(): number {
    return this.ids.size;
  }
}

export function formatAddress(family: number, bytes: Buffer): string {
  if (family === AF_INET) return `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`;
  if (family !== AF_INET6) return '';
  // ::ffff:a.b.c.d (dual-stack socket talking IPv4) reads better as the IPv4 it is.
  let mapped = bytes[10] === 0xff && bytes[11] === 0xff;
  for (let i = 0; i < 10 && mapped; i++) mapped = bytes[i] === 0;
  if (mapped) return `${bytes[12]}.${bytes[13]}.${bytes[14]}.${bytes[15]}`;
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i] << 8) | bytes[i + 1]).toString(16));
  // Compress the longest run of zero groups (RFC 5952).
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLen && j - i > 1) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (bestStart < 0) return groups.join(':');
  return `${groups.slice(0, bestStart).join(':')}::${groups.slice(bestStart + bestLen).join(':')}`;
}

function endpoint(buf: Buffer, family: number, addrOff: number, port: number): Endpoint {
  return { ip: formatAddress(family, buf.subarray(addrOff, addrOff + 16)), port };
}

function cString(buf: Buffer, start: number, len: number): string {
  const end = buf.indexOf(0, start);
  return buf.toString('latin1', start, end < 0 || end > start + len ? start + len : end);
}

/** Decodes every record of `batch`, calling `emit` for each event in ring-buffer order. */
export function decodeBatch(
  batch: Buffer,
  ids: ConnIdTable,
  counters: DecodeCounters,
  emit: (ev: CaptureEvent) => void,
): void {
  let off = 0;
  while (off + FRAME_HEADER <= batch.length) {
    const len = batch.readUInt32LE(off);
    const rec = off + FRAME_HEADER;
    off = rec + Math.ceil(len / FRAME_ALIGN) * FRAME_ALIGN;
    if (len < 4 || rec + len > batch.length) {
      counters.malformed++;
      break;
    }
    const type = batch.readUInt32LE(rec);
    if (type === EV_DATA && len >= DATA.size) {
      const flags = batch[rec + DATA.flags];
      const captured = batch.readUInt32LE(rec + DATA.captured_bytes);
      if (DATA.size + captured > len) {
        counters.malformed++;
        continue;
      }
      const p = rec + DATA.payload;
      emit({
        kind: 'data',
        conn: ids.get(batch, rec + DATA.id),
        syscall: SYSCALLS[batch.readUInt16LE(rec + DATA.syscall)] ?? 'read',
        direction: DIRECTIONS[batch[rec + DATA.direction] & 1],
        tsEnterNs: batch.readBigUInt64LE(rec + DATA.ts_enter_ns),
        tsExitNs: batch.readBigUInt64LE(rec + DATA.ts_exit_ns),
        // Stream positions stay far below 2^53 (8 PiB) for any real connection.
        pos: Number(batch.readBigUInt64LE(rec + DATA.pos)),
        len: batch.readUInt32LE(rec + DATA.len_bytes),
        payload: batch.subarray(p, p + captured),
        noPayload: (flags & DATA_F_NO_PAYLOAD) !== 0,
        truncated: (flags & DATA_F_TRUNCATED) !== 0,
        readFailed: (flags & DATA_F_READ_FAILED) !== 0,
      });
    } else if (type === EV_CONN_OPEN && len >= CONN_OPEN.size) {
      const family = batch.readUInt16LE(rec + CONN_OPEN.family);
      const protocol = batch.readUInt16LE(rec + CONN_OPEN.protocol);
      emit({
        kind: 'open',
        conn: ids.get(batch, rec + CONN_OPEN.id),
        role: ROLES[batch.readUInt32LE(rec + CONN_OPEN.role)] ?? 'unknown',
        source: (SOURCES[batch.readUInt32LE(rec + CONN_OPEN.source)] ?? 'first_data') as ConnSource,
        family: family === AF_INET ? 'ipv4' : family === AF_INET6 ? 'ipv6' : 'unix',
        protocol: family === AF_UNIX ? 'unix' : protocol === IPPROTO_UDP ? 'udp' : 'tcp',
        local: endpoint(batch, family, rec + CONN_OPEN.local_addr, batch.readUInt16LE(rec + CONN_OPEN.local_port)),
        remote: endpoint(batch, family, rec + CONN_OPEN.remote_addr, batch.readUInt16LE(rec + CONN_OPEN.remote_port)),
        tsNs: batch.readBigUInt64LE(rec + CONN_OPEN.ts_ns),
        tid: batch.readUInt32LE(rec + CONN_OPEN.tid),
        comm: cString(batch, rec + CONN_OPEN.comm, 16),
      });
    } else if (type === EV_CONN_CLOSE && len >= CONN_CLOSE.size) {
      const conn = ids.get(batch, rec + CONN_CLOSE.id);
      ids.release(conn);
      emit({
        kind: 'close',
        conn,
        tsNs: batch.readBigUInt64LE(rec + CONN_CLOSE.ts_ns),
        ingressBytes: batch.readBigUInt64LE(rec + CONN_CLOSE.ingress_bytes),
        egressBytes: batch.readBigUInt64LE(rec + CONN_CLOSE.egress_bytes),
      });
    } else {
      counters.malformed++;
    }
  }
}
