/**
 * The HAR exporter: exchanges appended to one HAR 1.2 file (`exporters.har.path`), replaced at
 * start.
 *
 * The file is valid HAR after every delivered batch, not only after close: each batch overwrites
 * the closing `]}}` with its entries and writes the closing bytes again, in one positional write
 * (layout in har/har-file.ts). Killing the agent between batches leaves a complete file; killing
 * it during a write can leave one torn batch, which `recoverHar` cuts back to the last whole entry.
 * No fsync per batch: the page cache survives the agent's death, and only a machine crash could
 * lose the last batches (close does sync).
 *
 * All I/O is async and happens in the delivery loop, one write per batch; `offer` only queues.
 */
import { open, type FileHandle } from 'node:fs/promises';
import type { ExchangeRecord } from '../pipeline/record';
import { agentVersion } from './agent-version';
import { harEntry } from './har/har-entry';
import { batchText, harHead, HAR_TAIL } from './har/har-file';
import { QueuedSink, type SinkLog } from './sink';

export interface HarSinkOptions {
  /** The HAR file (`exporters.har.path`); created, or truncated if it exists. */
  readonly path: string;
  /** Where write trouble is reported, once per change between working and failing. */
  readonly log: SinkLog;
  /** Records held while the file is being written. @default 10000 */
  readonly queueSize?: number;
  /** Entries per write. @default 512 */
  readonly batchSize?: number;
}

export class HarSink extends QueuedSink {
  readonly name = 'har';
  private readonly options: HarSinkOptions;
  private file: FileHandle | undefined;
  private opening: Promise<void> | undefined;
  /** Byte offset of the closing `]}}` tail: where the next batch goes. */
  private tailAt = 0;
  private entries = 0;
  private failing = false;
  /** A failed write may have left bytes past the tail that restoring it could not cut off. */
  private torn = false;

  constructor(options: HarSinkOptions) {
    super({ queueSize: options.queueSize ?? 10_000, batchSize: options.batchSize ?? 512 });
    this.options = options;
  }

  /**
   * Creates the file with an empty, valid HAR document. Rejects when the file cannot be created
   * (so `socktap run` can refuse to start); records offered before then wait in the queue.
   */
  start(): Promise<void> {
    this.opening ??= this.openFile();
    return this.opening;
  }

  protected override ready(): boolean {
    return this.file !== undefined;
  }

  protected async deliver(batch: ExchangeRecord[]): Promise<readonly ExchangeRecord[]> {
    const file = this.file!;
    const { text, entriesText } = batchText(batch.map(harEntry), this.entries === 0);
    try {
      await writeAll(file, Buffer.from(text, 'utf8'), this.tailAt);
    } catch (err) {
      await this.restoreTail(file);
      throw err;
    }
    this.tailAt += Buffer.byteLength(entriesText, 'utf8');
    this.entries += batch.length;
    if (this.torn) {
      await file.truncate(this.tailAt + HAR_TAIL.length);
      this.torn = false;
    }
    if (this.failing) {
      this.failing = false;
      this.options.log.info(`har: writing ${this.options.path} works again`);
    }
    return [];
  }

  protected onDeliveryError(err: unknown, records: number): void {
    if (this.failing) return;
    this.failing = true;
    const code = (err as { code?: unknown } | null)?.code;
    this.options.log.warn(
      `har: writing ${this.options.path} failed (${typeof code === 'string' ? code : String(err)}); ${records} exchanges dropped, later ones are dropped and counted until writes succeed`,
    );
  }

  protected async shutdown(): Promise<void> {
    // A close before the file finished opening must still leave a valid (empty) HAR file.
    await this.opening?.catch(() => undefined);
    const file = this.file;
    this.file = undefined;
    if (!file) return;
    try {
      await file.sync();
    } catch (err) {
      this.options.log.warn(`har: syncing ${this.options.path} failed (${String(err)})`);
    }
    await file.close();
  }

  private async openFile(): Promise<void> {
    const head = Buffer.from(harHead({ name: 'socktap', version: agentVersion() }), 'utf8');
    let file: FileHandle | undefined;
    try {
      file = await open(this.options.path, 'w');
      await writeAll(file, Buffer.concat([head, Buffer.from(HAR_TAIL)]), 0);
    } catch (err) {
      await file?.close().catch(() => undefined);
      throw new Error(`har: cannot create ${this.options.path}: ${(err as Error).message}`, { cause: err });
    }
    this.file = file;
    this.tailAt = head.length;
    this.kick();
  }

  /**
   * After a failed write (disk full), the bytes past the tail's offset may be a torn batch: write
   * the tail back and cut the file there, so the file stays valid with the entries it had.
   */
  private async restoreTail(file: FileHandle): Promise<void> {
    try {
      await writeAll(file, Buffer.from(HAR_TAIL), this.tailAt);
      await file.truncate(this.tailAt + HAR_TAIL.length);
    } catch {
      // The disk still refuses: the next batch that can be written rewrites the tail and cuts.
      this.torn = true;
    }
  }
}

/** Positional write of all of `buf` at `position`; fs may write less than asked, so loop. */
async function writeAll(file: FileHandle, buf: Buffer, position: number): Promise<void> {
  let done = 0;
  while (done < buf.length) {
    const { bytesWritten } = await file.write(buf, done, buf.length - done, position + done);
    done += bytesWritten;
  }
}
