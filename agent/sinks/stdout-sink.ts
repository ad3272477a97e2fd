/**
 * The stdout exporter: `jsonl` writes exactly the exchange record, one per line, and nothing else;
 * `pretty` one readable line per exchange. Logs never go to stdout (they go to stderr).
 */
import type { Writable } from 'node:stream';
import type { ExchangeRecord } from '../pipeline/record';
import { prettyLine } from './pretty-line';
import { QueuedSink, type SinkLog } from './sink';
import { LineEncoder, writeChunk } from './write-lines';

export interface StdoutSinkOptions {
  format: 'jsonl' | 'pretty';
  queueSize: number;
  /** @default process.stdout */
  stream?: Writable;
  log?: SinkLog;
}

export class StdoutSink extends QueuedSink {
  readonly name = 'stdout';
  private readonly stream: Writable;
  private readonly lines: LineEncoder;
  private failed = false;

  constructor(private readonly options: StdoutSinkOptions) {
    super({ queueSize: options.queueSize });
    this.stream = options.stream ?? process.stdout;
    this.lines = new LineEncoder(options.format === 'jsonl' ? undefined : prettyLine);
    // A closed pipe (`socktap run | head`) must not kill the agent with EPIPE.
    this.stream.on('error', () => (this.failed = true));
  }

  protected override ready(): boolean {
    return !this.failed;
  }

  protected async deliver(batch: ExchangeRecord[]): Promise<readonly ExchangeRecord[]> {
    await writeChunk(this.stream, this.lines.encode(batch));
    return [];
  }

  protected onDeliveryError(err: unknown, records: number): void {
    this.failed = true;
    this.options.log?.warn(`stdout: write failed (${(err as Error).message}); ${records} exchanges dropped, stdout output stopped`);
  }

  protected async shutdown(): Promise<void> {}
}
