/** The HTTP/1.x parser for observed traffic: one HttpConnectionParser per TCP connection. */
export { HttpConnectionParser } from './connection-parser';
export { DEFAULT_HTTP_PARSER_LIMITS, resolveHttpParserOptions } from './limits';
export type { HttpParserLimits, HttpParserOptions } from './limits';
export type { HttpParseErrorCode } from './error-codes';
export type {
  HeadBytes,
  HttpConnectionStats,
  HttpDirection,
  HttpExchange,
  HttpExchangeSink,
  HttpHeaders,
  HttpRequest,
  HttpResponse,
  HttpVersion,
  IncompleteReason,
} from './types';
