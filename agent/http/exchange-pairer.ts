/**
 * Pairs the messages of the two directions of a connection into exchanges. HTTP/1.x has no ids:
 * responses answer requests in order (pipelining included), interim 1xx responses answer
 * nothing, and a 101 or a 2xx to CONNECT ends HTTP on the connection. Timestamps settle what
 * order alone cannot after capture losses: a response cannot answer a request that started
 * after it.
 */
import type { HttpParseErrorCode } from './error-codes';
import { NO_BODY, requestFraming, responseFraming, type Framing } from './framing';
import type { RequestHead, ResponseHead } from './head';
import type { HttpParserLimits } from './limits';
import type { ParsedMessage } from './message-parser';
import type { HttpDirection, HttpExchange, HttpRequest, HttpResponse, IncompleteReason } from './types';

export interface PairerOutput {
  exchange(exchange: HttpExchange): void;
  error(direction: HttpDirection, code: HttpParseErrorCode): void;
  /** A response switched protocols (101, 2xx to CONNECT): HTTP parsing of the connection ends. */
  switched(): void;
  /** An Upgrade/CONNECT request was answered without a switch: its held request stream may go on. */
  declined(): void;
}

interface Entry {
  readonly head: RequestHead;
  readonly startNs: bigint;
  request: HttpRequest | null;
  requestEndNs: bigint;
  requestCut: boolean;
  /** A final response head was matched to this request. */
  answered: boolean;
  response: HttpResponse | null;
  responseStartNs?: bigint;
  responseEndNs?: bigint;
  responseCut: boolean;
  incomplete?: IncompleteReason;
  upgraded?: string;
  /** Upgrade/CONNECT request whose response has not come: the request stream is held. */
  awaitsVerdict: boolean;
}

/** What the response being parsed answers. */
type Answering = Entry | 'interim' | 'orphan' | null;

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * Adds the fields requests and responses share to `out` (which holds the start-line fields);
 * `trailers` / `contentDecoded` only when there is something to say. Assigned, not spread: this
 * runs twice per exchange and an object spread copies property by property through a slow path.
 */
function withMessageFields<T extends object>(out: T, m: ParsedMessage<RequestHead | ResponseHead>): T & Mutable<Omit<HttpRequest, 'method' | 'target'>> {
  const o = out as T & Mutable<Omit<HttpRequest, 'method' | 'target'>>;
  o.version = m.head.version;
  o.headers = m.head.headers;
  o.body = m.body;
  o.bodySize = m.bodySize;
  o.bodyTruncated = m.bodyTruncated;
  if (m.trailers !== undefined) o.trailers = m.trailers;
  if (m.contentDecoded) o.contentDecoded = true;
  return o;
}

function toRequest(m: ParsedMessage<RequestHead>): HttpRequest {
  return withMessageFields({ method: m.head.method, target: m.head.target }, m);
}

function toResponse(m: ParsedMessage<ResponseHead>): HttpResponse {
  return withMessageFields({ status: m.head.status, reason: m.head.reason }, m);
}

/** The protocol a switching response moves to: `connect`, or the Upgrade token (`websocket`, `h2c`). */
function switchedTo(response: ResponseHead, request: RequestHead): string {
  if (request.method === 'CONNECT' && response.status !== 101) return 'connect';
  return response.headers.tokens('upgrade')[0] ?? request.headers.tokens('upgrade')[0] ?? 'unknown';
}

export class ExchangePairer {
  /** Requests not emitted yet, oldest first. */
  private entries: Entry[] = [];
  /** The request whose body is being parsed. */
  private current: Entry | null = null;
  private answering: Answering = null;
  private answeringSwitches = false;
  private lossBeforeInterim = false;

  constructor(
    private readonly limits: HttpParserLimits,
    private readonly out: PairerOutput,
  ) {}

  /** Body bytes kept by requests awaiting their responses. */
  get bufferedBytes(): number {
    let n = 0;
    for (const e of this.entries) n += (e.request?.body.length ?? 0) + (e.response?.body.length ?? 0);
    return n;
  }

  requestHead(head: RequestHead, startNs: bigint): Framing | HttpParseErrorCode {
    const framing = requestFraming(head);
    if (typeof framing === 'string') return framing;
    const entry: Entry = {
      head,
      startNs,
      request: null,
      requestEndNs: startNs,
      requestCut: false,
      answered: false,
      response: null,
      responseCut: false,
      awaitsVerdict: false,
    };
    // Usually the only one: a one-slot array, where a push onto the emptied one would give it
    // room for 17 (V8's first growth), made and dropped once per exchange.
    if (this.entries.length === 0) this.entries = [entry];
    else this.entries.push(entry);
    this.current = entry;
    let waiting = 0;
    for (const e of this.entries) if (isWaiting(e)) waiting++;
    if (waiting > this.limits.maxPendingRequests) {
      this.out.error('request', 'too_many_pending');
      this.giveUp(this.entries.find(isWaiting) as Entry, 'overflow');
    }
    return framing;
  }

  /** Returns true when the request stream must be held until this request's response. */
  requestDone(message: ParsedMessage<RequestHead>): boolean {
    const e = this.current;
    this.current = null;
    if (e === null) return false;
    e.request = toRequest(message);
    e.requestEndNs = message.endNs;
    e.requestCut = message.cut;
    // A client waits for the verdict on CONNECT / Upgrade before sending the other protocol,
    // but the capture may deliver those bytes before the response: they must not be parsed
    // as HTTP unless the server declines.
    const wantsSwitch = e.head.method === 'CONNECT' || e.head.headers.has('upgrade');
    e.awaitsVerdict = wantsSwitch && isWaiting(e);
    this.settle(e);
    return e.awaitsVerdict;
  }

  responseHead(head: ResponseHead, startNs: bigint, afterLoss: boolean): Framing | HttpParseErrorCode {
    const loss = afterLoss || this.lossBeforeInterim;
    if (head.status >= 100 && head.status < 200 && head.status !== 101) {
      // Interim (100 Continue, 102, 103): the final response still answers the request, and
      // a loss before the interim one still bears on which request that is.
      this.answering = 'interim';
      this.lossBeforeInterim = loss;
      return NO_BODY;
    }
    this.lossBeforeInterim = false;
    const target = this.target(startNs, loss);
    const framing = responseFraming(head, target?.head.method);
    if (typeof framing === 'string') return framing;
    this.answeringSwitches = framing.kind === 'tunnel';
    if (target === undefined) {
      this.answering = 'orphan';
      return framing;
    }
    target.answered = true;
    target.responseStartNs = startNs;
    this.answering = target;
    if (this.answeringSwitches) {
      target.upgraded = switchedTo(head, target.head);
    } else if (target.awaitsVerdict) {
      target.awaitsVerdict = false;
      this.out.declined();
    }
    return framing;
  }

  responseDone(message: ParsedMessage<ResponseHead>): void {
    const a = this.answering;
    const switches = this.answeringSwitches;
    this.answering = null;
    this.answeringSwitches = false;
    if (a === 'orphan') {
      this.out.error('response', 'unmatched_response');
    } else if (a !== null && a !== 'interim') {
      a.response = toResponse(message);
      a.responseEndNs = message.endNs;
      a.responseCut = message.cut;
      this.settle(a);
    }
    if (switches) this.out.switched();
  }

  /** The connection closed or expired (both parsers already ended): emit everything left. */
  finish(reason: 'closed' | 'timeout', endedNs: bigint): void {
    const entries = this.entries;
    this.entries = [];
    this.current = null;
    this.answering = null;
    for (const e of entries) {
      if (e.request === null) continue;
      if (e.incomplete === undefined && (e.response === null || e.requestCut || e.responseCut)) e.incomplete = reason;
      this.emit(e, e.incomplete === undefined ? undefined : endedNs);
    }
  }

  /** Forgets the messages being parsed (their parser was reset after a fault). */
  forget(direction: HttpDirection): void {
    if (direction === 'request' && this.current !== null) {
      this.entries = this.entries.filter((e) => e !== this.current);
      this.current = null;
    } else if (direction === 'response' && this.answering !== null) {
      if (typeof this.answering !== 'string') this.answering.answered = false;
      this.answering = null;
      this.answeringSwitches = false;
    }
  }

  /**
   * The request a response that started at `startNs` answers: the oldest waiting one. After a
   * loss on the response stream, responses may have been lost too: the newest waiting request
   * that started before this response is taken (right for non-pipelined traffic, the common
   * case), and the older ones are given up as `gap`. A request that started after the response
   * cannot be its cause: the response is an orphan (its request was lost or never captured).
   */
  private target(startNs: bigint, afterLoss: boolean): Entry | undefined {
    let target = this.entries.find(isWaiting);
    if (afterLoss && target !== undefined) {
      const before = this.entries.filter((e) => isWaiting(e) && e.startNs <= startNs);
      const pick = before[before.length - 1];
      if (pick !== undefined) {
        for (const e of before) if (e !== pick) this.giveUp(e, 'gap');
        target = pick;
      }
    }
    return target !== undefined && target.startNs <= startNs ? target : undefined;
  }

  private giveUp(e: Entry, reason: IncompleteReason): void {
    e.incomplete = reason;
    if (e.awaitsVerdict) {
      e.awaitsVerdict = false;
      this.out.declined();
    }
    this.settle(e);
  }

  /** Emits an entry as soon as it is done, wherever it is in the queue. */
  private settle(e: Entry): void {
    if (e.request === null || (e.response === null && e.incomplete === undefined)) return;
    // A message cut by close/expiry is emitted by `finish`, which knows the reason.
    if (e.incomplete === undefined && (e.requestCut || e.responseCut)) return;
    // Almost always the oldest entry: shift() avoids the array splice() allocates for its result.
    const at = this.entries.indexOf(e);
    if (at === 0) this.entries.shift();
    else if (at > 0) this.entries.splice(at, 1);
    // Emptied: give the backing store back (V8 keeps the capacity through shift()), ~150 B per idle connection.
    if (this.entries.length === 0) this.entries.length = 0;
    this.emit(e, undefined);
  }

  private emit(e: Entry, endedNs: bigint | undefined): void {
    const ex: Mutable<HttpExchange> = {
      request: e.request as HttpRequest,
      response: e.response,
      requestStartNs: e.startNs,
      requestEndNs: e.requestEndNs,
    };
    if (e.incomplete !== undefined) ex.incomplete = e.incomplete;
    if (e.upgraded !== undefined) ex.upgraded = e.upgraded;
    if (e.responseStartNs !== undefined) ex.responseStartNs = e.responseStartNs;
    if (e.responseEndNs !== undefined) ex.responseEndNs = e.responseEndNs;
    if (endedNs !== undefined) ex.endedNs = endedNs;
    this.out.exchange(ex);
  }
}

/** Still waiting for a final response. */
function isWaiting(e: Entry): boolean {
  return !e.answered && e.incomplete === undefined;
}
