/**
 * The one vocabulary of HTTP parse errors. Each is counted (ReqParsingErrors / ResParsingErrors)
 * and never thrown: after one, the direction drops the message and resyncs, except where noted.
 * Do not rename: the codes reach logs and metrics.
 */
export type HttpParseErrorCode =
  /** The first line of a message is not `METHOD SP target SP HTTP/1.x` / `HTTP/1.x SP 3DIGIT ...`. */
  | 'bad_start_line'
  /** A header line without a colon or with an empty name. */
  | 'bad_header'
  /** Start line plus headers (or a trailer section) larger than `maxHeaderBytes`. */
  | 'header_too_large'
  /** More than `maxHeaders` header lines (or trailer lines). */
  | 'too_many_headers'
  /** Content-Length not a decimal number, or duplicates that disagree. */
  | 'bad_content_length'
  /** A request whose Transfer-Encoding does not end in `chunked` (its length cannot be known). */
  | 'bad_transfer_encoding'
  /** A chunk-size line that is not hex digits (plus extensions), or too long. */
  | 'bad_chunk_size'
  /** Chunk data not followed by CRLF. */
  | 'bad_chunk'
  /** Content decoding failed; the raw body is kept and the message still counts. */
  | 'decode_failed'
  /** Decoded content would exceed `maxDecodedBytes`; the raw body is kept. */
  | 'decode_too_large'
  /** A response with no request to answer (the request was before the capture or lost). Dropped. */
  | 'unmatched_response'
  /** More than `maxPendingRequests` requests awaiting responses; the oldest is emitted incomplete. */
  | 'too_many_pending'
  /** A fault inside the parser itself; the connection's state was reset. Should stay at zero. */
  | 'internal_error';
