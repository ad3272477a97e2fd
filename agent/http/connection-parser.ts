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
import { ExchangePairer, type PairerOutput } from './exchange-pairer';
import type { Framing } from './framing';
import { parseRequestHead, parseResponseHead, type RequestHead, type ResponseHead } from './head';
import { resolveHttpParserOptions, type HttpParserLimits, type HttpParserOptions } from './limits';
import { MessageParser, type MessageEvents, type ParsedMessage } from './message-parser';
import type { HttpConnectionStats, HttpDirection, HttpExchange, HttpExchangeSink } from './types';

export class HttpConnectionParser {
  readonly limits: HttpParserLimits;
  private readonly core: ConnectionCore;
  private ended = false;

  /** Throws SocktapError (SOCKTAP_INVALID_ARGUMENT) for bad options; nothing after that throws. */
  constructor(options: HttpParserOptions | undefined, sink: HttpExchangeSink) {
    this.limits = resolveHttpParserOptions(options);
    this.core = new ConnectionCore(this.limits, sink);
  }

  /** Client->server bytes. `tsNs`: when they were captured; `buf` is not used after the call. */
  pushRequestBytes(buf: Buffer, tsNs: bigint): void {
    if (this.ended) return;
    const core = this.core;
    try {
      core.requestsBusy = true;
      core.requests.push(buf, tsNs);
      core.requestsBusy = false;
      core.replayReleasedRequests();
    } catch {
      core.fault('request');
    }
  }

  /** Server->client bytes. `tsNs`: when they were captured; `buf` is not used after the call. */
  pushResponseBytes(buf: Buffer, tsNs: bigint): void {
    if (this.ended) return;
    try {
      this.core.responses.push(buf, tsNs);
    } catch {
      this.core.fault('response');
    }
  }

  /** `lengthBytes` bytes of `direction` were lost or not captured at this point of the stream. */
  gap(direction: HttpDirection, lengthBytes: number): void {
    if (this.ended || !(lengthBytes > 0)) return;
    const core = this.core;
    try {
      if (direction === 'response') {
        core.responses.gap(lengthBytes);
      } else {
        core.requestsBusy = true;
        core.requests.gap(lengthBytes);
        core.requestsBusy = false;
        core.replayReleasedRequests();
      }
    } catch {
      core.fault(direction);
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
    const core = this.core;
    return core.requests.bufferedBytes + core.responses.bufferedBytes + core.pairer.bufferedBytes;
  }

  get stats(): HttpConnectionStats {
    const c = this.core;
    return {
      exchanges: c.exchanges,
      upgrades: c.upgrades,
      errors: { request: c.requestErrors, response: c.responseErrors },
      resyncs: { request: c.requestResyncs, response: c.responseResyncs },
      skippedBytes: { request: c.requests.skippedBytes, response: c.responses.skippedBytes },
    };
  }

  private end(reason: 'closed' | 'timeout', tsNs: bigint): void {
    if (this.ended) return;
    this.ended = true;
    const core = this.core;
    try {
      core.requests.end(reason);
      core.responses.end(reason);
      core.pairer.finish(reason, tsNs);
    } catch {
      core.fault('request');
    }
  }
}

/**
 * The parts of one connection's parser and its counters. The parts call back into it as
 * objects (it is the pairer's output; RequestEvents / ResponseEvents are the two directions'
 * events), not through closures: a closure per callback per connection came to ~1 KB per
 * idle connection. Not exported, so these callbacks are not part of HttpConnectionParser's API.
 */
class ConnectionCore implements PairerOutput {
  readonly requests: MessageParser<RequestHead>;
  readonly responses: MessageParser<ResponseHead>;
  readonly pairer: ExchangePairer;
  exchanges = 0;
  upgrades = 0;
  requestErrors = 0;
  responseErrors = 0;
  requestResyncs = 0;
  responseResyncs = 0;
  /** The request parser is inside a call: a release of its held input must wait until it returns. */
  requestsBusy = false;
  resumeRequests = false;

  constructor(
    limits: HttpParserLimits,
    private readonly sink: HttpExchangeSink,
  ) {
    this.pairer = new ExchangePairer(limits, this);
    this.requests = new MessageParser<RequestHead>('request', limits, parseRequestHead, new RequestEvents(this));
    this.responses = new MessageParser<ResponseHead>('response', limits, parseResponseHead, new ResponseEvents(this));
  }

  exchange(ex: HttpExchange): void {
    this.exchanges++;
    this.sink.onExchange(ex);
  }

  error(direction: HttpDirection, code: HttpParseErrorCode): void {
    if (direction === 'request') this.requestErrors++;
    else this.responseErrors++;
    this.sink.onError(direction, code);
  }

  switched(): void {
    this.upgrades++;
    this.requests.stop();
    this.responses.stop();
  }

  // Replay the held request bytes at once, before the response stream goes on: the
  // responses that follow answer the requests in those bytes.
  declined(): void {
    this.resumeRequests = true;
    if (!this.requestsBusy) this.replayReleasedRequests();
  }

  resync(direction: HttpDirection): void {
    if (direction === 'request') this.requestResyncs++;
    else this.responseResyncs++;
    this.sink.onResync?.(direction);
  }

  /** Parses request bytes a response released (declined Upgrade/CONNECT) while the request parser was busy. */
  replayReleasedRequests(): void {
    while (this.resumeRequests) {
      this.resumeRequests = false;
      this.requestsBusy = true;
      this.requests.resume();
      this.requestsBusy = false;
    }
  }

  fault(direction: HttpDirection): void {
    this.resumeRequests = false;
    this.requestsBusy = false;
    if (direction === 'request') this.requestErrors++;
    else this.responseErrors++;
    try {
      this.sink.onError(direction, 'internal_error');
      this.pairer.forget(direction);
      (direction === 'request' ? this.requests : this.responses).reset();
    } catch {
      // Only a sink that throws again gets here; the error is counted, and the next push
      // starts from a resync whatever state was left.
    }
  }
}

class RequestEvents implements MessageEvents<RequestHead> {
  constructor(private readonly core: ConnectionCore) {}

  onHead(head: RequestHead, startNs: bigint): Framing | HttpParseErrorCode {
    return this.core.pairer.requestHead(head, startNs);
  }

  onMessage(m: ParsedMessage<RequestHead>): void {
    if (this.core.pairer.requestDone(m)) this.core.requests.pause();
  }

  onError(code: HttpParseErrorCode): void {
    this.core.error('request', code);
  }

  onResync(): void {
    this.core.resync('request');
  }
}

class ResponseEvents implements MessageEvents<ResponseHead> {
  constructor(private readonly core: ConnectionCore) {}

  onHead(head: ResponseHead, startNs: bigint, afterLoss: boolean): Framing | HttpParseErrorCode {
    return this.core.pairer.responseHead(head, startNs, afterLoss);
  }

  onMessage(m: ParsedMessage<ResponseHead>): void {
    this.core.pairer.responseDone(m);
  }

  onError(code: HttpParseErrorCode): void {
    this.core.error('response', code);
  }

  onResync(): void {
    this.core.resync('response');
  }
}
