/**
 * Tracer: the typed facade over the native capture session. It loads and attaches the BPF
 * programs, keeps the targets, decodes each batch from the reader thread into events and hands
 * them to listeners ('batch' events) or to an async iterator.
 *
 *   const tracer = new Tracer({ targets: { pids: [1234] } });
 *   tracer.start();
 *   tracer.on('batch', (events) => ...);   // or: for await (const events of tracer) ...
 *   tracer.setTargets({ pids: [1234, 5678] });
 *   const finalStats = await tracer.stop();
 */
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import { MonotonicClock } from './clock';
import { ConnIdTable, decodeBatch, type DecodeCounters } from './decode';
import type { CaptureEvent } from './events';
import { DEFAULT_CHUNKS_PER_CALL, DEFAULT_PAYLOAD_BYTES, MAX_CHUNKS_PER_CALL, PAYLOAD_CAP } from './layout';
import { loadNative, type NativeSession, type NativeStats, type NativeSessionOptions } from './native';
import { SocktapError } from '../util/errors';
import { pidPredicate, TlsScanner, type TlsFileView, type TlsScannerLog } from '../tls';

/** What to capture. Targets are additive: a process matching any of them is captured. */
export interface Targets {
  /** Every process on the host (except the agent itself). @default false */
  readonly all?: boolean;
  /** Process ids (thread group ids). */
  readonly pids?: readonly number[];
  /** cgroup v2 ids (inode numbers of the cgroup directories), as in Kubernetes pod filtering. */
  readonly cgroupIds?: readonly bigint[];
  /**
   * Process names (the main thread's comm, 1 to 15 bytes, as in /proc/PID/comm), matched in the
   * kernel, so processes started later are captured from their first call.
   */
  readonly comms?: readonly string[];
  /**
   * Narrows the others: only connections on these TCP ports are reported, decided in the kernel
   * when the connection is first seen (the rest cost one lookup per call and are never copied).
   * @default every port
   */
  readonly ports?: readonly number[];
  /**
   * Which port `ports` is matched against: `local` for connections the process accepted (its
   * server side), `remote` for those it opened (client side), `both` for either.
   * @default 'both'
   */
  readonly portMatch?: 'local' | 'remote' | 'both';
}

const PORT_MATCH = { local: 1, remote: 2, both: 3 } as const;

export interface TracerOptions {
  /** Initial targets. @default nothing is captured until setTargets() */
  readonly targets?: Targets;
  /** Payload bytes per event (1..16384). @default 16384 */
  readonly maxPayloadBytes?: number;
  /** Events per syscall before the rest is reported as a length only (1..4096). @default 256 */
  readonly maxChunksPerCall?: number;
  /** Ring buffer size in bytes, a power of two. @default 8 MiB */
  readonly ringBufferBytes?: number;
  /** Connections tracked in the kernel at once (LRU beyond). @default 65536 */
  readonly maxConnections?: number;
  /** How often the reader drains the ring buffer when the kernel does not wake it. @default 50 */
  readonly pollIntervalMs?: number;
  /** Ring fill level (bytes) at which the kernel wakes the reader early. @default ringBufferBytes / 4 */
  readonly wakeupThresholdBytes?: number;
  /** Batch size handed to JavaScript. @default 4 MiB */
  readonly batchBytes?: number;
  /** Batches queued for JavaScript before new ones are dropped (and counted). @default 64 */
  readonly maxPendingBatches?: number;
  /**
   * Events queued for JavaScript (over all queued batches) before new batches are dropped and
   * counted; the config's `probe_event_queue_size`. A batch always goes when nothing is queued.
   * @default no bound beyond maxPendingBatches
   */
  readonly maxPendingRecords?: number;
  /** Also track UDP and unix stream sockets. @default false */
  readonly includeNonTcp?: boolean;
  /** BTF file for kernels without /sys/kernel/btf/vmlinux. */
  readonly btfPath?: string;
  /** Batches an async iterator may hold before it drops (and counts) new ones. @default 256 */
  readonly maxIteratorBatches?: number;
  /**
   * TLS plaintext through uprobes on OpenSSL's SSL_read/SSL_write: every `scanIntervalMs` the
   * memory maps of targeted processes are read, and each libssl or OpenSSL-exporting executable
   * (node) they map is attached once, for every process mapping it; files no targeted process
   * maps anymore are released. `false`: no uprobes (TLS connections are then not reported at
   * all: their records are never passed off as HTTP).
   * @default { scanIntervalMs: 2000, procRoot: '/proc' }
   */
  readonly tls?: false | TlsOptions;
}

export interface TlsOptions {
  /** @default 2000 */
  readonly scanIntervalMs?: number;
  /** The host's proc (`/hostproc` in a container). @default '/proc' */
  readonly procRoot?: string;
  /** Attach/release lines and warnings. @default silent */
  readonly log?: TlsScannerLog;
}

/**
 * Sees each batch before it is decoded (the addon's fast path, agent/pipeline/fast-lines.ts):
 * takes what it handles and returns what is left to decode (null: nothing).
 */
export interface BatchFilter {
  take(batch: Buffer): Buffer | null;
  /** Events it took, by kind, net of records it handed back (those are decoded and counted here). */
  events(): { data: number; open: number; close: number };
}

export interface TracerStats extends NativeStats {
  /** Records delivered to JavaScript and decoded. */
  readonly recordsDecoded: number;
  readonly dataEvents: number;
  readonly openEvents: number;
  readonly closeEvents: number;
  readonly malformedRecords: number;
  /** Batches dropped because an async iterator consumer fell behind. */
  readonly iteratorDroppedBatches: number;
}

export interface TracerEvents {
  batch: [events: CaptureEvent[]];
  error: [err: Error];
}

function checkInt(name: string, v: number | undefined, lo: number, hi: number): void {
  if (v === undefined) return;
  if (!Number.isInteger(v) || v < lo || v > hi) {
    throw new SocktapError('SOCKTAP_INVALID_ARGUMENT', `${name} must be an integer in [${lo}, ${hi}], got ${v}`);
  }
}

/** Validates options at the boundary, with one message form. Exported for unit tests. */
export function validateTracerOptions(o: TracerOptions): void {
  checkInt('maxPayloadBytes', o.maxPayloadBytes, 1, PAYLOAD_CAP);
  checkInt('maxChunksPerCall', o.maxChunksPerCall, 1, MAX_CHUNKS_PER_CALL);
  checkInt('ringBufferBytes', o.ringBufferBytes, 4096, 1 << 30);
  if (o.ringBufferBytes !== undefined && (o.ringBufferBytes & (o.ringBufferBytes - 1)) !== 0) {
    throw new SocktapError('SOCKTAP_INVALID_ARGUMENT', `ringBufferBytes must be a power of two, got ${o.ringBufferBytes}`);
  }
  checkInt('maxConnections', o.maxConnections, 64, 1 << 22);
  checkInt('pollIntervalMs', o.pollIntervalMs, 1, 1000);
  checkInt('batchBytes', o.batchBytes, 4096, 64 << 20);
  checkInt('maxPendingBatches', o.maxPendingBatches, 1, 65536);
  checkInt('maxPendingRecords', o.maxPendingRecords, 1, 0xffffffff);
  checkInt('maxIteratorBatches', o.maxIteratorBatches, 1, 1 << 20);
  if (o.tls) checkInt('tls.scanIntervalMs', o.tls.scanIntervalMs, 10, 3_600_000);
  if (o.targets) validateTargets(o.targets);
}

export function validateTargets(t: Targets): void {
  for (const [i, pid] of (t.pids ?? []).entries()) {
    if (!Number.isInteger(pid) || pid < 1 || pid > 4194304) {
      throw new SocktapError('SOCKTAP_INVALID_ARGUMENT', `targets.pids[${i}] must be a process id (1..4194304), got ${pid}`);
    }
  }
  for (const [i, id] of (t.cgroupIds ?? []).entries()) {
    if (typeof id !== 'bigint' || id < 0n || id >= 1n << 64n) {
      throw new SocktapError('SOCKTAP_INVALID_ARGUMENT', `targets.cgroupIds[${i}] must be a 64-bit bigint, got ${String(id)}`);
    }
  }
  for (const [i, port] of (t.ports ?? []).entries()) {
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      throw new SocktapError('SOCKTAP_INVALID_ARGUMENT', `targets.ports[${i}] must be a TCP port (1..65535), got ${port}`);
    }
  }
  if (t.portMatch !== undefined && !(t.portMatch in PORT_MATCH)) {
    throw new SocktapError('SOCKTAP_INVALID_ARGUMENT', `targets.portMatch must be one of local, remote, both, got ${String(t.portMatch)}`);
  }
  for (const [i, name] of (t.comms ?? []).entries()) {
    const bytes = typeof name === 'string' ? Buffer.byteLength(name) : 0;
    if (bytes < 1 || bytes > 15 || name.includes('\0')) {
      throw new SocktapError('SOCKTAP_INVALID_ARGUMENT', `targets.comms[${i}] must be a process name of 1 to 15 bytes, got ${JSON.stringify(name)}`);
    }
  }
}

export class Tracer extends EventEmitter<TracerEvents> {
  /** Converts the events' CLOCK_MONOTONIC timestamps to wall time. */
  readonly clock = new MonotonicClock();
  private session: NativeSession | undefined;
  private readonly ids = new ConnIdTable();
  private readonly decodeCounters: DecodeCounters = { malformed: 0 };
  private counts = { records: 0, data: 0, open: 0, close: 0, iteratorDropped: 0 };
  private filter: BatchFilter | null = null;
  private targets: Targets;
  private finalStats: TracerStats | undefined;
  private stopping: Promise<TracerStats> | undefined;
  private iterators = new Set<{ push(events: CaptureEvent[]): void; end(): void }>();
  private tlsScanner: TlsScanner | undefined;
  /** Which processes the TLS scan looks at: the user-space twin of the kernel's target filter. */
  private wantsPid: (pid: number) => boolean = () => false;
  /** File key -> the path given to attachTls, for the detach. */
  private readonly tlsPaths = new Map<string, string>();

  constructor(private readonly options: TracerOptions = {}) {
    super();
    validateTracerOptions(options);
    this.targets = options.targets ?? {};
  }

  /** True from start() until stop() was called. */
  get running(): boolean {
    return this.session !== undefined && this.stopping === undefined;
  }

  /** Loads and attaches the programs and starts the reader. Throws SocktapError on failure. */
  start(): this {
    if (this.session) throw new SocktapError('SOCKTAP_STATE', 'Tracer.start() called twice');
    if (this.finalStats) throw new SocktapError('SOCKTAP_STATE', 'a stopped Tracer cannot be restarted; create a new one');
    const o = this.options;
    if (o.btfPath !== undefined) {
      try {
        fs.accessSync(o.btfPath, fs.constants.R_OK);
      } catch (err) {
        throw new SocktapError(
          'SOCKTAP_NO_BTF',
          `btfPath ${o.btfPath} is not readable (${(err as NodeJS.ErrnoException).code}): give the BTF file of this kernel (uname -r), e.g. from btfhub`,
        );
      }
    }
    const native = loadNative();
    const nativeOpts: NativeSessionOptions = {
      maxPayloadBytes: o.maxPayloadBytes ?? DEFAULT_PAYLOAD_BYTES,
      maxChunksPerCall: o.maxChunksPerCall ?? DEFAULT_CHUNKS_PER_CALL,
      ringBufferBytes: o.ringBufferBytes,
      maxConnections: o.maxConnections,
      pollIntervalMs: o.pollIntervalMs,
      wakeupThresholdBytes: o.wakeupThresholdBytes,
      batchBytes: o.batchBytes,
      maxPendingBatches: o.maxPendingBatches,
      maxPendingRecords: o.maxPendingRecords,
      includeNonTcp: o.includeNonTcp,
      btfPath: o.btfPath,
    };
    for (const k of Object.keys(nativeOpts) as (keyof NativeSessionOptions)[]) {
      if (nativeOpts[k] === undefined) delete nativeOpts[k];
    }
    try {
      this.session = new native.Session(nativeOpts, (batch, records) => this.onBatch(batch, records));
    } catch (err) {
      throw SocktapError.fromNative(err);
    }
    // A running tracer keeps the process alive, as a listening server does; see unref().
    this.session.ref();
    this.applyTargets();
    if (o.tls !== false) this.startTls(o.tls ?? {});
    return this;
  }

  private startTls(o: TlsOptions): void {
    const session = this.session!;
    this.tlsScanner = new TlsScanner({
      procRoot: o.procRoot,
      intervalMs: o.scanIntervalMs,
      wantsPid: (pid) => this.wantsPid(pid),
      log: o.log,
      attacher: {
        attach: (file) => {
          try {
            const n = session.attachTls(file.hostPath).length;
            this.tlsPaths.set(file.key, file.hostPath);
            return n;
          } catch (err) {
            throw SocktapError.fromNative(err);
          }
        },
        detach: (key) => {
          const p = this.tlsPaths.get(key);
          this.tlsPaths.delete(key);
          if (p !== undefined && this.running) session.detachTls(p);
        },
      },
    });
    this.tlsScanner.start();
  }

  /** Files the TLS probes are attached to, with the targeted pids mapping each (at the last scan). */
  tlsFiles(): TlsFileView[] {
    return this.tlsScanner?.files() ?? [];
  }

  /** Lets the process exit while the tracer runs (for tools that own their lifetime). */
  unref(): this {
    this.session?.unref();
    return this;
  }

  /** Replaces the targets; takes effect in the kernel immediately. */
  setTargets(targets: Targets): void {
    validateTargets(targets);
    this.targets = targets;
    if (this.running) this.applyTargets();
  }

  getTargets(): Targets {
    return this.targets;
  }

  /**
   * Attaches the SSL probes to one file: a libssl, or an executable that exports OpenSSL's
   * SSL_read/SSL_write (node). Every process mapping the file is probed; the programs keep only
   * targets. Returns the functions attached. Throws SocktapError when none could be.
   */
  attachTls(path: string): string[] {
    if (!this.running) throw new SocktapError('SOCKTAP_STATE', 'Tracer.attachTls() while not running');
    try {
      return this.session!.attachTls(path);
    } catch (err) {
      throw SocktapError.fromNative(err);
    }
  }

  /** Detaches what attachTls(path) attached; false when nothing was. */
  detachTls(path: string): boolean {
    if (!this.running) return false;
    try {
      return this.session!.detachTls(path);
    } catch (err) {
      throw SocktapError.fromNative(err);
    }
  }

  /** Current counters; after stop(), the final ones. */
  stats(): TracerStats {
    if (this.finalStats) return this.finalStats;
    if (!this.session) throw new SocktapError('SOCKTAP_STATE', 'Tracer.stats() before start()');
    try {
      return this.compose(this.session.stats());
    } catch (err) {
      throw SocktapError.fromNative(err);
    }
  }

  /**
   * Detaches every program, drains the ring buffer and frees the kernel objects, off the
   * JavaScript thread. Resolves with the final counters after the last batch was delivered to
   * the listeners, so the counters and the events seen agree. Calling it again returns the same
   * promise.
   */
  stop(): Promise<TracerStats> {
    if (this.stopping) return this.stopping;
    if (!this.session) {
      if (this.finalStats) return Promise.resolve(this.finalStats);
      return Promise.reject(new SocktapError('SOCKTAP_STATE', 'Tracer.stop() before start()'));
    }
    const session = this.session;
    // Uprobes first: the session refuses detaches once it is stopping.
    this.tlsScanner?.stop();
    this.tlsScanner = undefined;
    this.stopping = session.stop().then(
      (native) => {
        this.session = undefined;
        this.finalStats = this.compose(native);
        for (const it of this.iterators) it.end();
        this.iterators.clear();
        return this.finalStats;
      },
      (err: unknown) => {
        throw SocktapError.fromNative(err);
      },
    );
    return this.stopping;
  }

  /** Async iteration over decoded batches until stop(). */
  [Symbol.asyncIterator](): AsyncIterator<CaptureEvent[]> {
    const queue: CaptureEvent[][] = [];
    let waiting: ((r: IteratorResult<CaptureEvent[]>) => void) | undefined;
    let ended = !this.session && this.finalStats !== undefined;
    const max = this.options.maxIteratorBatches ?? 256;
    const sink = {
      push: (events: CaptureEvent[]) => {
        if (waiting) {
          const w = waiting;
          waiting = undefined;
          w({ value: events, done: false });
        } else if (queue.length < max) {
          queue.push(events);
        } else {
          this.counts.iteratorDropped++;
        }
      },
      end: () => {
        ended = true;
        if (waiting) {
          const w = waiting;
          waiting = undefined;
          w({ value: undefined, done: true });
        }
      },
    };
    this.iterators.add(sink);
    return {
      next: () => {
        const value = queue.shift();
        if (value) return Promise.resolve({ value, done: false });
        if (ended) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve) => (waiting = resolve));
      },
      return: () => {
        this.iterators.delete(sink);
        sink.end();
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }

  private applyTargets(): void {
    try {
      this.session!.setTargets({
        all: this.targets.all ?? false,
        tgids: [...(this.targets.pids ?? [])],
        cgroupIds: [...(this.targets.cgroupIds ?? [])],
        comms: [...(this.targets.comms ?? [])],
        ports: [...(this.targets.ports ?? [])],
        portMatch: PORT_MATCH[this.targets.portMatch ?? 'both'],
      });
    } catch (err) {
      throw SocktapError.fromNative(err);
    }
    const t = this.targets;
    const procRoot = this.options.tls ? this.options.tls.procRoot : undefined;
    this.wantsPid = pidPredicate({ all: t.all, tgids: t.pids, comms: t.comms, cgroupIds: t.cgroupIds }, { procRoot });
    // New targets may map libraries not attached yet: look now rather than at the next tick.
    if (this.tlsScanner) {
      try {
        this.tlsScanner.scanOnce();
      } catch (err) {
        const log = this.options.tls ? this.options.tls.log : undefined;
        log?.warn(`TLS scan failed: ${(err as Error).message}`);
      }
    }
  }

  /** Every batch goes to `filter` first; its events then count in the stats with the decoded ones. */
  setBatchFilter(filter: BatchFilter | null): void {
    this.filter = filter;
  }

  /** Records the batch filter handed back outside a batch (idle expiry): decoded and delivered as a batch. */
  inject(records: Buffer): void {
    this.deliver(records);
  }

  // JS thread, once per batch from the reader thread.
  private onBatch(batch: Buffer, records: number): void {
    this.counts.records += records;
    const rest = this.filter === null ? batch : this.filter.take(batch);
    if (rest !== null) this.deliver(rest);
    // Listeners use events during the call (DataEvent.payload's contract); iterators keep them.
    if (this.iterators.size === 0) this.session?.recycle(batch);
  }

  private deliver(batch: Buffer): void {
    const events: CaptureEvent[] = [];
    decodeBatch(batch, this.ids, this.decodeCounters, (ev) => {
      events.push(ev);
      if (ev.kind === 'data') this.counts.data++;
      else if (ev.kind === 'open') this.counts.open++;
      else this.counts.close++;
    });
    if (events.length === 0) return;
    try {
      this.emit('batch', events);
    } catch (err) {
      // A throwing listener must not take the reader down with it.
      if (this.listenerCount('error') > 0) this.emit('error', err as Error);
      else process.emitWarning(`socktap: a 'batch' listener threw: ${(err as Error).message}`);
    }
    for (const it of this.iterators) it.push(events);
  }

  private compose(n: NativeStats): TracerStats {
    const f = this.filter?.events() ?? { data: 0, open: 0, close: 0 };
    return {
      ...n,
      recordsDecoded: this.counts.records,
      dataEvents: this.counts.data + f.data,
      openEvents: this.counts.open + f.open,
      closeEvents: this.counts.close + f.close,
      malformedRecords: this.decodeCounters.malformed,
      iteratorDroppedBatches: this.counts.iteratorDropped,
    };
  }
}
