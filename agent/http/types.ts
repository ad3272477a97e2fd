/**
 * The shapes the HTTP/1.x parser hands out. They mirror the exchange record of DESIGN.md §3
 * (camelCase here; the sinks write the snake_case JSON), so a sink maps fields one to one.
 */
import type { HttpParseErrorCode } from './error-codes';
import type { HeaderFields } from './header-fields';

/** `request`: the client->server byte stream; `response`: server->client. */
export type HttpDirection = 'request' | 'response';

export type HttpVersion = '1.0' | '1.1';

/** What requests and responses share. */
interface HttpMessageFields {
  readonly version: HttpVersion;
  /**
   * As they were on the wire: order, name case and duplicates kept; an obs-fold continuation is
   * joined to its field with one space.
   */
  readonly headers: HeaderFields;
  /** Fields of a chunked trailer section; present only when the section had any. */
  readonly trailers?: HeaderFields;
  /** At most `maxBodyBytes` of the body (decoded when `contentDecoded`). */
  readonly body: Buffer;
  /** Full body size: bytes on the wire after de-chunking, or the decoded size when `contentDecoded`. */
  readonly bodySize: number;
  /**
   * `body` is not the whole body: maxBodyBytes cut it, bytes were lost in capture, or the stream
   * ended before the body did (`bodySize` then counts the bytes seen).
   */
  readonly bodyTruncated: boolean;
  /** Set (true) when the content-encoding was decoded. */
  readonly contentDecoded?: true;
}

export interface HttpRequest extends HttpMessageFields {
  readonly method: string;
  readonly target: string;
}

export interface HttpResponse extends HttpMessageFields {
  readonly status: number;
  readonly reason: string;
}

/**
 * Why an exchange was emitted without having finished. `closed` / `timeout`: the connection
 * closed or expired first. `gap`: bytes were lost on the response stream and a later response
 * answered a later request, so this one's response was in the lost bytes. `overflow`: more than
 * `maxPendingRequests` requests waited for responses; the oldest is given up.
 */
export type IncompleteReason = 'closed' | 'timeout' | 'gap' | 'overflow';

export interface HttpExchange {
  readonly request: HttpRequest;
  /** Null when no response was seen; a response cut short is kept (with `bodyTruncated`). */
  readonly response: HttpResponse | null;
  /** Set when the exchange did not finish: no response, or a message cut by close/timeout. */
  readonly incomplete?: IncompleteReason;
  /** The protocol the connection switched to after this exchange (`websocket`, `h2c`, `connect`). */
  readonly upgraded?: string;
  /** Timestamps (caller's clock) of the chunks that held each message's first and last byte. */
  readonly requestStartNs: bigint;
  readonly requestEndNs: bigint;
  readonly responseStartNs?: bigint;
  readonly responseEndNs?: bigint;
  /** The `close`/`expire` timestamp, on exchanges that close or expiry left incomplete. */
  readonly endedNs?: bigint;
}

/**
 * Called synchronously from the push/gap/close/expire that completed something. Must not throw:
 * a throw is caught and counted as `internal_error`, and the direction's parse state is reset.
 */
export interface HttpExchangeSink {
  onExchange(exchange: HttpExchange): void;
  /** A counted parse error; the direction resyncs (or drops the one message) and goes on. */
  onError(direction: HttpDirection, code: HttpParseErrorCode): void;
  /** The direction started skipping bytes to find the next start line (after a gap, an error or a mid-stream start). */
  onResync?(direction: HttpDirection): void;
}

/** Counters of one connection, readable at any time (e.g. when it closes). */
export interface HttpConnectionStats {
  exchanges: number;
  upgrades: number;
  errors: Record<HttpDirection, number>;
  resyncs: Record<HttpDirection, number>;
  /** Captured bytes that belonged to no message: dropped heads, bytes passed over by resyncs. */
  skippedBytes: Record<HttpDirection, number>;
}
