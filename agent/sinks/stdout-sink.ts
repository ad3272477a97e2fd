/**
 * The stdout exporter: `jsonl` writes exactly the exchange record, one per line, and nothing else;
 * `pretty` one readable line per exchange. Logs never go to stdout (they go to stderr).
 */
import type { Writable } from 'node:stream';
import { prettyLine } from './pretty-line';
import { LineSink } from './line-sink';
import type { SinkLog } from './sink';
import { writeChunk } from './write-lines';

export interface StdoutSinkOptions {
  format: 'jsonl' | 'pretty';
  queueSize: number;
  /** @default process.stdout */
  stream?: Writable;
  log?: SinkLog;
}

export class StdoutSink extends LineSink {
  readonly name = 'stdout';
  private readonly stream: Writable;
  private failed = false;

  constructor(private readonly options: StdoutSinkOptions) {
    super({ queueSize: options.queueSize, format: options.format === 'jsonl' ? undefined : prettyLine });
    this.stream = options.stream ?? process.stdout;
    // A closed pipe (`socktap run | head`) must not kill the agent with EPIPE.
    this.stream.on('error', () => (this.failed = true));
  }

  protected override ready(): boolean {
    return !this.failed;
  }

  protected write(chunk: Buffer): Promise<void> {
    return writeChunk(this.stream, chunk);
  }

  protected onDeliveryError(err: unknown, records: number): void {
    this.failed = true;
    this.options.log?.warn(`stdout: write failed (${(err as Error).message}); ${records} exchanges dropped, stdout output stopped`);
  }

  protected async shutdown(): Promise<void> {}
}
