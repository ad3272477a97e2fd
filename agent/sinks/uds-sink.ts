/**
 * The unix domain socket exporter: exchange records as JSON lines.
 *
 * - connect mode (the reference agent's): socktap connects to a collector listening at the path,
 *   and reconnects with backoff when it is absent or goes away. While disconnected, records wait in
 *   the bounded queue (`uds_event_queue_size`); beyond it they are dropped and counted.
 * - listen mode: socktap listens at the path (socket file mode 0660) and every connected consumer
 *   gets every line. With no consumer connected, records wait in the queue as above.
 *
 * Lines are never split across connections: a batch is one write on one socket; a batch whose write
 * fails is counted as dropped, not resent (resending could duplicate the lines the peer did read).
 */
import { mkdir, chmod, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { Backoff } from './backoff';
import { LineSink } from './line-sink';
import type { SinkLog } from './sink';
import { writeChunk } from './write-lines';

/** How long a closing connection may take to flush what the kernel still holds for the collector. */
const END_GRACE_MS = 1000;

export interface UdsSinkOptions {
  /** The socket path (`unix_domain_socket_addr`). */
  path: string;
  /** Listen at the path instead of connecting to it. @default false */
  listen?: boolean;
  /** `uds_event_queue_size`. */
  queueSize: number;
  log: SinkLog;
  /** @default new Backoff(100, 5000) */
  backoff?: Backoff;
}

export class UdsSink extends LineSink {
  readonly name = 'uds';
  private readonly backoff: Backoff;
  private closed = false;
  // connect mode
  private socket: Socket | undefined;
  /** A connection attempt not yet answered: closing must end it too. */
  private connecting: Socket | undefined;
  private retry: NodeJS.Timeout | undefined;
  private lastProblem = '';
  // listen mode
  private server: Server | undefined;
  private readonly consumers = new Set<Socket>();

  constructor(private readonly options: UdsSinkOptions) {
    super({ queueSize: options.queueSize });
    this.backoff = options.backoff ?? new Backoff();
  }

  /** Connects (or starts listening). Resolves once listening; in connect mode at once. */
  async start(): Promise<void> {
    if (this.options.listen) await this.listen();
    else this.connect();
  }

  protected override ready(): boolean {
    return this.options.listen ? this.consumers.size > 0 : this.socket !== undefined;
  }

  protected async write(chunk: Buffer): Promise<void> {
    if (!this.options.listen) return writeChunk(this.socket!, chunk);
    // Every consumer gets the lines; they count as sent when at least one took them.
    const results = await Promise.allSettled([...this.consumers].map((c) => writeChunk(c, chunk)));
    if (results.some((r) => r.status === 'fulfilled')) return;
    throw (results[0] as PromiseRejectedResult | undefined)?.reason ?? new Error('no consumer connected');
  }

  protected onDeliveryError(err: unknown, records: number): void {
    this.options.log.warn(`uds: ${records} exchanges dropped: write to ${this.options.path} failed (${describe(err)})`);
  }

  protected async shutdown(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retry);
    // A close right after start (the capture failed to load) finds the first attempt in flight:
    // left alone, it connected after the close and its socket kept the process alive for good.
    this.connecting?.destroy();
    this.connecting = undefined;
    const socket = this.socket;
    this.socket = undefined;
    if (socket !== undefined) {
      // end() alone keeps the socket until the collector closes its side as well, and a
      // collector that never does (it reads to EOF and keeps the descriptor) kept the agent from
      // exiting after its final stats line. The lines were handed over before shutdown (or given
      // up at close's timeout): the FIN goes out after them, then the socket is let go, at the
      // latest after END_GRACE_MS if the collector does not read what is still in flight.
      socket.end(() => socket.destroy());
      setTimeout(() => socket.destroy(), END_GRACE_MS).unref();
    }
    for (const c of this.consumers) c.destroy();
    this.consumers.clear();
    if (this.server) {
      await new Promise<void>((resolve) => this.server!.close(() => resolve()));
      await unlink(this.options.path).catch(() => undefined);
    }
  }

  // --- connect mode ---

  private connect(): void {
    if (this.closed) return;
    const socket = createConnection({ path: this.options.path });
    this.connecting = socket;
    let connected = false;
    socket.on('connect', () => {
      if (this.connecting === socket) this.connecting = undefined;
      connected = true;
      this.socket = socket;
      this.backoff.reset();
      this.lastProblem = '';
      this.options.log.info(`uds: connected to ${this.options.path}`);
      this.kick();
    });
    // Reading is how a collector going away is noticed between writes; what it sends is ignored.
    socket.on('data', () => undefined);
    socket.on('error', (err) => {
      const problem = describe(err);
      if (problem !== this.lastProblem) {
        this.lastProblem = problem;
        this.options.log.warn(
          `uds: ${connected ? 'lost' : 'cannot connect to'} ${this.options.path} (${problem}); retrying with backoff, ` +
            `exchanges wait in a queue of ${this.options.queueSize} and are dropped beyond it`,
        );
      }
    });
    socket.on('close', () => {
      if (this.connecting === socket) this.connecting = undefined;
      if (this.socket === socket) this.socket = undefined;
      if (connected && this.lastProblem === '') this.options.log.warn(`uds: ${this.options.path} closed the connection; reconnecting`);
      if (!this.closed) this.retry = setTimeout(() => this.connect(), this.backoff.next());
    });
  }

  // --- listen mode ---

  private async listen(): Promise<void> {
    const path = this.options.path;
    await mkdir(dirname(path), { recursive: true, mode: 0o750 });
    // A socket file left by a previous run would make listen fail with EADDRINUSE.
    await unlink(path).catch(() => undefined);
    const server = createServer((c) => {
      this.consumers.add(c);
      c.on('data', () => undefined);
      c.on('error', () => undefined);
      c.on('close', () => this.consumers.delete(c));
      this.kick();
    });
    // The umask narrows the file mode from the first instant; chmod makes it exactly 0660.
    const previous = process.umask(0o117);
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(path, () => resolve());
      });
    } finally {
      process.umask(previous);
    }
    await chmod(path, 0o660);
    this.server = server;
    this.options.log.info(`uds: listening on ${path} (mode 0660)`);
  }
}

function describe(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  return e.code ?? e.message ?? String(err);
}
