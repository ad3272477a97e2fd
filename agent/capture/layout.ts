/**
 * Offsets of the records defined in bpf/socktap.h. A test (test/unit/layout.test.ts) compares
 * every number here with the addon's `layout()`, which the C compiler computed from the header,
 * so the two cannot drift apart silently.
 */
export const CONN_ID = { size: 24, tgid: 0, fd: 4, generation: 8, proc_start_ns: 16 } as const;

export const CONN_OPEN = {
  size: 112,
  type: 0,
  role: 4,
  ts_ns: 8,
  id: 16,
  family: 40,
  protocol: 42,
  local_port: 44,
  remote_port: 46,
  local_addr: 48,
  remote_addr: 64,
  source: 80,
  tid: 84,
  comm: 88,
  cgroup_id: 104,
} as const;

export const CONN_CLOSE = { size: 56, type: 0, ts_ns: 8, id: 16, ingress_bytes: 40, egress_bytes: 48 } as const;

export const DATA = {
  size: 56,
  type: 0,
  syscall: 4,
  direction: 6,
  flags: 7,
  ts_ns: 8,
  id: 16,
  pos: 40,
  len_bytes: 48,
  captured_bytes: 52,
  payload: 56,
} as const;

/** Wire values of the header's enums and flags (do not renumber in C either). */
export const EV_CONN_OPEN = 1;
export const EV_CONN_CLOSE = 2;
export const EV_DATA = 3;
/**
 * Written by the addon's fast path (native/src/fast-lines.cc), never by the kernel: a connection
 * it hands to JavaScript mid-life. An open record, then where each stream resumes.
 */
export const EV_CONN_RESUME = 0x100;
export const CONN_RESUME = { size: 128, ingress_pos: 112, egress_pos: 120 } as const;

export const PAYLOAD_CAP = 16384;
export const DEFAULT_PAYLOAD_BYTES = 16384;
export const DEFAULT_CHUNKS_PER_CALL = 256;
export const MAX_CHUNKS_PER_CALL = 4096;

export const DATA_F_NO_PAYLOAD = 0x1;
export const DATA_F_TRUNCATED = 0x2;
export const DATA_F_READ_FAILED = 0x4;
/** Plaintext from the TLS library's probes (SSL_read/SSL_write), not the socket's bytes. */
export const DATA_F_TLS = 0x8;

/** enum socktap_syscall, in order: the index is the wire value. */
export const SYSCALLS = [
  'accept',
  'accept4',
  'connect',
  'close',
  'read',
  'write',
  'readv',
  'writev',
  'sendto',
  'recvfrom',
  'sendmsg',
  'recvmsg',
  'sendmmsg',
  'recvmmsg',
  'sendfile',
  'SSL_read',
  'SSL_write',
  'SSL_read_ex',
  'SSL_write_ex',
] as const;
export type SyscallName = (typeof SYSCALLS)[number];

export const ROLES = ['unknown', 'server', 'client'] as const;
export type Role = (typeof ROLES)[number];

/** enum socktap_conn_source; index 0 is unused. */
export const SOURCES = ['invalid', 'accept', 'connect', 'first_data'] as const;
export type ConnSource = Exclude<(typeof SOURCES)[number], 'invalid'>;

export const DIRECTIONS = ['ingress', 'egress'] as const;
export type Direction = (typeof DIRECTIONS)[number];

/** Batch framing written by native/src/reader.cc: u32 length, u32 reserved, record, pad to 8. */
export const FRAME_HEADER = 8;
export const FRAME_ALIGN = 8;
