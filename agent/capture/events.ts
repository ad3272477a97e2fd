/** Decoded capture records: what the Tracer hands its consumers. */
import type { ConnSource, Direction, Role, SyscallName } from './layout';

/** Identity of one connection; `key` is the canonical string form `tgid:fd:generation`. */
export interface ConnId {
  readonly tgid: number;
  readonly fd: number;
  /** Unique per connection while the programs stay loaded: separates fd reuse. */
  readonly generation: bigint;
  /** Process start, ns since boot: separates pid reuse. */
  readonly procStartNs: bigint;
  readonly key: string;
}

export interface Endpoint {
  /** Textual address (`127.0.0.1`, `::1`); IPv4-mapped IPv6 is shown as IPv4. Empty for unix. */
  readonly ip: string;
  readonly port: number;
}

export interface ConnOpenEvent {
  readonly kind: 'open';
  readonly conn: ConnId;
  readonly role: Role;
  readonly source: ConnSource;
  readonly family: 'ipv4' | 'ipv6' | 'unix';
  readonly protocol: 'tcp' | 'udp' | 'unix';
  readonly local: Endpoint;
  readonly remote: Endpoint;
  /** CLOCK_MONOTONIC ns. */
  readonly tsNs: bigint;
  readonly tid: number;
  readonly comm: string;
  /** cgroup v2 id of the process when the connection was seen (Kubernetes: its container). */
  readonly cgroupId: bigint;
  /**
   * Set when the addon's fast path hands over a connection it had been writing lines for: the
   * stream positions its slices resume at (each at the start of a message not yet written).
   */
  readonly resumeAt?: { readonly ingress: number; readonly egress: number };
}

export interface ConnCloseEvent {
  readonly kind: 'close';
  readonly conn: ConnId;
  readonly tsNs: bigint;
  /** Final stream lengths: every byte ever reported per direction. */
  readonly ingressBytes: bigint;
  readonly egressBytes: bigint;
}

/**
 * A slice of one direction's byte stream. Delivered as a view of the batch buffer: valid during
 * the 'batch' callback; keep `materialize(ev)` (agent/capture/decode) to hold on to it.
 */
export interface DataEvent {
  readonly kind: 'data';
  readonly conn: ConnId;
  readonly syscall: SyscallName;
  readonly direction: Direction;
  /** CLOCK_MONOTONIC ns at the syscall's exit; the same for every slice of one call. */
  readonly tsNs: bigint;
  /** Stream position of the first byte this event covers. */
  readonly pos: number;
  /** Stream bytes this event covers; `payload.length` may be smaller (a known hole). */
  readonly len: number;
  /** View into the batch buffer (no copy); copy it if you keep it past the batch. */
  readonly payload: Buffer;
  /** sendfile: the kernel moved the bytes without user memory. */
  readonly noPayload: boolean;
  /** The per-call cap was reached; this event reports the uncaptured rest. */
  readonly truncated: boolean;
  /** The user buffer could not be read. */
  readonly readFailed: boolean;
  /** Plaintext from the TLS library (SSL_read/SSL_write probes); `syscall` names the function. */
  readonly tls: boolean;
}

export type CaptureEvent = ConnOpenEvent | ConnCloseEvent | DataEvent;
