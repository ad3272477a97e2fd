/** Hand-built reader batches in the layout of bpf/socktap.h: the decoder's and the replay benchmark's tests. */
import * as L from '../../agent/capture/layout';

/** One record with its frame header (u32 length, padded to 8 bytes), as the reader thread writes it. */
export function frame(rec: Buffer): Buffer {
  const padded = Math.ceil(rec.length / 8) * 8;
  const out = Buffer.alloc(8 + padded);
  out.writeUInt32LE(rec.length, 0);
  rec.copy(out, 8);
  return out;
}

export interface IdFields {
  tgid?: number;
  fd?: number;
  gen?: bigint;
  start?: bigint;
}

export function writeId(b: Buffer, off: number, id: IdFields = {}): void {
  b.writeUInt32LE(id.tgid ?? 4242, off + L.CONN_ID.tgid);
  b.writeUInt32LE(id.fd ?? 7, off + L.CONN_ID.fd);
  b.writeBigUInt64LE(id.gen ?? 9n, off + L.CONN_ID.generation);
  b.writeBigUInt64LE(id.start ?? 555n, off + L.CONN_ID.proc_start_ns);
}

export function openRecord(family: number, local: number[], remote: number[], lport: number, rport: number, id: IdFields = {}): Buffer {
  const b = Buffer.alloc(L.CONN_OPEN.size);
  b.writeUInt32LE(L.EV_CONN_OPEN, 0);
  b.writeUInt32LE(1, L.CONN_OPEN.role);
  b.writeBigUInt64LE(123n, L.CONN_OPEN.ts_ns);
  writeId(b, L.CONN_OPEN.id, id);
  b.writeUInt16LE(family, L.CONN_OPEN.family);
  b.writeUInt16LE(6, L.CONN_OPEN.protocol);
  b.writeUInt16LE(lport, L.CONN_OPEN.local_port);
  b.writeUInt16LE(rport, L.CONN_OPEN.remote_port);
  Buffer.from(local).copy(b, L.CONN_OPEN.local_addr);
  Buffer.from(remote).copy(b, L.CONN_OPEN.remote_addr);
  b.writeUInt32LE(1, L.CONN_OPEN.source);
  b.writeUInt32LE(4243, L.CONN_OPEN.tid);
  b.write('nginx\0', L.CONN_OPEN.comm, 'latin1');
  return b;
}

export interface DataFields {
  len?: number;
  flags?: number;
  pos?: number;
  syscall?: number;
  /** 0 ingress, 1 egress. @default 1 */
  dir?: number;
  tsNs?: bigint;
  id?: IdFields;
}

export function dataRecord(payload: Buffer, opts: DataFields = {}): Buffer {
  const b = Buffer.alloc(L.DATA.size + payload.length);
  b.writeUInt32LE(L.EV_DATA, 0);
  b.writeUInt16LE(opts.syscall ?? L.SYSCALLS.indexOf('writev'), L.DATA.syscall);
  b[L.DATA.direction] = opts.dir ?? 1;
  b[L.DATA.flags] = opts.flags ?? 0;
  b.writeBigUInt64LE(opts.tsNs ?? 2000n, L.DATA.ts_ns);
  writeId(b, L.DATA.id, opts.id);
  b.writeBigUInt64LE(BigInt(opts.pos ?? 0), L.DATA.pos);
  b.writeUInt32LE(opts.len ?? payload.length, L.DATA.len_bytes);
  b.writeUInt32LE(payload.length, L.DATA.captured_bytes);
  payload.copy(b, L.DATA.payload);
  return b;
}

export function closeRecord(ingressBytes: bigint, egressBytes: bigint, id: IdFields = {}, tsNs = 3000n): Buffer {
  const b = Buffer.alloc(L.CONN_CLOSE.size);
  b.writeUInt32LE(L.EV_CONN_CLOSE, 0);
  b.writeBigUInt64LE(tsNs, L.CONN_CLOSE.ts_ns);
  writeId(b, L.CONN_CLOSE.id, id);
  b.writeBigUInt64LE(ingressBytes, L.CONN_CLOSE.ingress_bytes);
  b.writeBigUInt64LE(egressBytes, L.CONN_CLOSE.egress_bytes);
  return b;
}
