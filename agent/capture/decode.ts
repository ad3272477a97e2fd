/**
 * Decodes one batch from the reader thread into events. Runs once per record on the hot path:
 * plain offset reads, payloads as views of the batch buffer, and connection ids interned so one
 * connection yields one ConnId object for all its events.
 */
import {
  CONN_CLOSE,
  CONN_ID,
  CONN_OPEN,
  CONN_RESUME,
  DATA,
  DATA_F_NO_PAYLOAD,
  DATA_F_READ_FAILED,
  DATA_F_TLS,
  DATA_F_TRUNCATED,
  DIRECTIONS,
  EV_CONN_CLOSE,
  EV_CONN_OPEN,
  EV_CONN_RESUME,
  EV_DATA,
  FRAME_ALIGN,
  FRAME_HEADER,
  ROLES,
  SOURCES,
  SYSCALLS,
  type ConnSource,
  type Direction,
  type SyscallName,
} from './layout';
import type { CaptureEvent, ConnId, ConnOpenEvent, DataEvent, Endpoint } from './events';
import { StringInterner } from './string-interner';

const AF_UNIX = 1;
const AF_INET = 2;
const AF_INET6 = 10;
const IPPROTO_UDP = 17;
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Records the decoder could not make sense of (wrong size, unknown type): counted, skipped. */
export interface DecodeCounters {
  malformed: number;
}

/**
 * Interns ConnIds by generation, which the programs make unique per connection: one number read
 * and one Map lookup per event, no key string (the string is built once per connection). Bounded:
 * ids are dropped when their close is decoded, and the table is cleared if it ever exceeds `max`
 * (a missed close then only costs a re-allocation).
 */
export class ConnIdTable {
  private readonly ids = new Map<number, ConnId>();
  constructor(private readonly max = 1 << 17) {}

  get(buf: Buffer, off: number): ConnId {
    const g = off + CONN_ID.generation;
    const generation = buf.readUInt32LE(g) + buf.readUInt32LE(g + 4) * 0x1_0000_0000;
    let id = this.ids.get(generation);
    if (!id) {
      if (this.ids.size >= this.max) this.ids.clear();
      const tgid = buf.readUInt32LE(off + CONN_ID.tgid);
      const fd = buf.readUInt32LE(off + CONN_ID.fd);
      id = {
        tgid,
        fd,
        generation: BigInt(generation),
        procStartNs: buf.readBigUInt64LE(off + CONN_ID.proc_start_ns),
        key: `${tgid}:${fd}:${generation}`,
      };
      this.ids.set(generation, id);
    }
    return id;
  }

  release(id: ConnId): void {
    this.ids.delete(Number(id.generation));
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

/** A u64 stream position: they stay far below 2^53 (8 PiB), so two 32-bit reads, no BigInt. */
function u53(buf: Buffer, off: number): number {
  return buf.readUInt32LE(off) + buf.readUInt32LE(off + 4) * 0x1_0000_0000;
}

/** Addresses and process names of open events: kept as long as their connections are. */
const openStrings = new StringInterner();

function endpoint(buf: Buffer, family: number, addrOff: number, port: number): Endpoint {
  return { ip: openStrings.intern(formatAddress(family, buf.subarray(addrOff, addrOff + 16))), port };
}

function cString(buf: Buffer, start: number, len: number): string {
  const end = buf.indexOf(0, start);
  return openStrings.intern(buf.toString('latin1', start, end < 0 || end > start + len ? start + len : end));
}

/**
 * A data record read in place: the numbers every consumer needs are read at once; the payload
 * view and the BigInt timestamp only when asked for (a Buffer view and a BigInt cost more than
 * everything else together, and a consumer that skips an event should not pay for them).
 * Valid while the batch buffer is; `materialize()` makes a copy that outlives it.
 */
class DataRecord implements DataEvent {
  declare readonly kind: 'data';
  constructor(
    private readonly batch: Buffer,
    /** The batch as 64-bit words when it is 8-byte aligned (records and their u64 fields are), else null. */
    private readonly words: BigUint64Array | null,
    private readonly rec: number,
    readonly conn: ConnId,
    readonly direction: Direction,
    readonly pos: number,
    readonly len: number,
    private readonly captured: number,
    private readonly flags: number,
  ) {}

  get syscall(): SyscallName {
    return SYSCALLS[this.batch.readUInt16LE(this.rec + DATA.syscall)] ?? 'read';
  }
  get tsNs(): bigint {
    // One word read makes one BigInt; Buffer#readBigUInt64LE makes four (two halves, a shift, a sum).
    const w = this.words;
    return w !== null ? w[(this.rec + DATA.ts_ns) >> 3]! : this.batch.readBigUInt64LE(this.rec + DATA.ts_ns);
  }
  get payload(): Buffer {
    const p = this.rec + DATA.payload;
    return this.batch.subarray(p, p + this.captured);
  }
  get noPayload(): boolean {
    return (this.flags & DATA_F_NO_PAYLOAD) !== 0;
  }
  get truncated(): boolean {
    return (this.flags & DATA_F_TRUNCATED) !== 0;
  }
  get readFailed(): boolean {
    return (this.flags & DATA_F_READ_FAILED) !== 0;
  }
  get tls(): boolean {
    return (this.flags & DATA_F_TLS) !== 0;
  }
}
Object.defineProperty(DataRecord.prototype, 'kind', { value: 'data', enumerable: true });

/** A plain copy of a data event (payload copied) that stays valid after its batch is gone. */
export function materialize(ev: DataEvent): DataEvent {
  return {
    kind: 'data',
    conn: ev.conn,
    syscall: ev.syscall,
    direction: ev.direction,
    tsNs: ev.tsNs,
    pos: ev.pos,
    len: ev.len,
    payload: Buffer.from(ev.payload),
    noPayload: ev.noPayload,
    truncated: ev.truncated,
    readFailed: ev.readFailed,
    tls: ev.tls,
  };
}

/** Decodes every record of `batch`, calling `emit` for each event in ring-buffer order. */
export function decodeBatch(
  batch: Buffer,
  ids: ConnIdTable,
  counters: DecodeCounters,
  emit: (ev: CaptureEvent) => void,
): void {
  let off = 0;
  // Little-endian words, as the kernel wrote them: the platforms BPF runs on here are x86-64 and arm64.
  const words = LITTLE_ENDIAN && batch.byteOffset % 8 === 0 ? new BigUint64Array(batch.buffer, batch.byteOffset, batch.length >> 3) : null;
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
      const captured = batch.readUInt32LE(rec + DATA.captured_bytes);
      if (DATA.size + captured > len) {
        counters.malformed++;
        continue;
      }
      emit(
        new DataRecord(
          batch,
          words,
          rec,
          ids.get(batch, rec + DATA.id),
          DIRECTIONS[batch[rec + DATA.direction] & 1],
          u53(batch, rec + DATA.pos),
          batch.readUInt32LE(rec + DATA.len_bytes),
          captured,
          batch[rec + DATA.flags],
        ),
      );
    } else if ((type === EV_CONN_OPEN && len >= CONN_OPEN.size) || (type === EV_CONN_RESUME && len >= CONN_RESUME.size)) {
      const family = batch.readUInt16LE(rec + CONN_OPEN.family);
      const protocol = batch.readUInt16LE(rec + CONN_OPEN.protocol);
      const open: ConnOpenEvent = {
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
        cgroupId: batch.readBigUInt64LE(rec + CONN_OPEN.cgroup_id),
      };
      if (type === EV_CONN_RESUME) {
        emit({ ...open, resumeAt: { ingress: u53(batch, rec + CONN_RESUME.ingress_pos), egress: u53(batch, rec + CONN_RESUME.egress_pos) } });
      } else {
        emit(open);
      }
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
