/**
 * The native addon's surface, typed, and its loader. The addon is built by `npm run build`
 * (node-gyp in native/, kept out of the package root so npm does not try to compile it at
 * install time, before the BPF skeleton exists); node-gyp-build finds native/build/Release.
 */
import fs from 'node:fs';
import path from 'node:path';
import { SocktapError } from '../util/errors';

export interface NativeSessionOptions {
  maxPayloadBytes?: number;
  maxChunksPerCall?: number;
  ringBufferBytes?: number;
  maxConnections?: number;
  wakeupThresholdBytes?: number;
  includeNonTcp?: boolean;
  pollIntervalMs?: number;
  batchBytes?: number;
  maxPendingBatches?: number;
  maxPendingRecords?: number;
  btfPath?: string;
}

export interface NativeTargets {
  all?: boolean;
  tgids?: number[];
  cgroupIds?: bigint[];
  comms?: string[];
  ports?: number[];
  /** 1: local port (accepted connections), 2: remote port (opened ones), 3: either. */
  portMatch?: 1 | 2 | 3;
}

/** Counters as the addon reports them (kernel counters summed over CPUs + reader hand-off). */
export interface NativeStats {
  /** [entries, exits] per probed syscall, for calls on tracked sockets of targeted processes. */
  probes: Record<string, [number, number]>;
  lostEvents: number;
  lostBytes: number;
  truncatedCalls: number;
  truncatedBytes: number;
  readFailures: number;
  connsOpened: number;
  connsClosed: number;
  /** TLS record bytes of TLS connections, never reported (their plaintext comes from the SSL probes). */
  cipherBytes: number;
  batchesHandedOff: number;
  recordsHandedOff: number;
  handoffDroppedBatches: number;
  handoffDroppedRecords: number;
  ringBufferBytes: number;
}

export interface NativeSession {
  setTargets(targets: NativeTargets): void;
  /** Attaches the SSL probes to a libssl or an executable exporting OpenSSL; returns the functions attached. */
  attachTls(path: string): string[];
  /** Detaches what attachTls(path) attached; false if nothing was. */
  detachTls(path: string): boolean;
  stats(): NativeStats;
  /** Resolves with the final counters once the last batch has been delivered. */
  stop(): Promise<NativeStats>;
  ref(): void;
  unref(): void;
  /** A delivered batch JavaScript will not read again: its memory serves a later batch. */
  recycle(batch: Buffer): void;
}

export interface NativeLayoutStruct {
  size: number;
  [field: string]: number;
}

export interface NativeLayout {
  conn_id: NativeLayoutStruct;
  conn_open: NativeLayoutStruct;
  conn_close: NativeLayoutStruct;
  data: NativeLayoutStruct;
  constants: Record<string, number>;
}

export interface TracefsStatus {
  ok: boolean;
  mountedNow: boolean;
  path: string;
  error?: string;
}

/** 1 = supported, 0 = not supported, negative = could not tell (an errno, usually EPERM). */
export interface KernelFeatureProbe {
  ringbuf: number;
  tracepointProgram: number;
  kprobeProgram: number;
  bpfLoop: number;
  probeReadUser: number;
  cgroupId: number;
}

export interface NativeAddon {
  Session: new (options: NativeSessionOptions, onBatch: (batch: Buffer, records: number) => void) => NativeSession;
  layout(): NativeLayout;
  ensureTracefs(): TracefsStatus;
  probeFeatures(): KernelFeatureProbe;
  libbpfVersion: string;
  /** The JSON line writer's escape tables (record-json.ts decides them), set once before jsonAscii. */
  jsonTables(asciiOut: Uint8Array, shortEscapes: Uint8Array): void;
  /** `bytes` as a JSON string at out[at] if all ASCII: the offset after it, else -1. */
  jsonAscii(out: Buffer, at: number, bytes: Buffer): number;
  /** The fast path (native/src/fast-lines.cc); jsonTables must have been called. */
  FastLines: new (options: NativeFastLinesOptions) => NativeFastLines;
}

export interface NativeFastLinesOptions {
  mode: 'all' | 'ingress' | 'egress';
  ports: readonly number[];
  maxBodyBytes: number;
  redactHeaders: readonly string[];
  /** Wall-clock ns minus CLOCK_MONOTONIC ns (MonotonicClock.offsetNs). */
  clockOffsetNs: bigint;
  decodeContent: boolean;
  /**
   * Asked once per connection (Kubernetes mode): the mode to apply instead of `mode` and the
   * labels' part of its lines (record-json.ts labelsJson); undefined: `mode`, no labels.
   */
  policy?: (pid: number, cgroupId: bigint) => { mode: 'all' | 'ingress' | 'egress'; labels: Buffer } | undefined;
}

export interface NativeFastLinesStats {
  connections: number;
  exchanges: number;
  expired: number;
  handedOver: number;
  /** Events taken from batches, by kind. */
  dataEvents: number;
  openEvents: number;
  closeEvents: number;
  /** Records written for JavaScript (hand-overs), by kind. */
  syntheticOpen: number;
  syntheticData: number;
  /** Connections it holds now. */
  tracked: number;
}

export interface NativeFastLines {
  /**
   * The lines go into `linesOut` (its first lineBytes bytes), or into `grown` when they do not
   * fit (a larger buffer, for the caller to pass from then on). rest: undefined when nothing was
   * taken (the batch is JavaScript's as it is), null when nothing is left.
   */
  take(batch: Buffer, linesOut: Buffer): { lineCount: number; lineBytes: number; grown?: Buffer; rest: Buffer | null | undefined };
  /** Connections without events since `beforeNs`: records for JavaScript (hand-overs), or null. */
  expire(beforeNs: bigint): Buffer | null;
  stats(): NativeFastLinesStats;
}

/** Package root: two levels up from agent/capture (source) or dist/agent/capture (built). */
export function packageRoot(): string {
  let dir = __dirname;
  for (let i = 0; i < 4; i++) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    dir = path.dirname(dir);
  }
  throw new SocktapError('SOCKTAP_SYSTEM', `cannot find the socktap package root above ${__dirname}`);
}

let cached: NativeAddon | undefined;

/** Loads the addon once; a missing build becomes an error that says which command builds it. */
export function loadNative(): NativeAddon {
  if (cached) return cached;
  const root = packageRoot();
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const load = require('node-gyp-build') as (dir: string) => NativeAddon;
    cached = load(path.join(root, 'native'));
    return cached;
  } catch (err) {
    throw new SocktapError(
      'SOCKTAP_ADDON_MISSING',
      `the socktap native addon (native/build/Release/socktap.node) is not built or cannot be loaded (${(err as Error).message.split('\n')[0]}). ` +
        `Run \`npm run build\` in ${root} (it needs clang, libbpf-dev and bpftool: \`npm run setup\` installs them).`,
      { cause: err },
    );
  }
}
