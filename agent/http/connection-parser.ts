/**
 * The HTTP/1.x parser of one observed TCP connection: the client->server stream (requests) and
 * the server->client stream (responses), each pushed in arbitrary chunks, paired into
 * exchanges. Pure: no I/O, no timers; the owner calls `close`/`expire`.
 *
 * Never throws on input. Bad bytes become counted errors and resyncs; a fault in the parser
 * itself (or a sink that throws) is counted as `internal_error` and resets the direction, so one
 * connection's state is the most it can cost the agent.
 */
import type { HttpParseErrorCode } from './error-codes';
import { ExchangePairer } from './exchange-pairer';
import { parseRequestHead, parseResponseHead, type RequestHead, type ResponseHead } from './head';
import { resolveHttpParserOptions, type HttpParserLimits, type HttpParserOptions } from './limits';
import { MessageParser } from './message-parser';
import type { HttpConnectionStats, HttpDirection, HttpExchangeSink } from './types';

export class HttpConnectionParser {
  readonly limits: HttpParserLimits;
  private readonly requests: MessageParser<RequestHead>;
  private readonly responses: MessageParser<ResponseHead>;
  private readonly pairer: ExchangePairer;
  private readonly counts = {
    exchanges: 0,
    upgrades: 0,
    errors: { request: 0, response: 0 },
    resyncs: { request: 0, response: 0 },
  };
  /** The request parser is inside a call: a release of its held input must wait until it returns. */
  private requestsBusy = false;
  private resumeRequests = false;
  private ended = false;

  /** Throws SocktapError (SOCKTAP_INVALID_ARGUMENT) for bad options; nothing after that throws. */
  constructor(
    options: HttpParserOptions | undefined,
    private readonly sink: HttpExchangeSink,
  ) {
    this.limits = resolveHttpParserOptions(options);
    this.pairer = new ExchangePairer(this.limits, {
      exchange: (ex) => {
        this.counts.exchanges++;
        this.sink.onExchange(ex);
      },
      error: (direction, code) => this.error(direction, code),
      switched: () => {
        this.counts.upgrades++;
        this.requests.stop();
        this.responses.stop();
      },
      // Replay the held request bytes at once, before the response stream goes on: the
      // responses that follow answer the requests in those bytes.
      declined: () => {
        this.resumeRequests = true;
        if (!this.requestsBusy) this.replayReleasedRequests();
      },
    });
    this.requests = new MessageParser<RequestHead>('request', this.limits, parseRequestHead, {
      onHead: (head, startNs) => this.pairer.requestHead(head, startNs),
      onMessage: (m) => {
        if (this.pairer.requestDone(m)) this.requests.pause();
      },
      onError: (code) => this.error('request', code),
      onResync: () => this.resync('request'),
    });
    this.responses = new MessageParser<ResponseHead>('response', this.limits, parseResponseHead, {
      onHead: (head, startNs, afterLoss) => this.pairer.responseHead(head, startNs, afterLoss),
      onMessage: (m) => this.pairer.responseDone(m),
      onError: (code) => this.error('response', code),
      onResync: () => this.resync('response'),
    });
  }

  /** Client->server bytes. `tsNs`: when they were captured; `buf` is not used after the call. */
  pushRequestBytes(buf: Buffer, tsNs: bigint): void {
    if (this.ended) return;
    try {
      this.requestsBusy = true;
      this.requests.push(buf, tsNs);
      this.requestsBusy = false;
      this.replayReleasedRequests();
    } catch {
      this.fault('request');
    }
  }

  /** Server->client bytes. `tsNs`: when they were captured; `buf` is not used after the call. */
  pushResponseBytes(buf: Buffer, tsNs: bigint): void {
    if (this.ended) return;
    try {
      this.responses.push(buf, tsNs);
    } catch {
      this.fault('response');
    }
  }

  /** `lengthBytes` bytes of `direction` were lost or not captured at this point of the stream. */
  gap(direction: HttpDirection, lengthBytes: number): void {
    if (this.ended || !(lengthBytes > 0)) return;
    try {
      if (direction === 'response') {
        this.responses.gap(lengthBytes);
      } else {
        this.requestsBusy = true;
        this.requests.gap(lengthBytes);
        this.requestsBusy = false;
        this.replayReleasedRequests();
      }
    } catch {
      this.fault(direction);
    }
  }

  /** The connection closed: bodies delimited by the close end; requests left unanswered are emitted incomplete ('closed'). */
  close(tsNs: bigint): void {
    this.end('closed', tsNs);
  }

  /** The connection is given up as idle: whatever is pending is emitted incomplete ('timeout'). */
  expire(tsNs: bigint): void {
    this.end('timeout', tsNs);
  }

  /** Bytes this connection holds (partial heads and lines, kept bodies, held input). */
  get bufferedBytes(): number {
    return this.requests.bufferedBytes + this.responses.bufferedBytes + this.pairer.bufferedBytes;
  }

  get stats(): HttpConnectionStats {
    const c = this.counts;
    return {
      exchanges: c.exchanges,
      upgrades: c.upgrades,
      errors: { ...c.errors },
      resyncs: { ...c.resyncs },
      skippedBytes: { request: this.requests.skippedBytes, response: this.responses.skippedBytes },
    };
  }

  private end(reason: 'closed' | 'timeout', tsNs: bigint): void {
    if (this.ended) return;
    this.ended = true;
    try {
      this.requests.end(reason);
      this.responses.end(reason);
      this.pairer.finish(reason, tsNs);
    } catch {
      this.fault('request');
    }
  }

  /** Parses request bytes a response released (declined Upgrade/CONNECT) while the request parser was busy. */
  private replayReleasedRequests(): void {
    while (this.resumeRequests) {
      this.resumeRequests = false;
      this.requestsBusy = true;
      this.requests.resume();
      this.requestsBusy = false;
    }
  }

  private fault(direction: HttpDirection): void {
    this.resumeRequests = false;
    this.requestsBusy = false;
    this.counts.errors[direction]++;
    try {
      this.sink.onError(direction, 'internal_error');
      this.pairer.forget(direction);
      (direction === 'request' ? this.requests : this.responses).reset();
    } catch {
      // Only a sink that throws again gets here; the error is counted, and the next push
      // starts from a resync whatever state was left.
    }
  }

  private error(direction: HttpDirection, code: HttpParseErrorCode): void {
    this.counts.errors[direction]++;
    this.sink.onError(direction, code);
  }

  private resync(direction: HttpDirection): void {
    this.counts.resyncs[direction]++;
    this.sink.onResync?.(direction);
  }
}
